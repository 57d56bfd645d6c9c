import t from 'tap'
import { copyFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from 'node:tls'
import type { AddressInfo } from 'node:net'
import { Client } from 'undici'
import { build, logCapture } from '../helpers/app.js'
import { testCertificates } from '../helpers/redis-security.js'
import { waitFor } from '../helpers/wait.js'

// HTTPS without a mesh: TLS_CERT_FILE and TLS_KEY_FILE, and a renewed certificate (cert-manager
// rewrites the Secret's files) served to new connections without a restart.

const certs = testCertificates()
const ca = readFileSync(certs.ca)

/** The subjectAltName of the certificate a fresh TLS connection to the port is shown. */
function presented (port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      resolve(socket.getPeerCertificate().subjectaltname ?? '')
      socket.end()
    })
    socket.on('error', reject)
  })
}

t.test('serves HTTPS with TLS_CERT_FILE/TLS_KEY_FILE and picks up a swapped certificate while connections stay open', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'kgb-https-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const cert = join(dir, 'tls.crt')
  const key = join(dir, 'tls.key')
  copyFileSync(certs.serverCert, cert)
  copyFileSync(certs.serverKey, key)
  const log = logCapture()
  const app = await build(t, { TLS_CERT_FILE: cert, TLS_KEY_FILE: key, TLS_RELOAD_INTERVAL: '100ms', LOG_LEVEL: 'info' }, { logDestination: log.stream })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  t.match(await presented(port), /IP Address:127\.0\.0\.1/, 'the first certificate')

  const open = new Client(`https://127.0.0.1:${port}`, { connect: { ca } })
  t.teardown(() => open.close())
  const before = await open.request({ method: 'GET', path: '/healthz' })
  t.equal(before.statusCode, 200)
  await before.body.dump()

  // A half-written pair (a key that does not fit the certificate) is refused; the old one stays.
  copyFileSync(certs.namedServerCert, cert)
  await waitFor('the half-written pair is refused', () => /could not reload the TLS certificate/.test(log.text()))
  t.match(log.text(), /could not reload the TLS certificate; keeping the current one/)
  t.match(await presented(port), /IP Address:127\.0\.0\.1/, 'still the first certificate')

  // cert-manager's way: the new pair appears at once (rename over the old files).
  writeFileSync(join(dir, 'new.key'), readFileSync(certs.namedServerKey))
  renameSync(join(dir, 'new.key'), key)
  await waitFor('the new pair is loaded', () => /reloaded the TLS certificate/.test(log.text()))
  const now = await presented(port)
  t.notMatch(now, /IP Address/, 'a new connection gets the renewed certificate')
  t.match(now, /DNS:localhost/)
  const after = await open.request({ method: 'GET', path: '/healthz' })
  t.equal(after.statusCode, 200, 'the connection opened before the swap still works')
  await after.body.dump()
})

t.test('TLS_CERT_FILE without TLS_KEY_FILE stops start-up naming the missing one', async t => {
  await t.rejects(build(t, { TLS_CERT_FILE: testCertificates().serverCert }), { message: /TLS_KEY_FILE: required with the other one/ })
})
