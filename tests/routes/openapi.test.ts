import t from 'tap'
import { build } from '../helpers/app.js'

// GET /openapi.json: the routes and their TypeBox schemas as OpenAPI 3, for anyone writing a sender.

t.test('the OpenAPI document names every route with the schemas Fastify validates against', async t => {
  const app = await build(t, { STATUS_TOKEN: 'status-token-0123456789' })
  const res = await app.inject('/openapi.json')
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /application\/json/)
  const doc = res.json()
  t.match(doc, { openapi: /^3\./, info: { title: 'keptn-gitops-bridge' } })
  t.same(Object.keys(doc.paths).sort(), ['/', '/api/v1/deployments', '/events/keptn', '/healthz', '/hooks/argocd', '/hooks/flux', '/readyz'])
  const flux = doc.paths['/hooks/flux'].post
  const body = flux.requestBody.content['application/json'].schema
  t.ok(['involvedObject', 'reason', 'timestamp'].every(field => body.required.includes(field)), 'required fields are marked')
  t.ok(body.properties.involvedObject.properties.kind, 'the Flux event schema, field by field')
  t.match(body.properties.timestamp, { type: 'string', format: 'date-time' })
  t.ok(flux.responses['202'] && flux.responses['200'], 'the answers are described too')
  t.ok(doc.paths['/hooks/argocd'].post.requestBody.content['application/json'].schema.properties.app)
  t.equal((await app.inject('/')).statusCode, 401, 'STATUS_TOKEN guards the status page; the document stays readable without it')
})
