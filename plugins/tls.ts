import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createSecureContext } from 'node:tls'
import type { Server as TlsServer } from 'node:tls'
import fp from 'fastify-plugin'

/** The certificate and key as files hold them now; throws when they do not make a context. */
export function readServerTls (files: { certFile: string, keyFile: string }): { cert: Buffer, key: Buffer } {
  const pair = { cert: readFileSync(files.certFile), key: readFileSync(files.keyFile) }
  createSecureContext(pair)
  return pair
}

const digest = (pair: { cert: Buffer, key: Buffer }) => createHash('sha256').update(pair.cert).update(pair.key).digest('hex')

/**
 * With TLS_CERT_FILE/TLS_KEY_FILE, re-reads both every TLS_RELOAD_INTERVAL and hands a changed,
 * valid pair to the server: cert-manager renews by rewriting the Secret's files, and new
 * connections get the new certificate without a restart (open ones keep theirs). A pair that is
 * half-written or does not match is logged and the old one kept.
 */
export default fp(async (app) => {
  const tls = app.config.tls
  if (!tls) return
  let current = digest(readServerTls(tls))
  let lastError = ''
  const timer = setInterval(() => {
    try {
      const pair = readServerTls(tls)
      const next = digest(pair)
      lastError = ''
      if (next === current) return
      ;(app.server as unknown as TlsServer).setSecureContext(pair)
      current = next
      app.log.info({ certFile: tls.certFile }, 'reloaded the TLS certificate')
    } catch (err) {
      const message = (err as Error).message
      if (message !== lastError) app.log.warn({ certFile: tls.certFile, keyFile: tls.keyFile, err: message }, 'could not reload the TLS certificate; keeping the current one')
      lastError = message
    }
  }, tls.reloadMs).unref()
  app.addHook('onClose', async () => { clearInterval(timer) })
}, { name: 'tls', dependencies: ['config'] })
