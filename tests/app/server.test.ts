import t from 'tap'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runToExit } from '../helpers/process.js'

const entry = fileURLToPath(new URL('../../dist/app/server.js', import.meta.url))

const start = (env: Record<string, string>) => runToExit(entry, [], { LOG_LEVEL: 'silent', ...env })

t.test('bad configuration stops start-up with one line naming the variable', async t => {
  const port = await start({ PORT: 'abc' })
  t.equal(port.code, 1)
  t.equal(port.stderr, 'keptn-gitops-bridge: bad configuration: PORT=abc: must be a port number from 0 to 65535\n')

  const dir = mkdtempSync(join(tmpdir(), 'kgb-server-'))
  writeFileSync(join(dir, 'mapping.yaml'), 'rules:\n  - match: { name: "{team}" }\n')
  const mapping = await start({ MAPPING_FILE: join(dir, 'mapping.yaml') })
  t.equal(mapping.code, 1)
  t.match(mapping.stderr, /^keptn-gitops-bridge: bad configuration: MAPPING_FILE: .*mapping\.yaml:2: rule 1: match\.name: unknown placeholder \{team\}/)
  t.equal(mapping.stderr.trim().split('\n').length, 1, 'one line')

  const production = await start({ NODE_ENV: 'production' })
  t.equal(production.code, 1)
  t.match(production.stderr, /FLUX_HMAC_KEYS: .*refuses to run with an open \/hooks\/flux/)
})

t.test('a port already taken is a clear failure, not a hang', async t => {
  const { createServer } = await import('node:net')
  const blocker = createServer()
  await new Promise<void>(resolve => blocker.listen(0, '127.0.0.1', resolve))
  t.teardown(() => blocker.close())
  const taken = String((blocker.address() as { port: number }).port)
  const result = await start({ PORT: taken, HOST: '127.0.0.1', LOG_LEVEL: 'error' })
  t.equal(result.code, 1)
  t.equal(result.stderr, `keptn-gitops-bridge: PORT=${taken}: the port is already in use on HOST=127.0.0.1\n`, 'one line naming the variable, no stack trace')
})

t.test('settings that would open a hole or mislead stop start-up naming the right variable', async t => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ FLUX_HMAC_KEYS: ',' }, /FLUX_HMAC_KEYS: is set but names no key/],
    [{ FLUX_HMAC_KEYS: ' , ,' }, /FLUX_HMAC_KEYS: is set but names no key/],
    [{ KEPTN_TIMEOUT: '45s' }, /KEPTN_TIMEOUT=45s: the default DELIVERY_LEASE \(60s\) must be at least twice KEPTN_TIMEOUT/],
    [{ KEPTN_TIMEOUT: '45s', DELIVERY_LEASE: '60s' }, /DELIVERY_LEASE=60s: must be at least twice KEPTN_TIMEOUT/],
    [{ REDIS_URL: 'redis://localhost:99999' }, /REDIS_URL: the port "99999" must be a number from 1 to 65535/],
    [{ REDIS_URL: 'redis://localhost:0' }, /REDIS_URL: the port "0" must be a number from 1 to 65535/]
  ]
  for (const [env, message] of cases) {
    const result = await start(env)
    t.equal(result.code, 1, JSON.stringify(env))
    t.match(result.stderr, message)
    t.equal(result.stderr.trim().split('\n').length, 1, 'one line')
  }
})
