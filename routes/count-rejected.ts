import type { FastifyInstance } from 'fastify'

/** Counts webhook requests answered 4xx (bad signature, schema, size, type) as rejected events. */
export function countRejected (app: FastifyInstance, source: 'flux' | 'argocd') {
  app.addHook('onResponse', async (_request, reply) => {
    if (reply.statusCode >= 400 && reply.statusCode < 500) {
      app.metrics.eventsReceived.inc({ source, reason: `http-${reply.statusCode}`, result: 'rejected' })
    }
  })
}
