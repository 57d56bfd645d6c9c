import { getHeapStatistics } from 'node:v8'
import fp from 'fastify-plugin'
import underPressure from '@fastify/under-pressure'

/**
 * Overload answers 503, not a pile-up: with the event loop lagging past MAX_EVENT_LOOP_DELAY, or
 * the heap near its limit, the hooks answer 503 with Retry-After (Flux, Argo CD and the
 * distributor retry) and /readyz says so, while /healthz and /metrics keep answering: a pod under
 * load is not dead, and its metrics are what shows the load.
 */
export default fp(async (app) => {
  const { maxEventLoopDelayMs } = app.config
  await app.register(underPressure, {
    maxEventLoopDelay: maxEventLoopDelayMs,
    maxHeapUsedBytes: Math.floor(getHeapStatistics().heap_size_limit * 0.9),
    sampleInterval: Math.min(1000, Math.max(5, Math.floor(maxEventLoopDelayMs / 2) || 1000)),
    // Sending here ends the request (Fastify skips the route once the reply is sent); returning
    // without sending lets it through.
    async pressureHandler (request, reply, type) {
      const url = request.routeOptions.url
      if (url === '/healthz' || url === '/metrics') return
      if (url === '/readyz') {
        await reply.code(503).send({ status: 'unavailable', reason: `under pressure (${type})` })
        return
      }
      request.log.warn({ pressure: type }, 'under pressure; answered 503 so the sender retries')
      await reply.code(503).header('retry-after', '5')
        .send({ statusCode: 503, error: 'Service Unavailable', message: `under pressure (${type}); retry`, code: 'UNDER_PRESSURE' })
    }
  })
}, { name: 'pressure', dependencies: ['config'] })
