import { Writable } from 'node:stream'
import type { Test } from 'tap'
import { request } from 'undici'
import type { FastifyInstance } from 'fastify'
import { buildApp, type BuildOptions } from '../../app/build-app.js'
import { loadConfig, type Config } from '../../app/config.js'
import { waitFor } from './wait.js'

export const hmacKey = 'test-hmac-key-0123456789abcdef0123456789'

/** A config as the service would read it from this environment (never from process.env). */
export function testConfig (env: Record<string, string | undefined> = {}): Config {
  return loadConfig({ LOG_LEVEL: 'silent', FLUX_HMAC_KEYS: hmacKey, DELIVERY_POLL_INTERVAL: '50ms', ...env })
}

/** Captures every log line an app writes, for assertions on what is (and is not) logged. */
export function logCapture () {
  const lines: string[] = []
  const stream = new Writable({
    write (chunk, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean))
      done()
    }
  })
  return { stream, lines, text: () => lines.join('\n'), parsed: () => lines.map(l => JSON.parse(l) as Record<string, unknown>) }
}

/** Builds the app from a config, readies it (background workers run) and closes it when the test ends. */
export async function build (t: Test, env: Record<string, string | undefined> = {}, opts: BuildOptions = {}): Promise<FastifyInstance> {
  const app = await buildApp(testConfig(env), opts)
  t.teardown(() => app.close())
  await app.ready()
  return app
}

/** A clock tests move by hand. */
export function manualClock (start = Date.parse('2026-11-20T10:00:00Z')) {
  let now = start
  const clock = () => now
  return Object.assign(clock, { advance (ms: number) { now += ms }, set (ms: number) { now = ms } })
}

/** An app built in this process, or the URL of a bridge running as its own process. */
export type AppOrUrl = Pick<FastifyInstance, 'inject'> | string

/** What GET /api/v1/deployments says is still owed to Keptn (leased or not, in flight included). */
export async function outboxDepth (app: AppOrUrl): Promise<number> {
  const res = typeof app === 'string'
    ? await request(`${app}/api/v1/deployments`).then(async r => ({ statusCode: r.statusCode, json: await r.body.json() }))
    : await app.inject('/api/v1/deployments').then(r => ({ statusCode: r.statusCode, json: r.json() as unknown }))
  if (res.statusCode !== 200) throw new Error(`GET /api/v1/deployments answered ${res.statusCode}`)
  return (res.json as { outboxDepth: number }).outboxDepth
}

/**
 * Waits until the outbox is empty: every event owed to Keptn was delivered, found in Keptn or
 * dead-lettered, and settled. From then on nothing more is sent unless new work is queued, so a
 * test may assert what was (and was not) sent. Apps sharing one store share one outbox.
 */
export async function outboxDrained (app: AppOrUrl, timeoutMs = 15_000): Promise<void> {
  await waitFor('the outbox is empty', async () => await outboxDepth(app) === 0, timeoutMs)
}
