import { createHash } from 'node:crypto'
import type { FluxEvent } from '../../../schemas/flux-event.js'
import type { DeploymentResult, ObjectRef } from '../types.js'
import { classify } from '../classify.js'
import { commitFromRevision, commitHintFromRevision, versionsFromRevision } from '../versions.js'

/** Translates a Flux notification-controller event (v2 and older v2beta1 wording) into a DeploymentResult. */
export function fromFluxEvent (event: FluxEvent, rawBody: Buffer | string): DeploymentResult {
  const metadata = event.metadata ?? {}
  const revision = metadata.revision ?? metadata.originRevision
  const { kind, namespace, name, apiVersion, uid } = event.involvedObject
  const object: ObjectRef = { kind, namespace: namespace ?? '', name }
  if (apiVersion) object.apiVersion = apiVersion
  if (uid) object.uid = uid
  const commit = commitFromRevision(revision) ?? commitFromRevision(metadata.originRevision)
  const commitHint = commit ? undefined : commitHintFromRevision(revision, metadata)
  return {
    source: 'flux',
    object,
    outcome: classify({ ...event, controller: event.reportingController }).outcome,
    reason: event.reason,
    message: event.message,
    versions: versionsFromRevision(revision, metadata),
    ...(commit ? { commit } : {}),
    ...(commitHint ? { commitHint } : {}),
    ...(revision ? { revision } : {}),
    metadata,
    occurredAt: Date.parse(event.timestamp),
    // Flux retries carry identical bytes: the body's digest identifies the delivery.
    deliveryId: createHash('sha256').update(rawBody).digest('hex')
  }
}
