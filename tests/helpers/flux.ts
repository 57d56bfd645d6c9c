import { signBody } from '../../app/core/auth.js'
import { hmacKey } from './app.js'

const mapped = { 'keptn-project': 'podtato', 'keptn-stage': 'dev', 'keptn-service': 'helloservice' }

/** A realistic Flux event: helm-controller reporting an upgrade of podtato-dev/helloservice. */
export function fluxEvent (over: Record<string, unknown> = {}) {
  return {
    involvedObject: { kind: 'HelmRelease', namespace: 'podtato-dev', name: 'helloservice', apiVersion: 'helm.toolkit.fluxcd.io/v2', uid: 'c1a3e5f0-7b9d-4f5e-9a1b-2c3d4e5f6a7b' },
    severity: 'info',
    timestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    message: 'Helm upgrade succeeded for release podtato-dev/helloservice.v2 with chart podtato-head@0.3.2',
    reason: 'UpgradeSucceeded',
    metadata: { revision: '0.3.2', ...mapped },
    reportingController: 'helm-controller',
    reportingInstance: 'helm-controller-7d9f8b6c5-x2x4z',
    ...over
  }
}

export function unmapped (event: ReturnType<typeof fluxEvent>) {
  const metadata = { ...(event.metadata as Record<string, string>) }
  for (const key of Object.keys(mapped)) delete metadata[key]
  return { ...event, metadata }
}

/** An inject/undici-ready POST /hooks/flux, signed with the test key. */
export function fluxRequest (body: unknown, key = hmacKey) {
  const payload = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body)
  return {
    method: 'POST' as const,
    url: '/hooks/flux',
    headers: { 'content-type': 'application/json', 'x-signature': signBody(payload, key) },
    payload
  }
}
