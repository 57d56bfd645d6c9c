import type { FastifyInstance } from 'fastify'
import { FluxEvent } from '../schemas/flux-event.js'
import { hookResponses } from '../schemas/responses.js'
import { compileValidator } from '../schemas/validator.js'
import { fromFluxEvent } from '../app/core/sources/flux.js'
import { badRequest, unauthorized } from '../app/http-errors.js'
import { acceptRawJson, hookBodyLimit, parseJsonBody, rawBody } from './parse-json.js'
import { countRejected } from './count-rejected.js'

const validFluxEvent = compileValidator(FluxEvent)

/** POST /hooks/flux: Flux notification-controller events (generic and generic-hmac providers). */
export default async function fluxRoutes (app: FastifyInstance) {
  countRejected(app, 'flux')
  acceptRawJson(app)

  app.post('/hooks/flux', { bodyLimit: hookBodyLimit, schema: { response: hookResponses } }, async (request, reply) => {
    const raw = rawBody(request)
    if (!app.auth.flux(request, raw)) throw unauthorized()
    const checked = validFluxEvent(parseJsonBody(raw))
    if (!checked.ok) throw badRequest(`invalid Flux event: ${checked.reason}`)
    const answer = await app.engine.acceptResult(fromFluxEvent(checked.value, raw))
    return await reply.code(answer.status === 'accepted' ? 202 : 200).send(answer)
  })
}
