import fp from 'fastify-plugin'
import { createMetrics, type Metrics } from '../app/core/metrics.js'

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics
  }
}

export default fp(async (app) => {
  const metrics = createMetrics(() => app.store.counts())
  app.decorate('metrics', metrics)
  app.get('/metrics', { logLevel: 'warn' }, async (_request, reply) => {
    reply.type(metrics.registry.contentType)
    return await metrics.registry.metrics()
  })
}, { name: 'metrics', dependencies: ['store'] })
