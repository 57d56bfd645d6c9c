import type { FastifyInstance } from 'fastify'
import { ArgoNotification } from '../schemas/argocd-notification.js'
import { hookResponses } from '../schemas/responses.js'
import { compileValidator } from '../schemas/validator.js'
import { fromArgoNotification } from '../app/core/sources/argocd.js'
import { HttpError, badRequest, unauthorized } from '../app/http-errors.js'
import { acceptRawJson, hookBodyLimit, parseJsonBody, rawBody } from './parse-json.js'
import { countRejected } from './count-rejected.js'

const validNotification = compileValidator(ArgoNotification)

/** POST /hooks/argocd: Argo CD Notifications webhook carrying `{"app": {{toJson .app}}, "trigger": "…"}`. */
export default async function argocdRoutes (app: FastifyInstance) {
  countRejected(app, 'argocd')
  acceptRawJson(app)

  app.post('/hooks/argocd', { bodyLimit: hookBodyLimit, schema: { response: hookResponses } }, async (request, reply) => {
    const allowed = app.auth.argocd(request)
    if (allowed === undefined) throw new HttpError(404, 'the Argo CD hook is disabled: set ARGOCD_WEBHOOK_TOKEN', 'DISABLED')
    if (!allowed) throw unauthorized()
    const checked = validNotification(parseJsonBody(rawBody(request)))
    if (!checked.ok) throw badRequest(`invalid Argo CD notification: ${checked.reason}`)
    const answer = await app.engine.acceptResult(fromArgoNotification(checked.value))
    return await reply.code(answer.status === 'accepted' ? 202 : 200).send(answer)
  })
}
