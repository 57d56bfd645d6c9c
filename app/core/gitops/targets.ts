import { readFile } from 'node:fs/promises'
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Pair } from 'yaml'
import type { ServiceKey } from '../types.js'
import { parseYamlPath, YamlPathError } from './yaml-edit.js'
import { MAX_IMAGE_LENGTH } from '../keptn-events.js'

export type WriteMode = 'tag' | 'image'

/** One entry of the GIT_TARGETS file, as written (file may hold placeholders, stage/service may be `*`). */
/** A target matched to one service: placeholders in `file` are filled in. */
export interface ResolvedTarget extends ServiceKey {
  repo: string
  branch: string
  file: string
  path: string
  write: WriteMode
  /**
   * imagePattern: a regular expression the whole image reference must match before it is written
   * (e.g. `ghcr\.io/podtato-head/podtato-server:v[0-9.]+`); absent = any image.
   */
  imagePattern?: string
  /** Position in the targets file, for messages. */
  index: number
}

/** A target as written in the targets file (project, stage, service and file may hold placeholders). */
export interface GitTarget extends ResolvedTarget {
  line: number
}

export class GitTargetsError extends Error {
  readonly code = 'GIT_TARGETS_INVALID'
  constructor (readonly fileName: string, readonly reason: string, readonly index?: number, readonly line?: number) {
    const where = [index === undefined ? '' : `targets[${index}]`, line === undefined ? '' : `(line ${line})`].filter(Boolean).join(' ')
    super(`${fileName}: ${where ? `${where}: ` : ''}${reason}`)
    this.name = 'GitTargetsError'
  }
}

const keys = ['project', 'stage', 'service', 'repo', 'branch', 'file', 'path', 'write', 'imagePattern'] as const
type Key = typeof keys[number]
const placeholder = /\{([^}]*)\}/g

export async function loadGitTargets (path: string): Promise<GitTarget[]> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new GitTargetsError(path, `cannot read the file: ${(err as Error).message}`)
  }
  return parseGitTargets(text, path)
}

export function parseGitTargets (text: string, fileName: string): GitTarget[] {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true })
  const lineOf = (offset: number | undefined): number => lineCounter.linePos(offset ?? 0).line
  const bad = doc.errors[0]
  if (bad) throw new GitTargetsError(fileName, `not valid YAML: ${bad.message.split('\n')[0]}`, undefined, lineOf(bad.pos[0]))
  const root = doc.contents
  if (!isMap(root)) throw new GitTargetsError(fileName, 'expected a map with a "targets" list')
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : ''
    if (key !== 'targets') throw new GitTargetsError(fileName, `unknown top-level key "${key}" (only "targets" is allowed)`, undefined, lineOf(pairStart(pair)))
  }
  const list = root.get('targets', true)
  if (!isSeq(list)) throw new GitTargetsError(fileName, '"targets" must be a list')
  return list.items.map((item, index) => {
    const line = lineOf((item as { range?: [number] } | null)?.range?.[0])
    const fail = (reason: string): never => { throw new GitTargetsError(fileName, reason, index, line) }
    if (!isMap(item)) return fail('each target must be a map')
    const fields: Partial<Record<Key, string>> = {}
    for (const pair of item.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key)
      if (!(keys as readonly string[]).includes(key)) fail(`unknown key "${key}" (allowed: ${keys.join(', ')})`)
      if (pair.value === null || (isScalar(pair.value) && pair.value.value === null)) continue
      if (!isScalar(pair.value) || typeof pair.value.value === 'object') fail(`"${key}" must be a string`)
      fields[key as Key] = String((pair.value as { value: unknown }).value).trim()
    }
    return checkTarget(fields, index, line, fail)
  })
}

function pairStart (pair: Pair): number | undefined {
  return (pair.key as { range?: [number] } | null)?.range?.[0]
}

function checkTarget (f: Partial<Record<Key, string>>, index: number, line: number, fail: (reason: string) => never): GitTarget {
  for (const key of ['project', 'repo', 'file', 'path'] as const) {
    if (!f[key]) fail(`missing "${key}"`)
  }
  const target = {
    project: f.project as string,
    stage: f.stage || '*',
    service: f.service || '*',
    repo: f.repo as string,
    branch: f.branch || 'main',
    file: f.file as string,
    path: f.path as string,
    write: (f.write || 'tag') as WriteMode,
    ...(f.imagePattern ? { imagePattern: f.imagePattern } : {}),
    index,
    line
  }
  if (target.imagePattern !== undefined) {
    try {
      imageMatcher(target.imagePattern)
    } catch (err) {
      fail(`bad "imagePattern": ${(err as Error).message}`)
    }
  }
  if (target.project === '*') fail('"project" must name one project ("*" is allowed for stage and service only)')
  if (target.write !== 'tag' && target.write !== 'image') fail(`bad "write": "${target.write}" (use "tag" or "image")`)
  const repoProblem = checkRepo(target.repo)
  if (repoProblem) fail(repoProblem)
  if (/\s|\.\.|^-|[~^:?*[\\]/.test(target.branch)) fail(`"branch" is not a valid branch name: "${target.branch}"`)
  for (const m of target.file.matchAll(placeholder)) {
    if (!['project', 'stage', 'service'].includes(m[1] as string)) fail(`unknown placeholder "${m[0]}" in "file" (use {project}, {stage}, {service})`)
  }
  if (target.file.startsWith('/') || target.file.split('/').includes('..')) fail(`"file" must be a path inside the repository: "${target.file}"`)
  try {
    parseYamlPath(target.path)
  } catch (err) {
    if (err instanceof YamlPathError) fail(`bad "path": ${err.message}`)
    throw err
  }
  return target
}

function checkRepo (repo: string): string | undefined {
  if (/^[\w.-]+@[\w.-]+:(?!\/)/.test(repo)) return undefined // scp-like ssh: git@host:org/repo.git
  let url: URL
  try {
    url = new URL(repo)
  } catch {
    return `"repo" is not a URL: "${repo}" (use https://, ssh:// or file://)`
  }
  if (!['https:', 'http:', 'ssh:', 'file:'].includes(url.protocol)) {
    return `unsupported repo scheme "${url.protocol}" (use https://, http://, ssh:// or file://)`
  }
  if (url.password) return '"repo" must not carry a password; put the token in GIT_TOKEN_FILE'
  return undefined
}

/** The target for this service: an entry naming the service beats a `*` one, then the stage decides, then file order. */
export function findTarget (targets: GitTarget[], key: ServiceKey): ResolvedTarget | undefined {
  let best: GitTarget | undefined
  let bestScore = -1
  for (const t of targets) {
    if (t.project !== key.project) continue
    if (t.stage !== '*' && t.stage !== key.stage) continue
    if (t.service !== '*' && t.service !== key.service) continue
    const score = (t.service === '*' ? 0 : 2) + (t.stage === '*' ? 0 : 1)
    if (score > bestScore) {
      best = t
      bestScore = score
    }
  }
  if (!best) return undefined
  const names: Record<string, string> = { project: key.project, stage: key.stage, service: key.service }
  return {
    ...key,
    repo: best.repo,
    branch: best.branch,
    file: best.file.replace(placeholder, (_, name: string) => names[name] ?? ''),
    path: best.path,
    write: best.write,
    ...(best.imagePattern ? { imagePattern: best.imagePattern } : {}),
    index: best.index
  }
}

/** The whole-image test for an imagePattern (anchored: a pattern never matches part of an image). */
export function imageMatcher (pattern: string): (image: string) => boolean {
  const re = new RegExp(`^(?:${pattern})$`, 'u')
  return image => image.length <= MAX_IMAGE_LENGTH && re.test(image)
}
