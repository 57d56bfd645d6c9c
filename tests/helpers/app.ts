import { Writable } from 'node:stream'
import type { Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildApp, type BuildOptions } from '../../app/build-app.js'
import { loadConfig, type Config } from '../../app/config.js'

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
