import { createHash } from 'node:crypto'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { DeploymentTriggeredData, IncomingKeptnEvent, type KeptnCloudEvent } from '../../schemas/keptn-event.js'
import type { OutboxEntry, TriggeredDeployment } from './types.js'
import { isCommitLike, normaliseVersion } from './versions.js'

/** Keptn's timestamp format (go-utils timeutils.KeptnTimeFormatISO8601: milliseconds, Z). */
export const keptnTime = (ms: number): string => new Date(ms).toISOString()

export const DEPLOYMENT_TRIGGERED = 'sh.keptn.event.deployment.triggered'
export const DEPLOYMENT_STARTED = 'sh.keptn.event.deployment.started'
export const DEPLOYMENT_FINISHED = 'sh.keptn.event.deployment.finished'
export const KEPTN_SPEC_VERSION = '0.2.4'

// Keptn rejects bodies over 64 KiB; stay well clear of it so labels and the envelope have room.
export const MAX_EVENT_BYTES = 48 * 1024
/** Labels of a triggered event the bridge takes on (JSON bytes); they travel in every event it sends. */
export const MAX_LABEL_BYTES = 16 * 1024
/** An image reference longer than this is no image (OCI names and tags stay far below). */
export const MAX_IMAGE_LENGTH = 1024

// Fixed namespace for UUID v5 event ids: the same outbox entry always gets the same event id.
const ID_NAMESPACE = Buffer.from('6f1c7a52d0e34c1b9a1e5b2f8c4d7e90', 'hex')

export function eventIdFor (entryId: string): string {
  const hash = createHash('sha1').update(ID_NAMESPACE).update(entryId).digest()
  hash[6] = (hash[6]! & 0x0f) | 0x50
  hash[8] = (hash[8]! & 0x3f) | 0x80
  const hex = hash.subarray(0, 16).toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/** The exact CloudEvent to POST for an outbox entry. Pure: same entry, same event (bar `time`). */
export function buildCloudEvent (entry: OutboxEntry, source: string, now = Date.now()): KeptnCloudEvent {
  const envelope = {
    specversion: '1.0',
    id: eventIdFor(entry.id),
    source,
    time: new Date(now).toISOString(),
    datacontenttype: 'application/json',
    shkeptnspecversion: KEPTN_SPEC_VERSION
  }
  if (entry.kind === 'trigger') {
    const { trigger } = entry
    // No `gitcommitid`: shipyard-controller keeps a sequence's gitcommitid for every task of it
    // (1.4.5 shipyardcontroller.go: Scope.GitCommitID), and later tasks read Keptn's own
    // configuration repo at that commit (lighthouse's slo.yaml). A GitOps commit is not there:
    // shipyard-controller then fills in the stage's latest commit itself. The GitOps revision
    // travels in labels.
    return {
      ...envelope,
      type: `sh.keptn.event.${trigger.stage}.${trigger.sequence}.triggered`,
      shkeptncontext: trigger.keptnContext,
      // shipyard-controller merges a sequence's triggered data into each task's: `evaluation` is
      // what lighthouse-service reads (start_evaluation_handler.go getEvaluationTimestamps).
      data: { project: trigger.project, stage: trigger.stage, service: trigger.service, labels: trigger.labels, ...(trigger.evaluation ? { evaluation: trigger.evaluation } : {}) }
    }
  }
  const { pending } = entry
  const key = { project: pending.project, stage: pending.stage, service: pending.service }
  const labels = pending.labels ? { labels: pending.labels } : {}
  // Keptn's own configuration commit, echoed as Keptn's services do; never a GitOps commit.
  const configCommit = pending.configCommit ? { gitcommitid: pending.configCommit } : {}
  if (entry.kind === 'started') {
    return {
      ...envelope,
      type: DEPLOYMENT_STARTED,
      shkeptncontext: pending.keptnContext,
      triggeredid: pending.triggeredId,
      ...configCommit,
      data: { ...key, status: 'succeeded', ...labels }
    }
  }
  const { result } = entry
  // The GitOps commit goes in data.deployment.gitCommit only (what was deployed), never in the
  // envelope's gitcommitid (Keptn's configuration repo).
  const gitCommit = result.gitCommit ?? pending.pushed ?? pending.commit
  const event: KeptnCloudEvent = {
    ...envelope,
    type: DEPLOYMENT_FINISHED,
    shkeptncontext: pending.keptnContext,
    triggeredid: pending.triggeredId,
    ...configCommit,
    data: {
      ...key,
      status: result.status,
      result: result.result,
      message: '',
      ...labels,
      deployment: {
        deploymentstrategy: pending.deploymentStrategy ?? 'direct',
        deploymentNames: result.deploymentNames,
        deploymentURIsLocal: [],
        deploymentURIsPublic: [],
        gitCommit: gitCommit ?? ''
      }
    }
  }
  const baseBytes = Buffer.byteLength(JSON.stringify(event))
  event.data.message = fitMessage(result.message, MAX_EVENT_BYTES - baseBytes)
  return event
}

export const TRUNCATED_MARKER = ' … [truncated]'

const jsonBytes = (s: string) => Buffer.byteLength(JSON.stringify(s)) - 2

/** Cuts `message` so its JSON-escaped UTF-8 form fits in `budget` bytes, marking the cut. */
export function fitMessage (message: string, budget: number): string {
  if (Buffer.byteLength(message) <= budget && jsonBytes(message) <= budget) return message
  const room = budget - jsonBytes(TRUNCATED_MARKER)
  let used = 0
  let cut = ''
  // Escaped bytes are never fewer than UTF-16 units, so looking at the first `room` units is enough.
  for (const ch of message.slice(0, Math.max(room, 0))) {
    const size = jsonBytes(ch)
    if (used + size > room) break
    used += size
    cut += ch
  }
  return cut + TRUNCATED_MARKER
}

export type TriggeredParse = { ok: true, value: TriggeredDeployment } | { ok: false, reason: string }

const checkEnvelope = TypeCompiler.Compile(IncomingKeptnEvent)
const checkData = TypeCompiler.Compile(DeploymentTriggeredData)

function fieldOf (path: string): string {
  return path.replace(/^\//, '').replaceAll('/', '.') || '(root)'
}

/** The tag of an image reference (`host:5000/app:1.2` → `1.2`); undefined without a tag. */
export function imageTag (image: string): string | undefined {
  const ref = image.split('@')[0]!
  const name = ref.slice(ref.lastIndexOf('/') + 1)
  const colon = name.lastIndexOf(':')
  if (colon < 0) return undefined
  const tag = name.slice(colon + 1)
  return tag === '' || tag === 'latest' ? undefined : tag
}

function pickCommit (...candidates: Array<string | undefined>): string | undefined {
  const found = candidates.find(c => c !== undefined && isCommitLike(c))
  return found?.toLowerCase()
}

/** Validates a `deployment.triggered` CloudEvent and turns it into the domain shape. */
export function triggeredFromCloudEvent (ev: unknown, now: number, deadlineMs: number): TriggeredParse {
  const envelopeError = checkEnvelope.Errors(ev).First()
  if (envelopeError) return { ok: false, reason: `${fieldOf(envelopeError.path)}: ${envelopeError.message}` }
  const event = ev as IncomingKeptnEvent
  if (event.type !== DEPLOYMENT_TRIGGERED) return { ok: false, reason: `type: expected ${DEPLOYMENT_TRIGGERED}, got ${event.type}` }
  const dataError = checkData.Errors(event.data).First()
  if (dataError) return { ok: false, reason: `data.${fieldOf(dataError.path)}: ${dataError.message}` }
  const data = event.data as DeploymentTriggeredData
  const labels = data.labels ?? undefined
  // Labels go into every event the bridge sends for this deployment, and Keptn refuses events over
  // 64 KiB: refuse at intake what could only end as a dead letter (and bound what is stored).
  const labelBytes = labels ? Buffer.byteLength(JSON.stringify(labels)) : 0
  if (labelBytes > MAX_LABEL_BYTES) return { ok: false, reason: `data.labels: ${labelBytes} bytes, over ${MAX_LABEL_BYTES} (they are sent back to Keptn in every event, and Keptn refuses events over 64 KiB)` }
  const rawImage = data.configurationChange?.values?.['image']
  const image = typeof rawImage === 'string' && rawImage !== '' ? rawImage : undefined
  if (image !== undefined && image.length > MAX_IMAGE_LENGTH) return { ok: false, reason: `data.configurationChange.values.image: ${image.length} characters, over ${MAX_IMAGE_LENGTH}` }
  const version = (image && imageTag(image)) ?? labels?.['version'] ?? labels?.['tag']
  // `gitcommitid` is Keptn's configuration-repo commit (shipyard-controller sets it on every
  // triggered event): it says nothing about the GitOps repo. An expected GitOps commit comes only
  // from a label the user sets, or later from the bridge's own Git write.
  const commit = pickCommit(labels?.['gitCommit'], labels?.['commit'])
  const configCommit = typeof event.gitcommitid === 'string' && isCommitLike(event.gitcommitid) ? event.gitcommitid.toLowerCase() : undefined
  const strategy = data.deployment?.deploymentstrategy
  const value: TriggeredDeployment = {
    project: data.project,
    stage: data.stage,
    service: data.service,
    triggeredId: event.id,
    keptnContext: event.shkeptncontext,
    receivedAt: now,
    deadline: now + deadlineMs
  }
  if (version) value.version = normaliseVersion(version)
  if (commit) value.commit = commit
  if (configCommit) value.configCommit = configCommit
  if (image) value.image = image
  if (strategy) value.deploymentStrategy = strategy
  if (labels) value.labels = labels
  return { ok: true, value }
}
