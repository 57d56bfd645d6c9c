import type { Log } from './log.js'
import type { KeptnClient } from './keptn-client.js'
import { DEPLOYMENT_TRIGGERED } from './keptn-events.js'

/** Another Keptn service that also takes deployment.triggered for some of the bridge's projects. */
export interface DeploymentTaker {
  name: string
  namespace: string
  /** The projects it takes them for; empty = every project. */
  projects: string[]
}

// Subscriptions are NATS subjects: `*` matches one token, `>` the rest (shipyard-controller and
// the distributor match them so, e.g. `sh.keptn.event.>` or `sh.keptn.event.*.triggered`).
function subjectMatches (pattern: string, subject: string): boolean {
  const want = pattern.split('.')
  const have = subject.split('.')
  for (let i = 0; i < want.length; i++) {
    if (want[i] === '>') return i < have.length
    if (i >= have.length || (want[i] !== '*' && want[i] !== have[i])) return false
  }
  return want.length === have.length
}

interface Integration { name?: unknown, metadata?: { kubernetesmetadata?: { namespace?: unknown } }, subscriptions?: unknown }

/**
 * The other services (not `ownName`) subscribed to deployment.triggered for a project the bridge
 * takes (`projects` empty = all): Keptn sends the task to each of them and waits for each one's
 * `.finished`, so two deployers answer one deployment (helm-service, which Keptn's docs install,
 * takes every `deployment` task unless its subscription names projects).
 */
export function deploymentTakers (registrations: unknown[], ownName: string, projects: readonly string[]): DeploymentTaker[] {
  const found: DeploymentTaker[] = []
  for (const raw of registrations) {
    const integration = raw as Integration
    if (typeof integration?.name !== 'string' || integration.name === ownName || !Array.isArray(integration.subscriptions)) continue
    const theirs = new Set<string>()
    let every = false
    for (const sub of integration.subscriptions as Array<{ event?: unknown, filter?: { projects?: unknown } }>) {
      if (typeof sub?.event !== 'string' || !subjectMatches(sub.event, DEPLOYMENT_TRIGGERED)) continue
      const filter = Array.isArray(sub.filter?.projects) ? (sub.filter.projects as unknown[]).filter((p): p is string => typeof p === 'string') : []
      if (filter.length === 0) every = true
      for (const project of filter) theirs.add(project)
    }
    if (!every && theirs.size === 0) continue
    const overlap = every ? [...projects] : projects.length === 0 ? [...theirs] : projects.filter(p => theirs.has(p))
    if (!every && overlap.length === 0) continue
    const namespace = integration.metadata?.kubernetesmetadata?.namespace
    found.push({ name: integration.name, namespace: typeof namespace === 'string' ? namespace : '', projects: overlap.sort() })
  }
  return found
}

/** Looks once (at start-up) and warns about every other deployer of the bridge's projects. */
export async function warnAboutOtherDeployers (deps: { keptn: Pick<KeptnClient, 'listRegistrations'>, logger: Log, ownName: string, projects: readonly string[] }): Promise<DeploymentTaker[]> {
  let registrations: unknown[]
  try {
    registrations = await deps.keptn.listRegistrations()
  } catch (err) {
    deps.logger.debug({ err: (err as Error).message }, 'could not list Keptn\'s uniform registrations; not checked for other deployers')
    return []
  }
  const takers = deploymentTakers(registrations, deps.ownName, deps.projects)
  for (const taker of takers) {
    const which = taker.projects.length > 0 ? `projects ${taker.projects.join(', ')}` : 'every project'
    deps.logger.warn({ integration: taker.name, namespace: taker.namespace, projects: taker.projects },
      `${taker.name} also takes ${DEPLOYMENT_TRIGGERED} for ${which}: Keptn waits for both to finish each deployment. ` +
      'Keep them apart: KEPTN_PROJECTS here, and a project filter on the other service\'s subscription (Keptn bridge: Uniform → the service → Subscriptions)')
  }
  return takers
}
