import type { FastifyInstance } from 'fastify'
import { renderStatusPage } from '../app/core/status-page.js'
import { version } from '../app/version.js'
import { unauthorized } from '../app/http-errors.js'

const listed = 500
const maxListed = 1000
// The page refreshes itself every 10 s: it reads (and shows) only the 50 pending deployments due
// first (with their total) and the 50 newest dead letters (marked as such when there may be more).
const shownOnPage = 50

/** GET / (the status page) and GET /api/v1/deployments (the same facts as JSON). */
export default async function statusRoutes (app: FastifyInstance) {
  // STATUS_TOKEN guards both; a browser is asked for Basic credentials (any user, the token as password).
  app.addHook('onRequest', async (request, reply) => {
    if (app.auth.status(request)) return
    reply.header('www-authenticate', 'Basic realm="keptn-gitops-bridge", charset="UTF-8"')
    throw unauthorized()
  })

  // ?limit=N (1-1000, default 500): the newest N dead letters and the N pending deployments due first.
  app.get('/api/v1/deployments', async (request) => {
    const asked = Number((request.query as { limit?: unknown } | undefined)?.limit)
    const limit = Number.isInteger(asked) && asked >= 1 ? Math.min(asked, maxListed) : listed
    const snapshot = await app.store.snapshot(limit)
    const observed = app.observed
    // Per pending deployment, what observation (OBSERVE_INTERVAL) last saw of its GitOps objects.
    return observed ? { ...snapshot, pending: snapshot.pending.map(td => ({ ...td, observed: observed(td.triggeredId) ?? null })) } : snapshot
  })

  app.get('/', async (_request, reply) => {
    const snapshot = await app.store.snapshot(shownOnPage)
    const page = renderStatusPage(snapshot, { now: app.clock(), storeKind: app.store.kind, keptnMode: app.keptnMode, version, listLimit: shownOnPage, observed: app.observed })
    return await reply.type('text/html; charset=utf-8').send(page)
  })
}
