import { hostname } from 'node:os'
import fp from 'fastify-plugin'
import { createBridge } from '../app/core/bridge.js'
import type { Engine } from '../app/core/engine.js'

declare module 'fastify' {
  interface FastifyInstance {
    engine: Engine
  }
}

/** The engine for the routes; its background work (app/core/bridge.ts) runs from ready to close. */
export default fp(async (app) => {
  const bridge = await createBridge({
    config: app.config,
    store: app.store,
    keptn: app.keptn,
    metrics: app.metrics,
    clock: app.clock,
    logger: app.log,
    hostname: hostname()
  })
  app.decorate('engine', bridge.engine)
  app.addHook('onReady', async () => bridge.start())
  app.addHook('preClose', async () => await bridge.stop())
}, { name: 'engine', dependencies: ['store', 'keptn-client', 'metrics', 'config'] })
