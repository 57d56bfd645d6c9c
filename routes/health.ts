import type { FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'

const Health = Type.Object({ status: Type.String(), reason: Type.Optional(Type.String()) })

/** GET /healthz (the process is alive) and GET /readyz (it can take traffic: store reachable, not closing). */
export default async function healthRoutes (app: FastifyInstance) {
  app.get('/healthz', { logLevel: 'warn', schema: { response: { 200: Health } } }, async () => ({ status: 'ok' }))

  app.get('/readyz', { logLevel: 'warn', schema: { response: { 200: Health, 503: Health } } }, async (_request, reply) => {
    if (app.isClosing()) return await reply.code(503).send({ status: 'unavailable', reason: 'shutting down' })
    if (!app.store.ready()) return await reply.code(503).send({ status: 'unavailable', reason: 'store unreachable' })
    return { status: 'ready' }
  })
}
