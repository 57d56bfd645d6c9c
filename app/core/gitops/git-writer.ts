import { createHash, randomUUID } from 'node:crypto'
import { access, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { isAbsolute, join, relative, resolve, sep } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { requestText } from '../http.js'
import { signBody } from '../auth.js'
import type { ServiceKey } from '../types.js'
import { GitCommandError, gitAuthEnv, redact, runGit } from './git.js'
import type { ResolvedTarget, WriteMode } from './targets.js'
import { setYamlPath, YamlPathError } from './yaml-edit.js'
import type { Log } from '../log.js'

export class GitWriteError extends Error {
  readonly code = 'GIT_WRITE_FAILED'
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'GitWriteError'
  }
}

export interface GitChange extends ServiceKey {
  /** The full image reference from `configurationChange.values.image`. */
  image: string
  keptnContext: string
  triggeredId: string
}

export interface GitWriteResult {
  changed: boolean
  /** The sha pushed, or the branch head already holding the value. */
  commit: string
  /** Set when beforePush said no: nothing was pushed. */
  abandoned?: true
}

/** Called with each commit about to be pushed; false abandons the write (nothing is pushed). */
export type BeforePush = (commit: string) => Promise<boolean>

export type GitWriterLogger = Pick<Log, 'info' | 'warn'>

export interface GitWriterOptions {
  workDir: string
  tokenFile?: string
  sshKeyFile?: string
  /** A Flux Receiver to nudge after a push; with a token the body is signed (generic-hmac). */
  receiver?: { url: string, token?: string }
  logger: GitWriterLogger
  maxAttempts?: number
  commandTimeoutMs?: number
  /** First backoff delay after a rejected push; doubles per attempt, with jitter. */
  retryDelayMs?: number
}

export interface GitWriter {
  write (target: ResolvedTarget, change: GitChange, beforePush?: BeforePush): Promise<GitWriteResult>
  close (): Promise<void>
}

/** The value to write: the whole reference, or its tag (`host:5000/app:1.2` → `1.2`). */
export function imageValue (image: string, write: WriteMode): string {
  const ref = image.trim()
  if (ref === '' || /\s/.test(ref)) throw new GitWriteError(`not an image reference: "${image}"`)
  if (write === 'image') return ref
  if (ref.includes('@')) throw new GitWriteError(`image ${ref} is pinned by digest, which a tag cannot express; use write: image`)
  const colon = ref.lastIndexOf(':')
  if (colon <= ref.lastIndexOf('/') || colon === ref.length - 1) throw new GitWriteError(`image ${ref} has no tag`)
  return ref.slice(colon + 1)
}

/** One warm clone per repository URL and branch. */
export function repoDir (workDir: string, repo: string, branch: string): string {
  return join(workDir, createHash('sha256').update(`${repo}\n${branch}`).digest('hex').slice(0, 24))
}

export function createGitWriter (options: GitWriterOptions): GitWriter {
  const { workDir, logger } = options
  const maxAttempts = options.maxAttempts ?? 5
  const timeoutMs = options.commandTimeoutMs ?? 60_000
  const retryDelayMs = options.retryDelayMs ?? 200
  const queues = new Map<string, Promise<unknown>>()
  const nudges = new Set<Promise<void>>()
  let closed = false

  // One write per clone at a time: git commands in one work tree must not interleave
  function serialise<T> (key: string, fn: () => Promise<T>): Promise<T> {
    const run = (queues.get(key) ?? Promise.resolve()).then(fn)
    const tail = run.then(() => {}, () => {})
    queues.set(key, tail)
    tail.then(() => { if (queues.get(key) === tail) queues.delete(key) })
    return run
  }

  async function credentials (repo: string): Promise<ReturnType<typeof gitAuthEnv>> {
    let token: string | undefined
    if (options.tokenFile && /^https?:/i.test(repo)) {
      // read per write so a rotated Secret is picked up without a restart
      token = (await readFile(options.tokenFile, 'utf8').catch(err => {
        throw new GitWriteError(`cannot read GIT_TOKEN_FILE: ${(err as Error).message}`)
      })).trim()
      if (token === '') throw new GitWriteError('GIT_TOKEN_FILE is empty')
    }
    return gitAuthEnv({ repo, token, sshKeyFile: options.sshKeyFile })
  }

  async function writeLocked (dir: string, target: ResolvedTarget, change: GitChange, value: string, beforePush?: BeforePush): Promise<GitWriteResult> {
    const { env, secrets } = await credentials(target.repo)
    const git = async (args: string[], input?: string, cwd = dir): Promise<string> =>
      (await runGit(args, { cwd, env, secrets, timeoutMs, input })).stdout.trim()
    const branch = target.branch
    const file = resolve(dir, target.file)
    const inside = relative(dir, file)
    if (inside === '' || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
      throw new GitWriteError(`file ${target.file} is outside the repository`)
    }
    try {
      await ensureClone(dir, target, git)
      for (let attempt = 1; ; attempt++) {
        await git(['fetch', '--quiet', '--no-tags', 'origin', `+refs/heads/${branch}:refs/remotes/origin/${branch}`])
        await git(['checkout', '--quiet', '--force', '-B', branch, `refs/remotes/origin/${branch}`])
        // A write taken over from a replica that died after its push finds its own commit there,
        // and waits for it: even if the value moved on since, writing it again would undo that.
        const own = await commitFor(git, change.triggeredId)
        if (own) return { changed: true, commit: own }
        const head = await git(['rev-parse', 'HEAD'])
        const text = await readFile(file, 'utf8').catch(() => {
          throw new GitWriteError(`${target.file} does not exist on branch ${branch} of ${redact(target.repo)}`)
        })
        const edit = setYamlPath(text, target.path, value)
        if (!edit.changed) return { changed: false, commit: head }
        await writeFile(file, edit.text)
        await git(['add', '--', target.file])
        await git(['-c', 'commit.gpgsign=false', 'commit', '--quiet', '--no-verify', '--cleanup=verbatim', '--file=-'],
          commitMessage(target, change, value))
        const commit = await git(['rev-parse', 'HEAD'])
        if (beforePush && !await beforePush(commit)) return { changed: false, commit, abandoned: true }
        const rejected = await push(git, branch)
        if (!rejected) {
          logger.info({ repo: redact(target.repo), branch, file: target.file, commit, attempt }, 'pushed deployment change to git')
          return { changed: true, commit }
        }
        if (attempt >= maxAttempts) {
          throw new GitWriteError(`push to ${redact(target.repo)} branch ${branch} was rejected ${attempt} times as the branch kept moving (${rejected})`)
        }
        const delay = retryDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random())
        logger.info({ repo: redact(target.repo), branch, attempt, delay: Math.round(delay), reason: rejected }, 'git push rejected, retrying on the new branch head')
        await sleep(delay)
      }
    } catch (err) {
      if (err instanceof YamlPathError) throw new GitWriteError(`${target.file}: ${err.message}`, { cause: err })
      if (err instanceof GitWriteError) throw err
      // a failed or killed command may leave locks or a half-updated tree: start fresh next time
      await rm(dir, { recursive: true, force: true })
      const reason = err instanceof GitCommandError ? err.message : redact(String((err as Error).message), secrets)
      const hint = /terminal prompts disabled|Authentication failed|Permission denied \(publickey/.test(reason)
        ? ' (the remote wants other credentials: check GIT_TOKEN_FILE or GIT_SSH_KEY_FILE)'
        : ''
      throw new GitWriteError(`git write to ${redact(target.repo)} branch ${branch} failed: ${reason}${hint}`, { cause: err })
    }
  }

  async function ensureClone (dir: string, target: ResolvedTarget, git: (args: string[], input?: string, cwd?: string) => Promise<string>): Promise<void> {
    if (await access(join(dir, '.git')).then(() => true, () => false)) return
    await mkdir(workDir, { recursive: true, mode: 0o700 })
    await rm(dir, { recursive: true, force: true })
    const tmp = `${dir}.clone-${randomUUID().slice(0, 8)}`
    try {
      await git(['clone', '--quiet', '--no-tags', '--single-branch', `--branch=${target.branch}`, '--', target.repo, tmp], undefined, workDir)
      await rename(tmp, dir)
    } finally {
      await rm(tmp, { recursive: true, force: true })
    }
  }

  function nudge (repo: string): void {
    const receiver = options.receiver
    if (!receiver) return
    const p = sendNudge(receiver).catch(err => {
      logger.warn({ receiver: new URL(receiver.url).origin, repo: redact(repo), err: (err as Error).message }, 'Flux receiver nudge failed')
    }).finally(() => nudges.delete(p))
    nudges.add(p)
  }

  return {
    async write (target, change, beforePush) {
      if (closed) throw new GitWriteError('the git writer is closed')
      const value = imageValue(change.image, target.write)
      const dir = repoDir(workDir, target.repo, target.branch)
      const result = await serialise(dir, () => writeLocked(dir, target, change, value, beforePush))
      if (result.changed) nudge(target.repo)
      return result
    },
    async close () {
      closed = true
      await Promise.all([...queues.values(), ...nudges])
    }
  }
}

/** Pushes without force; answers the rejection reason when the branch moved, undefined when pushed. */
async function push (git: (args: string[]) => Promise<string>, branch: string): Promise<string | undefined> {
  try {
    await git(['push', '--porcelain', 'origin', `HEAD:refs/heads/${branch}`])
    return undefined
  } catch (err) {
    if (!(err instanceof GitCommandError) || err.timedOut) throw err
    const line = err.stdout.split('\n').find(l => l.startsWith('!')) ?? ''
    const moved = /\[rejected\]|\[remote rejected\].*(failed to update ref|cannot lock ref|incorrect old value|stale info)/
    if (moved.test(line)) return line.split('\t').slice(2).join(' ').trim()
    throw err
  }
}

// event fields come from outside: a newline in them must not forge a trailer
const one = (s: string): string => s.replace(/[\r\n]+/g, ' ').trim()

/** The recent commit on the checked-out branch that carries this triggered id's trailer, if any. */
async function commitFor (git: (args: string[]) => Promise<string>, triggeredId: string): Promise<string | undefined> {
  const trailer = `Keptn-Triggered-Id: ${one(triggeredId)}`
  const log = await git(['log', '--max-count=200', '--format=%H%x00%B%x1e', 'HEAD'])
  for (const entry of log.split('\x1e')) {
    const [sha, body = ''] = entry.trim().split('\0')
    if (body.split('\n').includes(trailer)) return sha
  }
  return undefined
}

function commitMessage (target: ResolvedTarget, change: GitChange, value: string): string {
  const [project, stage, service, context] = [change.project, change.stage, change.service, change.keptnContext].map(one)
  return [
    `Deploy ${service} ${one(value)} to ${project}/${stage}`,
    '',
    `Keptn project ${project}, stage ${stage}, service ${service}, context ${context}.`,
    `Sets ${target.path} in ${target.file} to ${one(value)} (image ${one(change.image)}).`,
    '',
    `Keptn-Context: ${context}`,
    `Keptn-Triggered-Id: ${one(change.triggeredId)}`,
    ''
  ].join('\n')
}

async function sendNudge (receiver: { url: string, token?: string }): Promise<void> {
  const body = '{}'
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (receiver.token) headers['x-signature'] = signBody(body, receiver.token)
  const res = await requestText(receiver.url, { method: 'POST', body, headers, timeoutMs: 5000 })
  if (res.status >= 300) throw new Error(`receiver answered ${res.status}`)
}
