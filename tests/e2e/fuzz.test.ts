import t from 'tap'
import type { Test } from 'tap'
import { build } from '../helpers/app.js'
import { testRedisUrl, uniquePrefix } from '../helpers/redis.js'
import { fluxEvent, fluxRequest } from '../helpers/flux.js'
import { makeTriggered } from '../helpers/keptn-fake.js'
import { hmacKey } from '../helpers/app.js'
import { mutators, prng } from '../helpers/fuzz.js'

// Any bytes, signed or not: never a 5xx, never a crash. The long run lives in bench/fuzz.

const allowed = new Set([200, 202, 400, 401, 413, 415])

async function fuzzApp (t: Test, env: Record<string, string>, rounds: number, seed: number) {
  const app = await build(t, env)
  const pick = prng(seed)
  const seen = new Map<number, number>()
  for (let i = 0; i < rounds; i++) {
    const base = JSON.stringify(fluxEvent({ message: `event ${i}` }))
    const mutated = mutators[i % mutators.length]!(base, pick)
    const signed = pick() > 0.1
    const request = signed ? fluxRequest(mutated) : fluxRequest(mutated, 'wrong-key-0123456789abcdef0123456789')
    const res = await app.inject(request)
    seen.set(res.statusCode, (seen.get(res.statusCode) ?? 0) + 1)
    if (!allowed.has(res.statusCode)) t.fail(`status ${res.statusCode} for mutation ${i % mutators.length}: ${res.body.slice(0, 200)}`)

    const cloud = mutators[(i + 3) % mutators.length]!(JSON.stringify(makeTriggered({ project: 'p', stage: 's', service: `svc${i}` })), pick)
    const pushed = await app.inject({ method: 'POST', url: '/events/keptn', headers: { 'content-type': 'application/cloudevents+json' }, payload: cloud })
    seen.set(pushed.statusCode, (seen.get(pushed.statusCode) ?? 0) + 1)
    if (!allowed.has(pushed.statusCode)) t.fail(`status ${pushed.statusCode} for a mutated CloudEvent: ${pushed.body.slice(0, 200)}`)
  }
  t.ok((seen.get(400) ?? 0) > 0 && (seen.get(401) ?? 0) > 0, `answers by status: ${JSON.stringify(Object.fromEntries(seen))}`)
  t.equal((await app.inject('/healthz')).statusCode, 200, 'still alive')
  t.notOk([...seen.keys()].some(status => status >= 500), 'never a 5xx')
}

t.test('mutated signed and unsigned Flux events and CloudEvents, in-memory store: never a 5xx', async t => {
  await fuzzApp(t, { FLUX_HMAC_KEYS: hmacKey }, 400, 1)
})

t.test('the same against Redis', async t => {
  await fuzzApp(t, { FLUX_HMAC_KEYS: hmacKey, REDIS_URL: await testRedisUrl(), KEY_PREFIX: uniquePrefix() }, 300, 2)
})
