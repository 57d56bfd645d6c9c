import type { ObjectRef, ServiceKey } from '../types.js'

/** What mapping looks at: the object a GitOps tool reported on and what came with it. */
export interface MappingInput {
  object: ObjectRef
  /** Flux event metadata, or Argo CD annotations. */
  metadata: Record<string, string>
  /** Labels when the payload carries them (Argo CD); Flux never sends labels. */
  labels?: Record<string, string>
}

export interface Mapping extends ServiceKey {
  /** Optional per-mapping override of the GitOps-first sequence name. */
  sequence?: string
  /** Which resolver answered, for logs and the response body. */
  via: string
}

/** One link of the resolver chain: answers with a complete mapping, or undefined to pass on. */
export interface Resolver {
  readonly name: string
  resolve (input: MappingInput): Promise<Mapping | undefined> | Mapping | undefined
}
