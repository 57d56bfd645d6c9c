import type { Log as Logger } from './log.js'
import type { Store } from './store.js'
import type { FinishedResult, TriggeredDeployment } from './types.js'
import type { Metrics } from './metrics.js'
import { formatDurationShort } from './duration.js'
import { startWorker, type Worker } from './worker.js'

export function timeoutResult (td: TriggeredDeployment, timeoutMs: number, now: number): FinishedResult {
  return {
    status: 'errored',
    result: 'fail',
    message: `Timed out after ${formatDurationShort(timeoutMs)} waiting for Flux (or Argo CD) to report the deployment of ` +
      `${td.service} in ${td.project}/${td.stage}; keptn-gitops-bridge gave up so the sequence does not hang`,
    deploymentNames: [td.service],
    source: 'deadline',
    finishedAt: now
  }
}

export interface DeadlineDeps {
  store: Store
  clock: () => number
  logger: Logger
  metrics?: Metrics
  /** DEPLOYMENT_TIMEOUT */
  timeoutMs: number
}

/** Finishes every pending deployment whose deadline passed as errored/fail, once across replicas. */
export async function expireDue (deps: DeadlineDeps): Promise<number> {
  const now = deps.clock()
  const expired = await deps.store.expire(now, td => timeoutResult(td, deps.timeoutMs, now), 100)
  for (const td of expired) {
    deps.metrics?.deadlineExpiries.inc()
    deps.logger.warn({ triggeredId: td.triggeredId, project: td.project, stage: td.stage, service: td.service },
      'deployment timed out waiting for a GitOps outcome; finishing it as errored/fail')
  }
  return expired.length
}

/**
 * Looks for expired deadlines a tenth of DEPLOYMENT_TIMEOUT apart (between 50 ms and 5 s), so a
 * deployment is finished at most 10% (or 5 s) after its deadline.
 */
export function startDeadlines (deps: DeadlineDeps): Worker {
  const every = Math.min(5000, Math.max(50, Math.floor(deps.timeoutMs / 10)))
  return startWorker('deadlines', () => expireDue(deps), every, deps.logger)
}
