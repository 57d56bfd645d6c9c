import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { DestinationStream } from 'pino'
import type { Config } from '../schemas/config.js'
import type { Store } from './core/store.js'
import { createLogger } from './logger.js'
import { errorHandler } from './error-handler.js'
import configPlugin from '../plugins/config.js'
import shutdownPlugin from '../plugins/shutdown.js'
import storePlugin from '../plugins/store.js'
import keptnClientPlugin from '../plugins/keptn-client.js'
import metricsPlugin from '../plugins/metrics.js'
import authPlugin from '../plugins/auth.js'
import enginePlugin from '../plugins/engine.js'
import healthRoutes from '../routes/health.js'
import fluxRoutes from '../routes/flux.js'
import argocdRoutes from '../routes/argocd.js'
import keptnRoutes from '../routes/keptn.js'
import statusRoutes from '../routes/status.js'
import pressurePlugin from '../plugins/pressure.js'
import tlsPlugin, { readServerTls } from '../plugins/tls.js'
import openapiPlugin from '../plugins/openapi.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The one clock: tests inject one so deadlines need no sleeping. */
    clock: () => number
  }
}

export interface BuildOptions {
  /** Where log lines go (tests capture them); stdout by default. */
  logDestination?: DestinationStream
  clock?: () => number
  /** A ready store (tests); otherwise built from the config. */
  store?: Store
}

export async function buildApp (config: Config, opts: BuildOptions = {}): Promise<FastifyInstance> {
  // HTTPS on PORT with TLS_CERT_FILE/TLS_KEY_FILE (plugins/tls.ts reloads renewed files).
  const app = Fastify({
    ...(config.tls ? { https: readServerTls(config.tls) } : {}),
    loggerInstance: createLogger(config, opts.logDestination) as FastifyBaseLogger,
    genReqId: request => {
      const given = request.headers['x-request-id']
      return typeof given === 'string' && /^[\w.-]{1,128}$/.test(given) ? given : randomUUID()
    },
    requestIdHeader: false,
    return503OnClosing: true,
    forceCloseConnections: 'idle'
  })
  app.decorate('clock', opts.clock ?? Date.now)
  app.setErrorHandler(errorHandler)

  await app.register(configPlugin, { config })
  await app.register(shutdownPlugin)
  await app.register(pressurePlugin)
  await app.register(tlsPlugin)
  await app.register(storePlugin, { store: opts.store })
  await app.register(keptnClientPlugin)
  await app.register(metricsPlugin)
  await app.register(authPlugin)
  await app.register(enginePlugin)
  await app.register(openapiPlugin)

  await app.register(healthRoutes)
  await app.register(fluxRoutes)
  await app.register(argocdRoutes)
  await app.register(keptnRoutes)
  await app.register(statusRoutes)
  return app
}
