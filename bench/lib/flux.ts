import { signBody } from '../../app/core/auth.js'
import { hmacKey } from '../../tests/helpers/app.js'
import { fluxEvent } from '../../tests/helpers/flux.js'

export interface ServiceRef { project: string, stage: string, service: string }
export interface Signed { body: string, signature: string }

export const fluxHeaders = (s: Signed) => ({ 'content-type': 'application/json', 'x-signature': s.signature })

export function sign (event: unknown, key = hmacKey): Signed {
  const body = JSON.stringify(event)
  return { body, signature: signBody(body, key) }
}

/** A helm-controller event for a service mapped through event metadata (Flux ≥ 2.5 annotations). */
export function fluxFor (svc: ServiceRef, over: Record<string, unknown> = {}) {
  const name = svc.service
  const namespace = `${svc.project}-${svc.stage}`
  return fluxEvent({
    involvedObject: { kind: 'HelmRelease', namespace, name, apiVersion: 'helm.toolkit.fluxcd.io/v2', uid: 'c1a3e5f0-7b9d-4f5e-9a1b-2c3d4e5f6a7b' },
    message: `Helm upgrade succeeded for release ${namespace}/${name}.v2 with chart ${name}@0.3.2`,
    metadata: { revision: '0.3.2', 'keptn-project': svc.project, 'keptn-stage': svc.stage, 'keptn-service': svc.service },
    ...over
  })
}

export const services = (prefix: string, count: number, project = 'bench', stage = 'dev'): ServiceRef[] =>
  Array.from({ length: count }, (_, i) => ({ project, stage, service: `${prefix}-${i}` }))
