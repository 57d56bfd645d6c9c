import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

// Passwords and TLS for the private Redis servers the tests start: the certificates are made by
// openssl at test time (a CA, a server certificate for 127.0.0.1 that Redis also presents as a
// client to its replicas and cluster peers, one that names only the host `localhost`, and a client
// certificate for the bridge).

export interface TestCertificates {
  ca: string
  serverCert: string
  serverKey: string
  /** Names the host `localhost` only, no address: a client that dials 127.0.0.1 must refuse it. */
  namedServerCert: string
  namedServerKey: string
  clientCert: string
  clientKey: string
  /** A CA that signed none of these: trusting only it must fail. */
  otherCa: string
}

export interface RedisSecurity {
  password?: string
  /** The sentinels' own password: default `password`; false leaves them open while the data nodes still ask. */
  sentinelPassword?: string | false
  /** TLS only (no plain port), client certificates required (Redis' default `tls-auth-clients yes`). */
  tls?: TestCertificates
  /** With tls: the servers present the certificate that names only `localhost` (cluster nodes announce that name). */
  namedOnly?: boolean
}

function openssl (dir: string, args: string[]): void {
  const result = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' })
  if (result.error || result.status !== 0) {
    throw new Error(`openssl ${args[0]} failed (${result.error?.message ?? result.stderr.trim()}): TLS tests need the openssl command (apt-get install -y openssl)`)
  }
}

let made: TestCertificates | undefined

/** One set of certificates per test process, removed when it exits. */
export function testCertificates (): TestCertificates {
  if (made) return made
  const dir = mkdtempSync(join(tmpdir(), 'kgb-tls-'))
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  const ca = (name: string) => openssl(dir, ['req', '-x509', ...key, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`])
  const signed = (name: string, extensions: string) => {
    openssl(dir, ['req', ...key, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`])
    writeFileSync(join(dir, `${name}.ext`), extensions)
    openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
      '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`])
  }
  ca('ca')
  ca('other-ca')
  signed('server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n')
  signed('named-server', 'subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n')
  signed('client', 'extendedKeyUsage=clientAuth\n')
  made = {
    ca: join(dir, 'ca.crt'),
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
    namedServerCert: join(dir, 'named-server.crt'),
    namedServerKey: join(dir, 'named-server.key'),
    clientCert: join(dir, 'client.crt'),
    clientKey: join(dir, 'client.key'),
    otherCa: join(dir, 'other-ca.crt')
  }
  return made
}

/** redis-server arguments for listening on `port` with this security (sentinels included). */
export function serverArgs (security: RedisSecurity, port: number, role: 'data' | 'sentinel' = 'data'): string[] {
  const args: string[] = []
  const { password, tls, namedOnly } = role === 'data' ? security : sentinelSecurity(security)
  if (password) args.push('--requirepass', password)
  if (password && role === 'data') args.push('--masterauth', password)
  if (!tls) return [...args, '--port', String(port)]
  const [cert, key] = namedOnly ? [tls.namedServerCert, tls.namedServerKey] : [tls.serverCert, tls.serverKey]
  return [...args, '--port', '0', '--tls-port', String(port), '--tls-cert-file', cert, '--tls-key-file', key,
    '--tls-ca-cert-file', tls.ca, '--tls-replication', 'yes', ...(role === 'data' ? ['--tls-cluster', 'yes'] : [])]
}

/** What a client of a sentinel presents. */
export function sentinelSecurity (security: RedisSecurity): RedisSecurity {
  const { sentinelPassword = security.password } = security
  return { ...security, password: sentinelPassword === false ? undefined : sentinelPassword }
}

/** ioredis options for a test's own client (as the bridge's client certificate). */
export function clientOptions (security: RedisSecurity) {
  const { password, tls, namedOnly } = security
  return {
    password,
    tls: tls
      ? { ca: readFileSync(tls.ca), cert: readFileSync(tls.clientCert), key: readFileSync(tls.clientKey), ...(namedOnly ? { servername: 'localhost' } : {}) }
      : undefined
  }
}

/** The bridge's environment for this security (TLS files and password as the user would set them). */
export function bridgeEnv (security: RedisSecurity): Record<string, string> {
  const { password, tls } = security
  return {
    ...(password ? { REDIS_PASSWORD: password } : {}),
    ...(typeof security.sentinelPassword === 'string' ? { REDIS_SENTINEL_PASSWORD: security.sentinelPassword } : {}),
    ...(tls ? { REDIS_TLS_CA_FILE: tls.ca, REDIS_TLS_CERT_FILE: tls.clientCert, REDIS_TLS_KEY_FILE: tls.clientKey } : {})
  }
}
