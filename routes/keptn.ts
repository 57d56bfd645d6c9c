import type { FastifyInstance } from 'fastify'
import { hookResponses } from '../schemas/responses.js'
import { badRequest } from '../app/http-errors.js'
import { acceptJson } from './parse-json.js'

/**
 * POST /events/keptn: CloudEvents pushed by Keptn's distributor (structured mode). The body has no
 * route schema on purpose: the engine checks a pushed event and a pulled one with the same one
 * schema (IncomingKeptnEvent), so both paths refuse the same events for the same reasons.
 */
export default async function keptnRoutes (app: FastifyInstance) {
  // Fastify's default body limit (1 MiB) stays: Keptn refuses events over 64 KiB anyway.
  acceptJson(app, { types: ['application/json', 'application/cloudevents+json'], bodyLimit: app.initialConfig.bodyLimit })

  app.post('/events/keptn', { schema: { response: hookResponses } }, async (request, reply) => {
    const answer = await app.engine.acceptTriggered(request.body, 'push')
    if (answer.status === 'invalid') throw badRequest(`invalid Keptn event: ${answer.reason}`)
    return await reply.code(answer.status === 'accepted' ? 202 : 200).send(answer)
  })
}
