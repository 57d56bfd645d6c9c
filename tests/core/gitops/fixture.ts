import { spawn } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { runGit } from '../../../app/core/gitops/git.js'
import type { GitWriterLogger } from '../../../app/core/gitops/git-writer.js'

export interface Teardown { teardown (fn: () => unknown): void }

export const helloRelease = `# HelmRelease for helloservice, edited by people and by keptn-gitops-bridge
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: helloservice   # keep in sync with the chart
  namespace: podtato
spec:
  interval: 5m
  values:
    replicaCount: 2
    image:
      repository: ghcr.io/podtato-head/podtato-server
      # bumped by Keptn
      tag: "v0.3.1"   # current release
    env:
      - name: COLOR
        value:   blue    # odd spacing kept
`

export async function tempDir (t: Teardown, prefix = 'kgb-git-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

export async function git (args: string[], cwd?: string): Promise<string> {
  return (await runGit(args, { cwd, timeoutMs: 20_000 })).stdout.trim()
}

export interface Remote {
  root: string
  bare: string
  url: string
  /** The file's content on the remote's main branch. */
  show (file: string): Promise<string>
  head (): Promise<string>
  count (): Promise<number>
  /** A separate clone, as another person or tool would have it. */
  clone (name: string): Promise<string>
}

/** A bare repository on disk with `files` committed on main by a seed clone. */
export async function createRemote (t: Teardown, files: Record<string, string>): Promise<Remote> {
  const root = await tempDir(t)
  const bare = join(root, 'remote.git')
  await git(['init', '--quiet', '--bare', '--initial-branch=main', bare])
  const seed = join(root, 'seed')
  await git(['init', '--quiet', '--initial-branch=main', seed])
  for (const [name, text] of Object.entries(files)) {
    await mkdir(dirname(join(seed, name)), { recursive: true })
    await writeFile(join(seed, name), text)
  }
  await git(['add', '.'], seed)
  await git(['commit', '--quiet', '-m', 'seed'], seed)
  await git(['push', '--quiet', bare, 'HEAD:refs/heads/main'], seed)
  return {
    root,
    bare,
    url: pathToFileURL(bare).href,
    show: file => runGit(['show', `main:${file}`], { cwd: bare, timeoutMs: 20_000 }).then(r => r.stdout),
    head: () => git(['rev-parse', 'main'], bare),
    count: async () => Number(await git(['rev-list', '--count', 'main'], bare)),
    async clone (name) {
      const dir = join(root, name)
      await git(['clone', '--quiet', bare, dir])
      return dir
    }
  }
}

/**
 * A pre-receive hook that, while a push is in flight, has another clone push a commit first:
 * the race a busy repository produces. `times` bounds how often it does so.
 */
export async function raceHook (remote: Remote, times: number): Promise<void> {
  const other = await remote.clone('racer')
  const hook = join(remote.bare, 'hooks', 'pre-receive')
  await writeFile(hook, `#!/bin/sh
count=$(cat '${remote.root}/raced' 2>/dev/null || echo 0)
if [ -z "$RACER" ] && [ "$count" -lt ${times} ]; then
  echo $((count + 1)) > '${remote.root}/raced'
  unset GIT_DIR GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES GIT_PUSH_OPTION_COUNT
  cd '${other}' && git pull -q --ff-only origin main && echo "race $count" >> race.txt && git add race.txt &&
    git commit -qm "someone else $count" && RACER=1 git push -q origin HEAD:main >&2
fi
exit 0
`)
  await chmod(hook, 0o755)
}

export function recordingLogger (): GitWriterLogger & { lines: Array<{ level: string, obj: object, msg: string }> } {
  const lines: Array<{ level: string, obj: object, msg: string }> = []
  return {
    lines,
    info: (obj, msg) => { lines.push({ level: 'info', obj, msg: msg ?? '' }) },
    warn: (obj, msg) => { lines.push({ level: 'warn', obj, msg: msg ?? '' }) }
  }
}

export interface GitHttpServer {
  url: string
  /** Authorization headers the server received, in order. */
  authorizations: string[]
  close (): Promise<void>
}

/**
 * Serves the bare repositories under `root` over smart HTTP through `git http-backend`, answering
 * 401 unless the request carries `expectedAuth`: a stand-in for an HTTPS git host with tokens.
 */
export async function serveGitHttp (t: Teardown, root: string, expectedAuth: string): Promise<GitHttpServer> {
  const authorizations: string[] = []
  const server = createServer((req, res) => {
    const auth = req.headers.authorization ?? ''
    authorizations.push(auth)
    if (auth !== expectedAuth) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="git"' }).end()
      return
    }
    const url = new URL(req.url ?? '/', 'http://localhost')
    const cgi = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        REMOTE_USER: 'bridge',
        REMOTE_ADDR: '127.0.0.1',
        REQUEST_METHOD: req.method,
        PATH_INFO: url.pathname,
        QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
        GIT_PROTOCOL: String(req.headers['git-protocol'] ?? '')
      }
    })
    req.pipe(cgi.stdin)
    let head = Buffer.alloc(0)
    let sent = false
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (sent) {
        res.write(chunk)
        return
      }
      head = Buffer.concat([head, chunk])
      const end = head.indexOf('\r\n\r\n')
      if (end < 0) return
      const headers: Record<string, string> = {}
      for (const line of head.subarray(0, end).toString().split('\r\n')) {
        const colon = line.indexOf(':')
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
      }
      const status = Number((headers.status ?? '200').split(' ')[0])
      delete headers.status
      res.writeHead(status, headers)
      res.write(head.subarray(end + 4))
      sent = true
    })
    cgi.on('close', () => res.end())
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const close = (): Promise<void> => new Promise(resolve => server.close(() => resolve()))
  t.teardown(close)
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, authorizations, close }
}

/** A GIT_TARGETS file for podtato/dev/helloservice writing the tag at spec.values.image.tag of apps/dev/helloservice.yaml. */
export async function writeTargets (dir: string, repoUrl: string, extra = ''): Promise<string> {
  const targets = join(dir, 'targets.yaml')
  await writeFile(targets, `targets:
  - project: podtato
    stage: dev
    service: helloservice
    repo: ${repoUrl}
    branch: main
    file: apps/{stage}/{service}.yaml
    path: spec.values.image.tag
    write: tag
${extra}`)
  return targets
}
