import type { FastifyInstance } from 'fastify'
import { FluxEvent } from '../schemas/flux-event.js'
import { hookResponses } from '../schemas/responses.js'
import { fromFluxEvent } from '../app/core/sources/flux.js'
import { unauthorized } from '../app/http-errors.js'
import { acceptJson, hookBodyLimit, invalid, withTypeBox } from './parse-json.js'
import { countRejected } from './count-rejected.js'

/** POST /hooks/flux: Flux notification-controller events (generic and generic-hmac providers). */
export default async function fluxRoutes (fastify: FastifyInstance) {
  const app = withTypeBox(fastify)
  countRejected(app, 'flux')
  // The signature (and token) are checked on the bytes as received, before any JSON is parsed.
  acceptJson(app, { verify: (request, raw) => { if (!app.auth.flux(request, raw)) throw unauthorized() } })

  app.post('/hooks/flux', {
    bodyLimit: hookBodyLimit,
    schema: { body: FluxEvent, response: hookResponses },
    schemaErrorFormatter: invalid('Flux event')
  }, async (request, reply) => {
    const answer = await app.engine.acceptResult(fromFluxEvent(request.body, request.rawBody!))
    return await reply.code(answer.status === 'accepted' ? 202 : 200).send(answer)
  })
}
