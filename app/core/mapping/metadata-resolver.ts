import type { Resolver } from './types.js'
import { mappingFromLabels } from './labels-resolver.js'

// Flux ≥ 2.5 forwards `event.toolkit.fluxcd.io/<key>` annotations (and Alert eventMetadata) as
// metadata `<key>`; Argo CD sources pass their annotations here. Earlier spellings win per field.
const spellings = {
  project: ['keptn-project', 'event.toolkit.fluxcd.io/keptn-project', 'keptn.sh/project'],
  stage: ['keptn-stage', 'event.toolkit.fluxcd.io/keptn-stage', 'keptn.sh/stage'],
  service: ['keptn-service', 'event.toolkit.fluxcd.io/keptn-service', 'keptn.sh/service'],
  sequence: ['keptn-sequence', 'event.toolkit.fluxcd.io/keptn-sequence', 'keptn.sh/sequence']
}

export function metadataResolver (): Resolver {
  return {
    name: 'metadata',
    resolve (input) {
      const metadata = input.metadata ?? {}
      const pick = (keys: string[]) => keys.find(key => metadata[key]) ?? keys[0]!
      const keys = {
        project: pick(spellings.project),
        stage: pick(spellings.stage),
        service: pick(spellings.service),
        sequence: pick(spellings.sequence)
      }
      return mappingFromLabels(metadata, keys, 'metadata')
    }
  }
}
