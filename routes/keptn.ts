import type { FastifyInstance } from 'fastify'
import { hookResponses } from '../schemas/responses.js'
import { badRequest } from '../app/http-errors.js'
import { parseJsonBody } from './parse-json.js'

/** POST /events/keptn: CloudEvents pushed by Keptn's distributor (structured mode). */
export default async function keptnRoutes (app: FastifyInstance) {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(['application/json', 'application/cloudevents+json'], { parseAs: 'buffer' },
    (_request, body, done) => done(null, body))

  app.post('/events/keptn', { schema: { response: hookResponses } }, async (request, reply) => {
    const answer = await app.engine.acceptTriggered(parseJsonBody(request.body as Buffer), 'push')
    if (answer.status === 'invalid') throw badRequest(`invalid Keptn event: ${answer.reason}`)
    return await reply.code(answer.status === 'accepted' ? 202 : 200).send(answer)
  })
}
