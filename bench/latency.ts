import { buildApp } from '../app/build-app.js'
import { loadConfig } from '../app/config.js'
import { signBody } from '../app/core/auth.js'
import { startKeptnFake, makeTriggered } from '../tests/helpers/keptn-fake.js'
import { percentile, fmt } from './servers.js'

// From Flux's POST to the Keptn stand-in receiving the .finished, with the delivery worker at its
// defaults (the replica that enqueued the work is woken at once; others poll every second).

const key = 'bench-hmac-key-0123456789abcdef0123456789'

export async function latency (redisUrl: string, count = 200): Promise<string[]> {
  const fake = await startKeptnFake()
  const app = await buildApp(loadConfig({
    REDIS_URL: redisUrl,
    KEY_PREFIX: `lat${Date.now()}`,
    FLUX_HMAC_KEYS: key,
    LOG_LEVEL: 'warn',
    KEPTN_API_URL: fake.url,
    KEPTN_API_TOKEN: fake.token,
    KEPTN_POLL_INTERVAL: '0'
  }))
  await app.ready()
  const timings: number[] = []
  try {
    for (let i = 0; i < count; i++) {
      const service = `svc${i}`
      const triggered = makeTriggered({ project: 'bench', stage: 'dev', service })
      await app.inject({ method: 'POST', url: '/events/keptn', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(triggered) })
      await fake.waitFor(f => f.received.some(e => e.triggeredid === triggered.id))
      const body = JSON.stringify({
        involvedObject: { kind: 'HelmRelease', namespace: 'bench-dev', name: service },
        severity: 'info',
        timestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        message: 'Helm upgrade succeeded',
        reason: 'UpgradeSucceeded',
        metadata: { 'keptn-project': 'bench', 'keptn-stage': 'dev', 'keptn-service': service },
        reportingController: 'helm-controller'
      })
      const started = process.hrtime.bigint()
      await app.inject({ method: 'POST', url: '/hooks/flux', headers: { 'content-type': 'application/json', 'x-signature': signBody(body, key) }, payload: body })
      await fake.waitFor(f => f.received.some(e => e.triggeredid === triggered.id && e.type.endsWith('.finished')))
      timings.push(Number(process.hrtime.bigint() - started) / 1e6)
    }
  } finally {
    await app.close()
    await fake.close()
  }
  timings.sort((a, b) => a - b)
  return [`End to end, Flux POST → Keptn stand-in has the .finished (${count} deployments, delivery defaults):`,
    `p50 ${fmt(percentile(timings, 50))} ms, p99 ${fmt(percentile(timings, 99))} ms`]
}
