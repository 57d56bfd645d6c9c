import { writeFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { startRedisServer } from '../tests/helpers/redis.js'
import { throughput } from './throughput.js'
import { correlation } from './correlation.js'
import { e2eLatency } from './e2e-latency.js'
import { stopRedis } from './lib/redis.js'
import { env } from './lib/env.js'

// The default suite: throughput against bare Fastify, correlation at scale, end-to-end latency.
// Every knob is an environment variable so a slower machine can shorten the run.
const only = process.env.BENCH_ONLY?.split(',')
const wanted = (name: string) => !only || only.includes(name)

const machine = { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), loadAverage: loadavg().map(l => Number(l.toFixed(2))) }
console.log(`machine: ${JSON.stringify(machine)}`)
const results: Record<string, unknown> = { machine, at: new Date().toISOString() }
const started = Date.now()

if (wanted('throughput')) {
  console.log('\n== POST /hooks/flux: bridge vs bare Fastify (autocannon, alternating rounds)')
  const redis = await startRedisServer()
  results.throughput = await throughput(redis, {
    rounds: env('BENCH_ROUNDS', 3),
    durationS: env('BENCH_DURATION', 5),
    warmupS: env('BENCH_WARMUP', 3),
    connections: env('BENCH_CONNECTIONS', 10),
    rate: env('BENCH_RATE', 500)
  })
  await stopRedis(redis)
}
if (wanted('correlation')) {
  console.log('\n== correlation at scale: store.resolve with N pending deployments')
  const redis = await startRedisServer()
  const sizes = (process.env.BENCH_SIZES ?? '100,10000,100000').split(',').map(Number)
  results.correlation = await correlation(redis, { sizes, samples: env('BENCH_SAMPLES', 1000) })
  await stopRedis(redis)
}
if (wanted('e2e')) {
  console.log('\n== end to end: Flux POST -> .finished at the Keptn fake')
  const redis = await startRedisServer()
  results.e2e = await e2eLatency(redis, { count: env('BENCH_E2E_COUNT', 200) })
  await stopRedis(redis)
}
console.log(`\ndone in ${((Date.now() - started) / 1000).toFixed(0)} s`)
if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify(results, null, 2))
