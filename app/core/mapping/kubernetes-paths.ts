import type { ObjectRef } from '../types.js'

// Flux events may omit involvedObject.apiVersion; these are the versions current Flux (≥ 2.6) serves.
const fallbackApiVersions: Record<string, string> = {
  helmrelease: 'helm.toolkit.fluxcd.io/v2',
  kustomization: 'kustomize.toolkit.fluxcd.io/v1',
  gitrepository: 'source.toolkit.fluxcd.io/v1',
  helmrepository: 'source.toolkit.fluxcd.io/v1',
  helmchart: 'source.toolkit.fluxcd.io/v1',
  bucket: 'source.toolkit.fluxcd.io/v1',
  ocirepository: 'source.toolkit.fluxcd.io/v1'
}

/** The resource name of a kind, as the API server spells it in URLs (HelmRelease → helmreleases). */
export function pluralOf (kind: string): string {
  const singular = kind.toLowerCase()
  if (singular === 'endpoints') return singular
  if (/(s|x|z|ch|sh)$/.test(singular)) return `${singular}es`
  if (/[^aeiou]y$/.test(singular)) return `${singular.slice(0, -1)}ies`
  return `${singular}s`
}

function segment (value: string, what: string): string {
  if (value === '' || value === '.' || value === '..') throw new Error(`invalid ${what} '${value}'`)
  return encodeURIComponent(value)
}

/** The API prefix for an apiVersion: `v1` is the core group under /api, `group/version` under /apis. */
function apiPrefix (apiVersion: string): string {
  const parts = apiVersion.split('/')
  if (parts.length === 1) return `/api/${segment(parts[0]!, 'apiVersion')}`
  if (parts.length === 2) return `/apis/${segment(parts[0]!, 'API group')}/${segment(parts[1]!, 'API version')}`
  throw new Error(`invalid apiVersion '${apiVersion}'`)
}

/** The API server path that LISTs a kind (by its plural), in one namespace or in all. */
export function collectionPath (apiVersion: string, plural: string, namespace?: string): string {
  const scope = namespace ? `/namespaces/${segment(namespace, 'namespace')}` : ''
  return `${apiPrefix(apiVersion)}${scope}/${segment(plural, 'kind')}`
}

/** The API server path that GETs one object; throws when the reference cannot name one. */
export function objectPath (ref: ObjectRef): string {
  const apiVersion = ref.apiVersion || fallbackApiVersions[ref.kind.toLowerCase()]
  if (!apiVersion) throw new Error(`no apiVersion for kind '${ref.kind}' and no known default`)
  return `${collectionPath(apiVersion, pluralOf(ref.kind), ref.namespace || undefined)}/${segment(ref.name, 'name')}`
}
