import type { Mapping, Resolver } from './types.js'
import { isKeptnName } from './keptn-name.js'

export interface LabelKeys {
  project: string
  stage: string
  service: string
}

export const defaultLabelKeys: LabelKeys = { project: 'keptn.sh/project', stage: 'keptn.sh/stage', service: 'keptn.sh/service' }

/** A complete mapping from a key/value map (labels or metadata), or undefined. */
export function mappingFromLabels (labels: Record<string, string> | undefined, keys: LabelKeys & { sequence?: string }, via: string): Mapping | undefined {
  if (!labels) return undefined
  const project = labels[keys.project]
  const stage = labels[keys.stage]
  const service = labels[keys.service]
  if (!project || !stage || !service) return undefined
  if (![project, stage, service].every(isKeptnName)) return undefined
  const sequence = keys.sequence ? labels[keys.sequence] : undefined
  return { project, stage, service, via, ...(sequence && isKeptnName(sequence) ? { sequence } : {}) }
}

/** Labels carried in the payload (Argo CD Applications); Flux never sends labels. */
export function labelsResolver (keys: LabelKeys = defaultLabelKeys): Resolver {
  const withSequence = { ...keys, sequence: 'keptn.sh/sequence' }
  return { name: 'labels', resolve: input => mappingFromLabels(input.labels, withSequence, 'labels') }
}
