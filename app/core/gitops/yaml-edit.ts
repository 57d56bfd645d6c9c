import { isAlias, isMap, isScalar, isSeq, parseAllDocuments, type Scalar } from 'yaml'

export type PathSegment = string | number

export class YamlPathError extends Error {
  readonly code = 'YAML_PATH'
}

const pathShape = /^(?:[^.[\]\s]+|\[\d+\])(?:\[\d+\])*(?:\.[^.[\]\s]+(?:\[\d+\])*)*$/

/** Parses `spec.values.image.tag` or `spec.containers[0].image` into segments. */
export function parseYamlPath (path: string): PathSegment[] {
  if (!pathShape.test(path)) {
    throw new YamlPathError(`cannot parse path "${path}": use dotted keys with [n] for list items, e.g. spec.values.image.tag`)
  }
  return [...path.matchAll(/\[(\d+)\]|[^.[\]]+/g)].map(m => m[1] === undefined ? m[0] : Number(m[1]))
}

export function formatYamlPath (segments: PathSegment[]): string {
  return segments.map((s, i) => typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`).join('')
}

type Located = { node: Scalar, missing?: undefined } | { node?: undefined, missing: string }

function locate (root: unknown, segments: PathSegment[]): Located {
  let node = root
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as PathSegment
    const at = formatYamlPath(segments.slice(0, i)) || 'the document root'
    if (isAlias(node)) return { missing: `${at} is an alias; edit the anchored value instead` }
    if (typeof segment === 'number') {
      if (!isSeq(node)) return { missing: `${at} is not a list` }
      if (segment >= node.items.length) return { missing: `${at} has no item [${segment}] (it has ${node.items.length})` }
      node = node.items[segment]
    } else {
      if (!isMap(node)) return { missing: `${at} is not a map` }
      if (!node.has(segment)) return { missing: `key "${segment}" not found under ${at}` }
      node = node.get(segment, true)
    }
  }
  if (!isScalar(node)) return { missing: `${formatYamlPath(segments)} is not a plain value (it holds a map, list or alias)` }
  return { node }
}

/**
 * Sets the scalar at `path` to the string `value`, changing only the bytes of that scalar so
 * comments, quoting and layout elsewhere stay as the author wrote them. Every key on the path must
 * already exist: a typo in a target's path must fail loudly, not add a key nothing reads.
 */
export function setYamlPath (text: string, path: string | PathSegment[], value: string): { text: string, changed: boolean } {
  const segments = typeof path === 'string' ? parseYamlPath(path) : path
  const where = formatYamlPath(segments)
  const docs = parseAllDocuments(text)
  if (!Array.isArray(docs) || docs.length === 0) throw new YamlPathError(`${where}: the file holds no YAML document`)
  const broken = docs.find(d => d.errors.length > 0)
  if (broken) throw new YamlPathError(`not valid YAML: ${broken.errors[0]?.message}`)

  const found = docs.map(d => locate(d.contents, segments))
  const hits = found.flatMap((f, i) => f.node ? [{ node: f.node, doc: i }] : [])
  if (hits.length === 0) {
    throw new YamlPathError(docs.length === 1 ? `${where}: ${found[0]?.missing}` : `${where} not found in any of the ${docs.length} documents`)
  }
  if (hits.length > 1) throw new YamlPathError(`${where} is found in ${hits.length} documents; cannot tell which one to edit`)
  const { node, doc } = hits[0] as { node: Scalar, doc: number }

  const current = node.type === 'PLAIN' ? (node.source ?? String(node.value ?? '')) : String(node.value ?? '')
  if (current === value && node.value !== null) return { text, changed: false }
  if (node.type === 'BLOCK_FOLDED' || node.type === 'BLOCK_LITERAL') {
    throw new YamlPathError(`${where} is a block scalar (| or >); make it a one-line value`)
  }
  const [start, end] = node.range as [number, number, number]
  const lead = start > 0 && !/\s/.test(text[start - 1] as string) ? ' ' : ''
  const trail = start === end && /[^\s]/.test(text[end] ?? '\n') ? ' ' : ''
  const double = JSON.stringify(value)
  const single = `'${value.replaceAll("'", "''")}'`
  const candidates = node.type === 'QUOTE_DOUBLE' ? [double] : node.type === 'QUOTE_SINGLE' ? [single, double] : [value, double]
  for (const candidate of candidates) {
    const next = text.slice(0, start) + lead + candidate + trail + text.slice(end)
    // A plain 1.10 would read back as the number 1.1: re-read and fall back to quoting
    if (readsBack(next, segments, doc, value)) return { text: next, changed: true }
  }
  throw new YamlPathError(`${where}: could not write "${value}" as a YAML string`)
}

function readsBack (text: string, segments: PathSegment[], doc: number, value: string): boolean {
  const docs = parseAllDocuments(text)
  if (!Array.isArray(docs) || docs.some(d => d.errors.length > 0)) return false
  const { node } = locate(docs[doc]?.contents, segments)
  return node?.value === value
}
