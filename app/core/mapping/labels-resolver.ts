import type { Mapping, Resolver } from './types.js'
import { isKeptnName } from './keptn-name.js'

export interface LabelKeys {
  project: string
  stage: string
  service: string
  sequence?: string
}

export const defaultLabelKeys: LabelKeys = { project: 'keptn.sh/project', stage: 'keptn.sh/stage', service: 'keptn.sh/service' }
const defaultSequenceKey = 'keptn.sh/sequence'

/**
 * A complete mapping from a key/value map (labels, annotations or metadata), or undefined when a
 * key is missing or a value is no Keptn name. An invalid sequence is left out, not fatal.
 */
export function mappingFromLabels (labels: Record<string, string> | undefined, keys: LabelKeys, via: string): Mapping | undefined {
  if (!labels) return undefined
  const project = labels[keys.project]
  const stage = labels[keys.stage]
  const service = labels[keys.service]
  if (!isKeptnName(project) || !isKeptnName(stage) || !isKeptnName(service)) return undefined
  const sequence = keys.sequence === undefined ? undefined : labels[keys.sequence]
  return { project, stage, service, via, ...(isKeptnName(sequence) ? { sequence } : {}) }
}

/** Labels carried in the payload (Argo CD Applications); Flux never sends labels. */
export function labelsResolver (keys: LabelKeys = defaultLabelKeys): Resolver {
  const withSequence = { sequence: defaultSequenceKey, ...keys }
  return { name: 'labels', resolve: input => mappingFromLabels(input.labels, withSequence, 'labels') }
}
