import type { Log } from '../log.js'
import type { Mapping, MappingInput, Resolver } from './types.js'

export interface MappingChain {
  resolve (input: MappingInput): Promise<Mapping | undefined>
}

/**
 * Tries each resolver in order; the first complete answer (project, stage and service) wins.
 * A resolver that throws or rejects is logged and skipped: mapping never fails an event.
 */
export function resolverChain (resolvers: Resolver[], logger?: Pick<Log, 'warn'>): MappingChain {
  return {
    async resolve (input) {
      for (const resolver of resolvers) {
        try {
          const found = await resolver.resolve(input)
          if (found?.project && found.stage && found.service) return { ...found, via: found.via || resolver.name }
        } catch (err) {
          logger?.warn({ resolver: resolver.name, object: input.object, err: (err as Error)?.message ?? String(err) }, 'mapping resolver failed; trying the next')
        }
      }
      return undefined
    }
  }
}
