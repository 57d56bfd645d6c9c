import type { Log as Logger } from './log.js'
import { KeptnApiError, type KeptnClient } from './keptn-client.js'
import { startWorker, type Worker } from './worker.js'
import type { Metrics } from './metrics.js'

export interface KeptnPollerDeps {
  keptn: Pick<KeptnClient, 'listTriggered'>
  /** Takes one listed event on (the engine's acceptTriggered on the pull path). */
  accept: (event: unknown) => Promise<unknown>
  logger: Logger
  metrics?: Pick<Metrics, 'keptnPollErrors'>
  /** KEPTN_PROJECTS: one listing per project; empty = one listing of every project. */
  projects: readonly string[]
  intervalMs: number
}

/**
 * One poll: lists Keptn's open deployment.triggered events per project and takes each on. A project
 * Keptn answers 404 for (listed in KEPTN_PROJECTS but deleted, or not created yet) is skipped with a
 * warning, and any other failing project does not keep the others from being polled; the round
 * fails afterwards with the first error, so the worker logs it.
 */
export async function pollOnce (deps: KeptnPollerDeps, missing = new Set<string>()): Promise<number> {
  const filters = deps.projects.length > 0 ? deps.projects.map(project => ({ project })) : [{}]
  let firstError: unknown
  for (const filter of filters) {
    const project = 'project' in filter ? filter.project : undefined
    try {
      for (const event of await deps.keptn.listTriggered(filter)) await deps.accept(event)
      if (project !== undefined && missing.delete(project)) deps.logger.info({ project }, 'Keptn knows the project again; polling it')
    } catch (err) {
      deps.metrics?.keptnPollErrors.inc()
      if (project !== undefined && err instanceof KeptnApiError && err.status === 404) {
        if (!missing.has(project)) deps.logger.warn({ project }, 'Keptn has no such project (404); KEPTN_PROJECTS lists it, the other projects are still polled')
        missing.add(project)
        continue
      }
      firstError ??= err
    }
  }
  if (firstError !== undefined) throw firstError
  // Nothing more is due at once: the next poll comes on the timer.
  return 0
}

/** Polls Keptn every intervalMs until stopped. */
export function startKeptnPoller (deps: KeptnPollerDeps): Worker {
  const missing = new Set<string>()
  return startWorker('keptn-poll', () => pollOnce(deps, missing), deps.intervalMs, deps.logger)
}
