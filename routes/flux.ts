import type { FastifyInstance } from 'fastify'
import { FluxEvent } from '../schemas/flux-event.js'
import { hookResponses } from '../schemas/responses.js'
import { compileValidator } from '../schemas/validator.js'
import { fromFluxEvent } from '../app/core/sources/flux.js'
import { badRequest, unauthorized } from '../app/http-errors.js'
import { parseJsonBody } from './parse-json.js'
import { countRejected } from './count-rejected.js'

const validFluxEvent = compileValidator(FluxEvent)

// Flux allows events up to 3 MiB; leave room above that.
export const fluxBodyLimit = 4 * 1024 * 1024

/** POST /hooks/flux: Flux notification-controller events (generic and generic-hmac providers). */
export default async function fluxRoutes (app: FastifyInstance) {
  // Signatures are over the bytes as received: keep them raw in this scope only.
  countRejected(app, 'flux')
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: fluxBodyLimit }, (_request, body, done) => done(null, body))

  app.post('/hooks/flux', { bodyLimit: fluxBodyLimit, schema: { response: hookResponses } }, async (request, reply) => {
    const raw = request.body as Buffer
    if (!app.auth.flux(request, raw)) throw unauthorized()
    const checked = validFluxEvent(parseJsonBody(raw))
    if (!checked.ok) throw badRequest(`invalid Flux event: ${checked.reason}`)
    const answer = await app.engine.acceptResult(fromFluxEvent(checked.value, raw))
    return await reply.code(answer.status === 'accepted' ? 202 : 200).send(answer)
  })
}
