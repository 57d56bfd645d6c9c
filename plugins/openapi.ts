import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import { version } from '../app/version.js'

/**
 * GET /openapi.json: the routes and their TypeBox schemas as an OpenAPI 3 document, for anyone
 * writing a sender. Registered before the routes, so @fastify/swagger sees each as it is added.
 */
export default fp(async (app) => {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'keptn-gitops-bridge',
        version,
        description: 'Closes the loop between Flux / Argo CD and the Keptn v1 control plane. Webhook answers: 202 accepted, 200 ignored or duplicate, 400 with the reason, 401, 413, 415, 503 with Retry-After.'
      },
      components: {
        securitySchemes: {
          fluxSignature: { type: 'apiKey', in: 'header', name: 'X-Signature', description: 'FLUX_HMAC_KEYS: sha256=<HMAC of the raw body> (Flux Provider generic-hmac)' },
          bearer: { type: 'http', scheme: 'bearer', description: 'FLUX_WEBHOOK_TOKEN, ARGOCD_WEBHOOK_TOKEN or STATUS_TOKEN, per route' }
        }
      }
    }
  })
  app.get('/openapi.json', { logLevel: 'warn', schema: { hide: true } }, async () => app.swagger())
}, { name: 'openapi' })
