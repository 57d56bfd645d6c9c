import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { StoreUnavailableError } from './core/store.js'

// Flux's notification-controller (go-retryablehttp v0.7.8, client.go: RetryMax 4) waits as long as a
// 503's Retry-After says between its 4 retries, all within the Provider's timeout: 15 s each spans a
// 60 s store outage (a Sentinel failover with its default 30 s down-after), with deploy/flux's
// Provider timeout of 90s. Other senders get 5 s.
const retryAfterSeconds = (request: FastifyRequest) => request.routeOptions.url === '/hooks/flux' ? '15' : '5'

/** One error handler: 4xx answers carry the reason; 5xx hide internals and are logged. */
export function errorHandler (this: unknown, error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const status = error.statusCode ?? 500
  if (status >= 400 && status < 500) {
    return reply.code(status).send({ statusCode: status, error: httpReason(status), message: error.message, code: error.code })
  }
  if (error.code === 'KEPTN_UNAVAILABLE') {
    request.log.warn({ err: error.message }, 'Keptn unavailable; answered 503 so the sender retries')
    return reply.code(503).header('retry-after', '5')
      .send({ statusCode: 503, error: 'Service Unavailable', message: 'cannot confirm the event with Keptn now; retry' })
  }
  if (error instanceof StoreUnavailableError || !request.server.store.ready()) {
    request.log.warn({ err: error.message }, 'store unavailable; answered 503 so the sender retries')
    return reply.code(503).header('retry-after', retryAfterSeconds(request))
      .send({ statusCode: 503, error: 'Service Unavailable', message: 'temporarily unable to store the event; retry' })
  }
  request.log.error({ err: error }, 'request failed')
  return reply.code(500).send({ statusCode: 500, error: 'Internal Server Error', message: 'internal error' })
}

function httpReason (status: number): string {
  const reasons: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 404: 'Not Found', 413: 'Payload Too Large', 415: 'Unsupported Media Type' }
  return reasons[status] ?? 'Client Error'
}
