import t from 'tap'
import type { Test } from 'tap'
import { build } from '../helpers/app.js'
import { testRedisUrl, uniquePrefix } from '../helpers/redis.js'
import { fluxEvent, fluxRequest } from '../helpers/flux.js'
import { makeTriggered } from '../helpers/keptn-fake.js'
import { hmacKey } from '../helpers/app.js'

// Any bytes, signed or not: never a 5xx, never a crash. The long run lives in bench/fuzz.

function prng (seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

type Mutator = (body: string, pick: () => number) => string | Buffer
const deep = (depth: number) => '['.repeat(depth) + ']'.repeat(depth)
const oddValues: unknown[] = [null, 1, -1.5e308, true, [], {}, '', 'x'.repeat(70_000), '\u0000', '\ud800', { __proto__: { polluted: 1 } }, ['a', 1]]

export const mutators: Mutator[] = [
  (body, pick) => body.slice(0, Math.floor(pick() * body.length)),
  (body, pick) => {
    const bytes = Buffer.from(body)
    bytes[Math.floor(pick() * bytes.length)] = Math.floor(pick() * 256)
    return bytes
  },
  (body) => Buffer.concat([Buffer.from(body.slice(0, 20)), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from(body.slice(20))]),
  (body) => body.replace('{', '{"involvedObject":{"kind":"X","namespace":"y","name":"z"},'),
  () => deep(5000),
  (body) => body.replace('"metadata":{', `"metadata":{${Array.from({ length: 2000 }, (_, i) => `"k${i}":"${'v'.repeat(50)}"`).join(',')},`),
  (body, pick) => {
    const parsed = JSON.parse(body) as Record<string, unknown>
    const keys = Object.keys(parsed)
    parsed[keys[Math.floor(pick() * keys.length)]!] = oddValues[Math.floor(pick() * oddValues.length)]
    return JSON.stringify(parsed)
  },
  (body, pick) => {
    const parsed = JSON.parse(body) as { involvedObject?: Record<string, unknown> }
    parsed.involvedObject ??= {}
    parsed.involvedObject[['kind', 'name', 'namespace', 'apiVersion'][Math.floor(pick() * 4)]!] = oddValues[Math.floor(pick() * oddValues.length)]
    return JSON.stringify(parsed)
  },
  () => '{"__proto__":{"x":1},"constructor":{"prototype":{}}}',
  () => 'null',
  () => '"just a string"',
  () => '[]',
  (body) => body + body
]

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
