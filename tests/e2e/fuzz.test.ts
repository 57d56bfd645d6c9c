import t from 'tap'
import type { Test } from 'tap'
import { build, hmacKey } from '../helpers/app.js'
import { testRedisUrl, uniquePrefix } from '../helpers/redis.js'
import { fluxEvent, fluxRequest } from '../helpers/flux.js'
import { signBody } from '../../app/core/auth.js'
import { allowedStatuses, fuzzCase, type FuzzOptions } from '../../bench/fuzz-cases.js'

// Hostile bytes, signed or not: never a 5xx, never a crash. `npm run bench:fuzz` is the long run
// (megabyte strings, over the network, memory watched).

async function fuzz (t: Test, env: Record<string, string>, count: number, seed: number) {
  const app = await build(t, { FLUX_HMAC_KEYS: hmacKey, ARGOCD_WEBHOOK_TOKEN: argocdToken, ...env })
  const options: FuzzOptions = { seed, key: hmacKey, maxString: 8 * 1024, maxBody: 256 * 1024, overLimitEvery: 300, now: Date.now(), argocdToken }
  const seen: Record<number, number> = {}
  const wrong: string[] = []
  for (let i = 0; i < count; i++) {
    const c = fuzzCase(i, options)
    const res = await app.inject({ method: 'POST', url: c.url, headers: c.headers, payload: c.body })
    seen[res.statusCode] = (seen[res.statusCode] ?? 0) + 1
    const ok = c.expect ? res.statusCode === c.expect : allowedStatuses.has(res.statusCode)
    if (!ok) wrong.push(`seed ${seed} case ${i} (${c.label}) ${c.url}: ${res.statusCode} ${res.body.slice(0, 200)}`)
  }
  t.same(wrong, [], `every answer is one of ${[...allowedStatuses].join('/')}; seen ${JSON.stringify(seen)}`)
  for (const status of [200, 202, 400, 401, 413, 415]) t.ok(seen[status], `some cases answered ${status}`)
  t.equal((await app.inject('/healthz')).statusCode, 200, 'still alive')
  const metrics = (await app.inject('/metrics')).body
  const series = metrics.split('\n').filter(line => line.startsWith('kgb_events_received_total{')).length
  t.ok(series < 60, `sender-chosen reasons and sync states make no new series (${series} kgb_events_received_total series)`)
  t.notMatch(metrics, /Invented/)
}

const argocdToken = 'argocd-fuzz-token-0123456789'

t.test('1,000 mutated Flux events and CloudEvents, in-memory store', async t => {
  await fuzz(t, {}, 1000, 1)
})

t.test('600 more against Redis', async t => {
  await fuzz(t, { REDIS_URL: await testRedisUrl(), KEY_PREFIX: uniquePrefix() }, 600, 2)
})

t.test('missing, malformed and wrong signatures: 401, whatever the body', async t => {
  const app = await build(t, { FLUX_HMAC_KEYS: hmacKey })
  const body = JSON.stringify(fluxEvent())
  const good = signBody(body, hmacKey)
  const signatures = [undefined, '', 'sha256=', 'sha256', `sha256=${'0'.repeat(64)}`, good.slice(0, -2), `${good}00`,
    signBody(body, `${hmacKey}-other`), signBody(`${body} `, hmacKey), signBody(body, hmacKey, 'sha1'), signBody(body, hmacKey, 'md5'),
    `${good},${good}`, ` ${good}`, good.replace('sha256=', 'sha256:'), good.replace(/[0-9a-f]/, 'g')]
  for (const signature of signatures) {
    const res = await app.inject({ method: 'POST', url: '/hooks/flux', headers: { 'content-type': 'application/json', ...(signature === undefined ? {} : { 'x-signature': signature }) }, payload: body })
    t.equal(res.statusCode, 401, `x-signature ${JSON.stringify(signature?.slice(0, 24))}…`)
  }
  const truncated = body.slice(0, 40)
  t.equal((await app.inject({ ...fluxRequest(truncated), headers: { 'content-type': 'application/json' } })).statusCode, 401, 'bad JSON unsigned: 401, not 400')
  t.equal((await app.inject(fluxRequest(body))).statusCode, 200, 'and the same body signed is taken')
})
