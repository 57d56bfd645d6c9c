import type { FastifyInstance } from 'fastify'
import { hookResponses } from '../schemas/responses.js'
import { badRequest } from '../app/http-errors.js'
import { acceptRawJson, parseJsonBody, rawBody } from './parse-json.js'

/** POST /events/keptn: CloudEvents pushed by Keptn's distributor (structured mode). */
export default async function keptnRoutes (app: FastifyInstance) {
  // Fastify's default body limit (1 MiB) stays: Keptn refuses events over 64 KiB anyway.
  acceptRawJson(app, ['application/json', 'application/cloudevents+json'], app.initialConfig.bodyLimit)

  app.post('/events/keptn', { schema: { response: hookResponses } }, async (request, reply) => {
    const answer = await app.engine.acceptTriggered(parseJsonBody(rawBody(request)), 'push')
    if (answer.status === 'invalid') throw badRequest(`invalid Keptn event: ${answer.reason}`)
    return await reply.code(answer.status === 'accepted' ? 202 : 200).send(answer)
  })
}
