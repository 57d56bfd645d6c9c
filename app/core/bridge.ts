import type { Config } from '../../schemas/config.js'
import { ConfigError, dedupeWindowMs } from '../config.js'
import type { Log } from './log.js'
import type { Store } from './store.js'
import type { Metrics } from './metrics.js'
import type { Worker } from './worker.js'
import { createEngine, type Engine } from './engine.js'
import { buildCloudEvent, DEPLOYMENT_TRIGGERED } from './keptn-events.js'
import { confirmTriggered, type KeptnClient } from './keptn-client.js'
import { createDelivery } from './delivery.js'
import { startDeadlines } from './deadlines.js'
import { startKeptnPoller } from './keptn-poller.js'
import { startUniformRegistration } from './uniform-registration.js'
import { warnAboutOtherDeployers } from './uniform-conflicts.js'
import { buildResolvers } from './mapping/build-resolvers.js'
import { createGitDelivery } from './gitops/git-delivery.js'
import { loadGitTargets } from './gitops/targets.js'
import type { OutboxEntry } from './types.js'
import { startObserver, type Observer, type Seen } from './observe/observer.js'

export interface BridgeDeps {
  config: Config
  store: Store
  keptn: KeptnClient
  metrics?: Metrics
  clock: () => number
  logger: Log
  /** This pod's name, as Keptn's uniform page shows it. */
  hostname: string
}

export interface Bridge {
  /** Takes events on: what the routes hand over. */
  engine: Engine
  /** Starts the background work: delivery, deadlines, the Keptn poller, uniform registration. */
  start (): void
  /** Stops all of it, waiting for what is in flight (deliveries, Git writes). */
  stop (): Promise<void>
  /** True when OBSERVE_INTERVAL is on and a Kubernetes API is there to observe. */
  observing: boolean
  /** What observation (OBSERVE_INTERVAL) last saw for a pending deployment. */
  observed (triggeredId: string): Seen | undefined
}

/**
 * The composition root: builds the engine and everything that runs beside requests from the
 * configuration, and owns their start and stop. Fastify-free: plugins/engine.ts only wires it in.
 */
export async function createBridge (deps: BridgeDeps): Promise<Bridge> {
  const { config, store, keptn, metrics, clock, logger } = deps
  const resolvers = await buildResolvers(config, logger, metrics)
  const event = (entry: OutboxEntry) => buildCloudEvent(entry, config.serviceName, clock())
  const delivery = createDelivery({
    store,
    send: entry => keptn.send(event(entry)),
    landed: entry => keptn.landed(event(entry)),
    clock,
    logger,
    metrics,
    intervalMs: config.delivery.pollIntervalMs,
    options: {
      leaseMs: config.delivery.leaseMs,
      backoffBaseMs: config.delivery.backoffBaseMs,
      backoffMaxMs: config.delivery.backoffMaxMs,
      uncertainRetryMs: config.delivery.requestTimeoutMs,
      batch: 16
    }
  })
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
      metrics,
      wake: delivery.wake
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
      earlyResultWindowMs: config.earlyResultWindowMs,
      evaluationWindowMs: config.evaluationWindowMs
    },
    wake: delivery.wake,
    onTriggered: git?.onTriggered,
    writesToGit: git?.writesToGit,
    ...(config.keptn.apiUrl ? { confirm: td => confirmTriggered(keptn, td) } : {}),
    ...(resolvers.getObject ? { helmRelease: resolvers.getObject } : {})
  })
  if (!config.keptn.apiUrl) logger.warn({}, 'KEPTN_API_URL is not set (log-only): pushed events are taken as they come, and nothing reaches Keptn or Git')
  if (config.keptn.register && !config.keptn.apiUrl) {
    logger.warn({}, 'KEPTN_REGISTER=true but KEPTN_API_URL is not set: NOT registering as a Keptn uniform (log-only mode).')
  }

  const observing = config.kubernetes.observeIntervalMs > 0 && resolvers.list !== undefined
  if (config.kubernetes.observeIntervalMs > 0 && !observing) {
    logger.info({}, 'OBSERVE_INTERVAL: no Kubernetes API (not in a cluster, no KUBERNETES_API_URL): deployments finish by webhook only')
  }
  let observer: Observer | undefined
  const workers: Worker[] = []
  const stops: Array<() => Promise<void>> = []
  let started = false
  return {
    engine,
    observing,
    observed: triggeredId => observer?.seen(triggeredId),
    start () {
      if (started) return
      started = true
      delivery.start()
      if (observing) {
        observer = startObserver({
          store,
          kubernetes: { list: resolvers.list! },
          resolve: resolvers.resolve,
          accept: result => engine.acceptResult(result),
          projectLabel: config.kubernetes.labelKeys.project,
          everyObject: config.mappingFile !== undefined,
          namespaces: config.kubernetes.observeNamespaces,
          intervalMs: config.kubernetes.observeIntervalMs,
          clock,
          logger
        })
      }
      workers.push(startDeadlines({ store, clock, logger, metrics, timeoutMs: config.deploymentTimeoutMs }))
      if (config.keptn.apiUrl && config.keptn.pollIntervalMs > 0) {
        workers.push(startKeptnPoller({
          keptn,
          accept: event => engine.acceptTriggered(event, 'pull'),
          logger,
          metrics,
          projects: config.keptn.projects,
          intervalMs: config.keptn.pollIntervalMs
        }))
      }
      if (config.keptn.apiUrl) {
        // Not awaited: a slow Keptn must not hold start-up; the warning comes when it answers.
        warnAboutOtherDeployers({ keptn, logger, ownName: config.serviceName, projects: config.keptn.projects }).catch(() => {})
      }
      if (config.keptn.register && config.keptn.apiUrl) {
        stops.push(startUniformRegistration({
          client: keptn,
          logger,
          name: config.serviceName,
          hostname: deps.hostname,
          namespace: config.podNamespace,
          subscriptions: [{ event: DEPLOYMENT_TRIGGERED, filter: { projects: [...config.keptn.projects], stages: [], services: [] } }]
        }).stop)
      }
    },
    async stop () {
      // Observation and the other producers first, so nothing is queued for a stopped delivery.
      await observer?.stop()
      await Promise.all(workers.map(w => w.stop()))
      await delivery.stop()
      await Promise.all(stops.map(stop => stop()))
      await git?.close()
      await resolvers.close()
    }
  }
}
