import closeWithGrace from 'close-with-grace'
import type { FastifyInstance } from 'fastify'
import { ConfigError, loadConfig, type Config } from './config.js'
import { buildApp } from './build-app.js'

let config: Config
let app: FastifyInstance
try {
  config = loadConfig(process.env)
  app = await buildApp(config)
} catch (err) {
  if (!(err instanceof ConfigError)) throw err
  process.stderr.write(`keptn-gitops-bridge: bad configuration: ${err.message}\n`)
  process.exit(1)
}
// Slow or stuck clients must not hold connections for ever; Flux retries on its own.
app.server.requestTimeout = 30_000
app.server.headersTimeout = 15_000
app.server.keepAliveTimeout = 65_000

closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
  if (err) app.log.error({ err }, 'shutting down after an unexpected error')
  else app.log.info({ signal }, 'shutting down')
  await app.close()
  app.log.info('closed')
})

try {
  await app.listen({ port: config.port, host: config.host })
} catch (err) {
  const code = (err as NodeJS.ErrnoException).code
  const why = code === 'EADDRINUSE'
    ? `PORT=${config.port}: the port is already in use on HOST=${config.host}`
    : code === 'EACCES'
      ? `PORT=${config.port}: not allowed to listen on it (a port below 1024 needs privileges)`
      : code === 'EADDRNOTAVAIL'
        ? `HOST=${config.host}: no such address on this machine`
        : `could not listen on HOST=${config.host} PORT=${config.port}: ${(err as Error).message}`
  process.stderr.write(`keptn-gitops-bridge: ${why}\n`)
  await app.close().catch(() => {})
  process.exit(1)
}
