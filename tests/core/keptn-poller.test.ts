import t from 'tap'
import { pino } from 'pino'
import { KeptnApiError, type TriggeredFilter } from '../../app/core/keptn-client.js'
import { pollOnce } from '../../app/core/keptn-poller.js'
import { logCapture } from '../helpers/app.js'

function deps (answers: Record<string, () => unknown[]>) {
  const log = logCapture()
  const accepted: unknown[] = []
  return {
    log,
    accepted,
    deps: {
      keptn: {
        async listTriggered (filter: TriggeredFilter = {}) { return answers[filter.project ?? '*']!() }
      },
      accept: async (event: unknown) => { accepted.push(event) },
      logger: pino({ level: 'info' }, log.stream),
      projects: Object.keys(answers),
      intervalMs: 1000
    }
  }
}

const gone = () => { throw new KeptnApiError(404, 'listing triggered deployments: Keptn answered 404: project gone not found') }

t.test('a project Keptn answers 404 for is skipped with one warning; the others are still polled', async t => {
  const { deps: d, accepted, log } = deps({ gone, shop: () => [{ id: 'a' }], cart: () => [{ id: 'b' }] })
  const missing = new Set<string>()
  await pollOnce(d, missing)
  await pollOnce(d, missing)
  t.same(accepted, [{ id: 'a' }, { id: 'b' }, { id: 'a' }, { id: 'b' }])
  t.equal(log.lines.filter(l => /no such project/.test(l)).length, 1, 'warned once, not on every poll')
  t.match(log.text(), /"project":"gone"/)
})

t.test('another failure still fails the round, after the other projects were polled', async t => {
  const { deps: d, accepted } = deps({ down: () => { throw new KeptnApiError(503, 'listing triggered deployments: Keptn answered 503') }, shop: () => [{ id: 'a' }] })
  await t.rejects(pollOnce(d), { name: 'KeptnApiError', status: 503, message: /503/ })
  t.same(accepted, [{ id: 'a' }])
})

t.test('a project that comes back is polled and said so', async t => {
  let exists = false
  const { deps: d, accepted, log } = deps({ later: () => { if (!exists) return gone(); return [{ id: 'c' }] } })
  const missing = new Set<string>()
  await pollOnce(d, missing)
  exists = true
  await pollOnce(d, missing)
  t.same(accepted, [{ id: 'c' }])
  t.match(log.text(), /knows the project again/)
})
