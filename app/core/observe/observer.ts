import { createHash } from 'node:crypto'
import type { Log } from '../log.js'
import type { Store } from '../store.js'
import type { Mapping, MappingInput } from '../mapping/types.js'
import type { DeploymentResult, ObjectRef, TriggeredDeployment } from '../types.js'
import type { KubernetesResolver } from '../mapping/kubernetes.js'
import { serviceKeyString } from '../store.js'
import { startWorker, type Worker } from '../worker.js'
import { resultMatches } from '../choose-pending.js'
import { readStatus, type KubeObject } from './read-status.js'
import { applicationRef } from '../sources/argocd.js'
import type { ArgoApplication } from '../../../schemas/argocd-notification.js'

/** What observation last saw for a pending deployment (status page, /api/v1/deployments). */
export interface Seen {
  /** When it looked (ms). */
  checkedAt: number
  /** The objects of its service it read, e.g. "HelmRelease podtato/helloservice: Ready: chart 0.1.1". */
  objects: string[]
  /** Set when an object's status finished it (or was handed to the engine for it). */
  outcome?: 'success' | 'failure'
}

export interface ObserverDeps {
  store: Pick<Store, 'listPending'>
  kubernetes: Pick<KubernetesResolver, 'list'>
  /** The mapping chain (labels, metadata, MAPPING_FILE): the same as for webhooks. */
  resolve: (input: MappingInput) => Promise<Mapping | undefined>
  /** The engine's acceptResult: the same de-duplicating correlation as a webhook. */
  accept: (result: DeploymentResult) => Promise<unknown>
  /** KEPTN_PROJECT_LABEL: lists are narrowed to the projects with pending deployments. */
  projectLabel: string
  /** With a MAPPING_FILE, unlabelled objects may map too: lists are not narrowed by label. */
  everyObject: boolean
  /** OBSERVE_NAMESPACES: one list per namespace and kind (RBAC granted per namespace); empty = all namespaces. */
  namespaces?: readonly string[]
  intervalMs: number
  clock: () => number
  logger: Log
  /** At most this many pending deployments are looked at per round (those due first). */
  maxPending?: number
}

interface Kind { kind: string, plural: string, apiVersions: string[], source: 'flux' | 'argocd' }

// helm-controller serves v2 since Flux 2.3, v2beta2 and v2beta1 before (and alongside, until 2.7).
export const observedKinds: readonly Kind[] = [
  { kind: 'HelmRelease', plural: 'helmreleases', apiVersions: ['helm.toolkit.fluxcd.io/v2', 'helm.toolkit.fluxcd.io/v2beta2', 'helm.toolkit.fluxcd.io/v2beta1'], source: 'flux' },
  { kind: 'Kustomization', plural: 'kustomizations', apiVersions: ['kustomize.toolkit.fluxcd.io/v1'], source: 'flux' },
  { kind: 'Application', plural: 'applications', apiVersions: ['argoproj.io/v1alpha1'], source: 'argocd' }
]

const recheckAbsentMs = 10 * 60_000

export interface Observer {
  /** What observation last saw for this pending deployment, if it has looked. */
  seen (triggeredId: string): Seen | undefined
  stop (): Promise<void>
}

/**
 * OBSERVE_INTERVAL: the cluster's state as a second source of truth. Each round lists the observed
 * kinds (one LIST per kind and page, narrowed by the project label, never a GET per deployment),
 * reads each object's status, and hands a final state reached after the service's pending
 * deployments were triggered to the engine, which finishes at most one of them through the same
 * resolve a webhook uses (so webhook and observation never both finish one, on any replica).
 */
export function startObserver (deps: ObserverDeps): Observer {
  const { logger } = deps
  const maxPending = deps.maxPending ?? 10_000
  const seen = new Map<string, Seen>()
  // Per kind: the apiVersion that answered, or when the kind was found not served.
  const served = new Map<string, string>()
  const absentSince = new Map<string, number>()
  const warned = new Map<string, number>()
  const handed = new Set<string>()

  const warnOnce = (key: string, obj: object, msg: string) => {
    const last = warned.get(key)
    if (last !== undefined && deps.clock() - last < recheckAbsentMs) return
    warned.set(key, deps.clock())
    logger.warn(obj, msg)
  }

  // One LIST per namespace (OBSERVE_NAMESPACES) or one for all. A namespace the RBAC forbids is
  // warned about and skipped; the others still count. A 404 means the kind or version is not served.
  async function listEverywhere (kind: Kind, apiVersion: string, selector: string | undefined) {
    const namespaces = deps.namespaces?.length ? deps.namespaces : [undefined]
    const items: Array<Record<string, unknown>> = []
    for (const namespace of namespaces) {
      const found = await deps.kubernetes.list(apiVersion, kind.plural, selector, namespace)
      if ('items' in found) {
        items.push(...found.items)
        continue
      }
      if (found.cause === '404') return found
      warnOnce(`${kind.kind}|${namespace ?? ''}|${found.cause}`, { kind: kind.kind, apiVersion, namespace, cause: found.cause, reason: found.message },
        `cannot list ${kind.kind} objects${namespace ? ` in ${namespace}` : ''}; observing without them (check the bridge's RBAC)`)
    }
    return { items }
  }

  async function listKind (kind: Kind, selector: string | undefined): Promise<KubeObject[]> {
    const since = absentSince.get(kind.kind)
    if (since !== undefined && deps.clock() - since < recheckAbsentMs) return []
    // The version that answered last first; if it is gone (Flux dropped it), every version again.
    const cached = served.get(kind.kind)
    const versions = cached ? [cached, ...kind.apiVersions.filter(v => v !== cached)] : kind.apiVersions
    for (const apiVersion of versions) {
      const found = await listEverywhere(kind, apiVersion, selector)
      if ('items' in found) {
        served.set(kind.kind, apiVersion)
        absentSince.delete(kind.kind)
        return found.items.map(item => ({ apiVersion, kind: kind.kind, ...item }) as KubeObject)
      }
    }
    served.delete(kind.kind)
    absentSince.set(kind.kind, deps.clock())
    logger.debug({ kind: kind.kind }, 'the cluster does not serve this kind; not observed (looked at again in 10 minutes)')
    return []
  }

  async function round (): Promise<number> {
    const pending = await deps.store.listPending(maxPending)
    const now = deps.clock()
    const live = new Set(pending.map(td => td.triggeredId))
    for (const id of seen.keys()) if (!live.has(id)) seen.delete(id)
    if (pending.length === 0) return 0
    const byService = new Map<string, TriggeredDeployment[]>()
    for (const td of pending) {
      const key = serviceKeyString(td)
      byService.set(key, [...(byService.get(key) ?? []), td])
    }
    const projects = [...new Set(pending.map(td => td.project))].sort()
    const selector = deps.everyObject ? undefined : `${deps.projectLabel} in (${projects.join(',')})`
    const objectsOf = new Map<string, Array<{ kind: Kind, object: KubeObject, ref: ObjectRef }>>()
    for (const kind of observedKinds) {
      for (const object of await listKind(kind, selector)) {
        const meta = object.metadata ?? {}
        if (!meta.name) continue
        // An Application maps (and is reported) by its destination namespace, as on the webhook path.
        const ref: ObjectRef = kind.kind === 'Application'
          ? applicationRef(object as unknown as ArgoApplication)
          : { kind: kind.kind, namespace: meta.namespace ?? '', name: meta.name, ...(object.apiVersion ? { apiVersion: object.apiVersion } : {}), ...(meta.uid ? { uid: meta.uid } : {}) }
        const mapping = await deps.resolve({ object: ref, metadata: meta.annotations ?? {}, labels: meta.labels ?? {} }).catch(() => undefined)
        if (!mapping) continue
        const key = serviceKeyString(mapping)
        if (!byService.has(key)) continue
        objectsOf.set(key, [...(objectsOf.get(key) ?? []), { kind, object, ref }])
      }
    }
    let handedCount = 0
    for (const [key, tds] of byService) {
      const objects = objectsOf.get(key) ?? []
      const lines: string[] = []
      let outcome: Seen['outcome']
      // Only a state reached after every pending deployment of the service was triggered: the
      // engine picks which one it finishes, and none may be finished by a state older than itself.
      const newest = Math.max(...tds.map(td => td.receivedAt))
      for (const { kind, object, ref } of objects) {
        const name = `${kind.kind} ${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`
        const observed = readStatus(object, now)
        // Only a state naming what a pending deployment expects (its version or commit), or the one
        // pending deployment when it expects nothing comparable. Never a fallback onto a deployment
        // expecting something else: that state may be the very rollout a webhook already reported
        // for another deployment (a webhook and an observation have different identities).
        const evidence = observed.commit ?? observed.commitHint
        const specific = tds.some(td => resultMatches(td, observed.versions, evidence)) ||
          (tds.length === 1 && tds[0]!.version === undefined && tds[0]!.commit === undefined)
        const final = observed.outcome !== 'none'
        const after = observed.at !== undefined && observed.at > newest
        const counts = final && after && specific
        const why = !final || counts ? '' : !after ? ' (before the deployment was triggered)' : ' (names no version or commit a pending deployment expects)'
        lines.push(`${name}: ${observed.state}${why}`)
        if (!counts) continue
        const result: DeploymentResult = {
          source: kind.source,
          object: ref,
          outcome: observed.outcome,
          reason: observed.reason,
          message: observed.state,
          versions: observed.versions,
          ...(observed.imageEvidence ? { imageEvidence: true } : {}),
          ...(observed.commit ? { commit: observed.commit } : {}),
          ...(observed.commitHint ? { commitHint: observed.commitHint } : {}),
          ...(observed.revision ? { revision: observed.revision } : {}),
          metadata: object.metadata?.annotations ?? {},
          labels: object.metadata?.labels ?? {},
          occurredAt: observed.at!,
          // The same on every replica and round for one state of one object: resolve takes it once.
          deliveryId: createHash('sha256').update(JSON.stringify(['observed', object.metadata?.uid ?? name, name, observed.outcome, observed.at, observed.revision ?? null])).digest('hex'),
          observedIn: name
        }
        // Handed once per state by this replica: the engine's answer does not change on a repeat.
        if (handed.has(result.deliveryId)) continue
        try {
          const answer = await deps.accept(result) as { status?: string } | undefined
          handed.add(result.deliveryId)
          handedCount++
          if (answer?.status === 'accepted') outcome = observed.outcome === 'success' ? 'success' : 'failure'
        } catch (err) {
          logger.warn({ object: result.object, err: (err as Error).message }, 'could not hand an observed outcome over; tried again next round')
        }
      }
      for (const td of tds) {
        seen.set(td.triggeredId, { checkedAt: now, objects: lines.length > 0 ? lines : ['no HelmRelease, Kustomization or Application maps to this service'], ...(outcome ? { outcome } : {}) })
      }
    }
    if (handedCount > 0) logger.debug({ handed: handedCount }, 'observed outcomes handed to the engine')
    // Bounded: past four states per pending deployment, forget them all (a state handed again is a
    // duplicate to the engine, answered without effect).
    if (handed.size > 4 * maxPending) handed.clear()
    // Nothing more is due at once: the next round comes on the timer.
    return 0
  }

  // The first round one interval after start: a webhook usually comes first.
  let worker: Worker | undefined
  let stopped = false
  const first = setTimeout(() => { if (!stopped) worker = startWorker('observe', round, deps.intervalMs, logger) }, deps.intervalMs)
  first.unref()
  return {
    seen: triggeredId => seen.get(triggeredId),
    async stop () {
      stopped = true
      clearTimeout(first)
      await worker?.stop()
    }
  }
}
