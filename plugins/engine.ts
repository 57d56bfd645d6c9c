import { hostname } from 'node:os'
import fp from 'fastify-plugin'
import { dedupeWindowMs } from '../app/config.js'
import { createEngine, type Engine } from '../app/core/engine.js'
import { buildCloudEvent } from '../app/core/keptn-events.js'
import { deliveryRound, type InFlight } from '../app/core/outbox.js'
import { expireDue } from '../app/core/deadlines.js'
import { startWorker, type Worker } from '../app/core/worker.js'
import { startUniformRegistration } from '../app/core/uniform-registration.js'
import { startKeptnPoller } from '../app/core/keptn-poller.js'
import { buildResolvers } from '../app/core/mapping/build-resolvers.js'
import { createGitDelivery } from '../app/core/gitops/git-delivery.js'
import { loadGitTargets } from '../app/core/gitops/targets.js'
import { ConfigError } from '../app/config.js'
import type { ServiceKey, TriggeredDeployment } from '../app/core/types.js'
import { confirmTriggered } from '../app/core/keptn-client.js'

declare module 'fastify' {
  interface FastifyInstance {
    engine: Engine
  }
}

/** The engine and everything that runs beside requests: delivery, deadlines, polling, registration. */
export default fp(async (app) => {
  const { config, store, keptn, metrics, clock } = app
  const logger = app.log
  const resolvers = await buildResolvers(config, app.log)
  const workers: Worker[] = []
  const stops: Array<() => Promise<void>> = [resolvers.close]
  let delivery: Worker<number> | undefined
  // Deliveries left to finish in the background by a round that did not wait for a slow Keptn.
  const inFlight: InFlight = { jobs: new Set(), slowAfterMs: 250, max: 64 }
  // Work queued here wakes the delivery worker for its shard only; the full sweep stays on the timer.
  const wake = (key: ServiceKey) => delivery?.wake(store.shardOf(key))

  const git = config.git.targetsFile
    ? createGitDelivery({
      targets: await loadGitTargets(config.git.targetsFile).catch(err => { throw new ConfigError(`GIT_TARGETS: ${(err as Error).message}`) }),
      workDir: config.git.workDir,
      tokenFile: config.git.tokenFile,
      sshKeyFile: config.git.sshKeyFile,
      receiver: config.git.receiverUrl ? { url: config.git.receiverUrl, token: config.git.receiverToken } : undefined,
      store,
      clock,
      logger,
      wake
    })
    : undefined
  const engine = createEngine({
    store,
    resolve: resolvers.resolve,
    clock,
    logger,
    metrics,
    options: {
      deploymentTimeoutMs: config.deploymentTimeoutMs,
      retentionMs: config.retentionMs,
      dedupeTtlMs: dedupeWindowMs(config),
      triggerSequence: config.triggerSequence,
      maxEventAgeMs: config.maxEventAgeMs,
      maxClockSkewMs: config.maxClockSkewMs,
      versionMatch: config.versionMatch,
      projects: config.keptn.projects,
      earlyResultWindowMs: config.earlyResultWindowMs
    },
    wake,
    onTriggered: git?.onTriggered,
    writesToGit: git?.writesToGit,
    ...(config.keptn.apiUrl ? { confirm: (td: TriggeredDeployment) => confirmTriggered(keptn, td) } : {}),
    ...(resolvers.getObject ? { helmRelease: resolvers.getObject } : {})
  })
  app.decorate('engine', engine)

  if (!config.keptn.apiUrl) logger.warn('KEPTN_API_URL is not set (log-only): pushed events are taken as they come, and nothing reaches Keptn or Git')
  app.addHook('onReady', async () => {
    const deliveryDeps = {
      store,
      send: (entry: Parameters<typeof buildCloudEvent>[0]) => keptn.send(buildCloudEvent(entry, config.serviceName, clock())),
      landed: (entry: Parameters<typeof buildCloudEvent>[0]) => keptn.landed(buildCloudEvent(entry, config.serviceName, clock())),
      clock,
      logger,
      metrics,
      options: {
        leaseMs: config.delivery.leaseMs,
        backoffBaseMs: config.delivery.backoffBaseMs,
        backoffMaxMs: config.delivery.backoffMaxMs,
        uncertainRetryMs: config.delivery.requestTimeoutMs,
        batch: 16
      }
    }
    delivery = startWorker('delivery', shards => deliveryRound(deliveryDeps, shards, inFlight), config.delivery.pollIntervalMs, app.log)
    workers.push(delivery)
    const deadlineEvery = Math.min(5000, Math.max(50, Math.floor(config.deploymentTimeoutMs / 10)))
    workers.push(startWorker('deadlines', () => expireDue({ store, clock, logger, metrics, timeoutMs: config.deploymentTimeoutMs }), deadlineEvery, app.log))
    if (config.keptn.apiUrl && config.keptn.pollIntervalMs > 0) {
      workers.push(startKeptnPoller({
        keptn,
        accept: event => engine.acceptTriggered(event, 'pull'),
        logger,
        projects: config.keptn.projects,
        intervalMs: config.keptn.pollIntervalMs
      }))
    }
    if (config.keptn.register && !config.keptn.apiUrl) {
      logger.warn('KEPTN_REGISTER=true but KEPTN_API_URL is not set: NOT registering as a Keptn uniform (log-only mode).')
    } else if (config.keptn.register) {
      const registration = startUniformRegistration({
        client: keptn,
        logger,
        name: config.serviceName,
        hostname: hostname(),
        namespace: process.env.POD_NAMESPACE ?? 'keptn',
        subscriptions: [{ event: 'sh.keptn.event.deployment.triggered', filter: { projects: [...config.keptn.projects], stages: [], services: [] } }]
      })
      stops.push(registration.stop)
    }
  })

  app.addHook('preClose', async () => {
    await Promise.all(workers.map(w => w.stop()))
    await Promise.all(inFlight.jobs)
    await Promise.all(stops.map(stop => stop()))
    await git?.close()
  })
}, { name: 'engine', dependencies: ['store', 'keptn-client', 'metrics', 'config'] })
