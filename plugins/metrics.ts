import fp from 'fastify-plugin'
import { createMetrics, type Metrics } from '../app/core/metrics.js'
import { version } from '../app/version.js'

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics
  }
}

export default fp(async (app) => {
  const metrics = createMetrics(() => app.store.counts(), { version })
  app.decorate('metrics', metrics)
  // Every answer, 4xx and 503 included: the route pattern keeps the label set bounded.
  app.addHook('onResponse', async (request, reply) => {
    const labels = { route: request.routeOptions.url ?? 'unmatched', method: request.method, status: String(reply.statusCode) }
    metrics.httpRequests.inc(labels)
    metrics.httpDuration.observe(labels, reply.elapsedTime / 1000)
  })
  app.get('/metrics', { logLevel: 'warn' }, async (_request, reply) => {
    reply.type(metrics.registry.contentType)
    return await metrics.registry.metrics()
  })
}, { name: 'metrics', dependencies: ['store'] })
