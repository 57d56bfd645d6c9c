import type { Log as Logger } from '../log.js'
import type { Metrics } from '../metrics.js'
import type { Config } from '../../../schemas/config.js'
import { ConfigError } from '../../config.js'
import type { Resolver } from './types.js'
import type { ObjectRef } from '../types.js'
import { resolverChain } from './chain.js'
import { labelsResolver } from './labels-resolver.js'
import { metadataResolver } from './metadata-resolver.js'
import { fileResolver, loadMappingFile } from './mapping-file.js'
import { createKubernetesResolver, type KubernetesResolver } from './kubernetes.js'

/**
 * The resolver chain, first complete answer wins: labels in the payload (Argo CD), event metadata
 * or annotations, the object's labels from the Kubernetes API (only when the payload carried no
 * labels: Flux), then the mapping file. A bad mapping file stops start-up.
 */
export async function buildResolvers (config: Config, logger: Logger, metrics?: Pick<Metrics, 'kubernetesErrors'>) {
  const resolvers: Resolver[] = [labelsResolver(config.kubernetes.labelKeys), metadataResolver()]
  const closers: Array<() => Promise<void>> = []
  let getObject: ((ref: ObjectRef) => Promise<Record<string, unknown> | undefined>) | undefined
  let list: KubernetesResolver['list'] | undefined
  if (config.kubernetes.apiUrl) {
    const kubernetes = createKubernetesResolver({
      apiUrl: config.kubernetes.apiUrl,
      tokenFile: config.kubernetes.tokenFile,
      caFile: config.kubernetes.caFile,
      labelKeys: config.kubernetes.labelKeys,
      logger,
      onError: (operation, cause) => metrics?.kubernetesErrors.inc({ operation, cause })
    })
    resolvers.push(kubernetes)
    closers.push(kubernetes.close)
    getObject = kubernetes.getObject
    list = kubernetes.list
  }
  if (config.mappingFile) {
    try {
      resolvers.push(fileResolver(loadMappingFile(config.mappingFile)))
    } catch (err) {
      throw new ConfigError(`MAPPING_FILE: ${(err as Error).message}`)
    }
  }
  const chain = resolverChain(resolvers, logger)
  return {
    resolve: chain.resolve,
    /** Reads an object's current spec and status (only with a Kubernetes API). */
    getObject,
    /** Lists a kind by label selector (only with a Kubernetes API): observation's reads. */
    list,
    close: async () => { await Promise.all(closers.map(close => close())) }
  }
}
