import type { Resolver } from './types.js'
import { mappingFromLabels } from './labels-resolver.js'

// Flux ≥ 2.5 forwards `event.toolkit.fluxcd.io/<key>` annotations (and Alert eventMetadata) as
// metadata `<key>`; Argo CD sources pass their annotations here.
const spellings = [
  { project: 'keptn-project', stage: 'keptn-stage', service: 'keptn-service', sequence: 'keptn-sequence' },
  { project: 'event.toolkit.fluxcd.io/keptn-project', stage: 'event.toolkit.fluxcd.io/keptn-stage', service: 'event.toolkit.fluxcd.io/keptn-service', sequence: 'event.toolkit.fluxcd.io/keptn-sequence' },
  { project: 'keptn.sh/project', stage: 'keptn.sh/stage', service: 'keptn.sh/service', sequence: 'keptn.sh/sequence' }
]

export function metadataResolver (): Resolver {
  return {
    name: 'metadata',
    resolve (input) {
      for (const keys of spellings) {
        const found = mappingFromLabels(input.metadata, keys, 'metadata')
        if (found) return found
      }
      return undefined
    }
  }
}
