import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'

// Errors that mean "the store is away for now": the caller should retry, not give up.
const unavailable = /Stream isn't writeable|Connection is closed|ECONNREFUSED|ECONNRESET|Command timed out|CLUSTERDOWN|TRYAGAIN|MOVED|ASK |READONLY|LOADING|MASTERDOWN|NOREPLICAS|Reached the max retries|Failed to refresh slots|None of the sentinels/i

/** One error handler: 4xx answers carry the reason; 5xx hide internals and are logged. */
export function errorHandler (this: unknown, error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const status = error.statusCode ?? 500
  if (status >= 400 && status < 500) {
    return reply.code(status).send({ statusCode: status, error: httpReason(status), message: error.message, code: error.code })
  }
  if (unavailable.test(error.message) || !request.server.store.ready()) {
    request.log.warn({ err: error.message }, 'store unavailable; answered 503 so the sender retries')
    return reply.code(503).header('retry-after', '5')
      .send({ statusCode: 503, error: 'Service Unavailable', message: 'temporarily unable to store the event; retry' })
  }
  request.log.error({ err: error }, 'request failed')
  return reply.code(500).send({ statusCode: 500, error: 'Internal Server Error', message: 'internal error' })
}

function httpReason (status: number): string {
  const reasons: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 404: 'Not Found', 413: 'Payload Too Large', 415: 'Unsupported Media Type' }
  return reasons[status] ?? 'Client Error'
}
