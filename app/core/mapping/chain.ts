import type { Mapping, MappingInput, Resolver } from './types.js'

export interface ChainLogger {
  warn (obj: object, msg: string): void
}

/** Tries each resolver in order; the first complete answer wins. A failing resolver is skipped. */
export function resolverChain (resolvers: Resolver[], logger?: ChainLogger) {
  return {
    async resolve (input: MappingInput): Promise<Mapping | undefined> {
      for (const resolver of resolvers) {
        try {
          const found = await resolver.resolve(input)
          if (found) return found
        } catch (err) {
          logger?.warn({ resolver: resolver.name, object: input.object, err: (err as Error).message }, 'mapping resolver failed; trying the next')
        }
      }
      return undefined
    }
  }
}
