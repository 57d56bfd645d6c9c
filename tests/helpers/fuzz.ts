// Seeded mutations of valid bodies: the fast fuzz test and bench/fuzz share them.

export function prng (seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

export type Mutator = (body: string, pick: () => number) => string | Buffer
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
