import { hostname } from 'node:os'
import fp from 'fastify-plugin'
import { createBridge } from '../app/core/bridge.js'
import type { Engine } from '../app/core/engine.js'
import type { Seen } from '../app/core/observe/observer.js'

declare module 'fastify' {
  interface FastifyInstance {
    engine: Engine
    /** What observation last saw for a pending deployment; undefined when OBSERVE_INTERVAL is off. */
    observed?: (triggeredId: string) => Seen | undefined
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
  if (bridge.observing) app.decorate('observed', bridge.observed)
  app.addHook('onReady', async () => bridge.start())
  // onClose comes after the server has finished its requests in flight: one still confirming a
  // pushed event with Keptn may yet hand work to Git delivery or the store.
  app.addHook('onClose', async () => await bridge.stop())
}, { name: 'engine', dependencies: ['store', 'keptn-client', 'metrics', 'config'] })
