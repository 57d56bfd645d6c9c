import type { FastifyInstance } from 'fastify'
import { ArgoNotification } from '../schemas/argocd-notification.js'
import { hookResponses } from '../schemas/responses.js'
import { fromArgoNotification } from '../app/core/sources/argocd.js'
import { HttpError, unauthorized } from '../app/http-errors.js'
import { acceptJson, hookBodyLimit, invalid, withTypeBox } from './parse-json.js'
import { countRejected } from './count-rejected.js'

/** POST /hooks/argocd: Argo CD Notifications webhook carrying `{"app": {{toJson .app}}, "trigger": "…"}`. */
export default async function argocdRoutes (fastify: FastifyInstance) {
  const app = withTypeBox(fastify)
  countRejected(app, 'argocd')
  acceptJson(app)
  // A header token: checked before the body is even read.
  app.addHook('onRequest', async request => {
    const allowed = app.auth.argocd(request)
    if (allowed === undefined) throw new HttpError(404, 'the Argo CD hook is disabled: set ARGOCD_WEBHOOK_TOKEN', 'DISABLED')
    if (!allowed) throw unauthorized()
  })

  app.post('/hooks/argocd', {
    bodyLimit: hookBodyLimit,
    schema: { body: ArgoNotification, response: hookResponses },
    schemaErrorFormatter: invalid('Argo CD notification')
  }, async (request, reply) => {
    const answer = await app.engine.acceptResult(fromArgoNotification(request.body, app.clock()))
    return await reply.code(answer.status === 'accepted' ? 202 : 200).send(answer)
  })
}
