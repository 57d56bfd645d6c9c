import type { FastifyInstance } from 'fastify'
import { renderStatusPage } from '../app/core/status-page.js'
import { version } from '../app/version.js'

const listed = 500

/** GET / (the status page) and GET /api/v1/deployments (the same facts as JSON). */
export default async function statusRoutes (app: FastifyInstance) {
  app.get('/api/v1/deployments', async () => await app.store.snapshot(listed))

  app.get('/', async (_request, reply) => {
    const snapshot = await app.store.snapshot(listed)
    const page = renderStatusPage(snapshot, { now: app.clock(), storeKind: app.store.kind, keptnMode: app.keptnMode, version })
    return await reply.type('text/html; charset=utf-8').send(page)
  })
}
