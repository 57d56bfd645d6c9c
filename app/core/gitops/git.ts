// We drive the `git` executable rather than a library: it is in the image, speaks the ssh, https
// and file transports and takes credentials the way users expect, and needs no native modules.
import { spawn } from 'node:child_process'

export interface GitRunOptions {
  cwd?: string
  env?: Record<string, string>
  timeoutMs: number
  input?: string
  /** Strings (tokens, auth headers) to blank out of error messages. */
  secrets?: string[]
}

export interface GitResult {
  stdout: string
  stderr: string
}

export class GitCommandError extends Error {
  readonly code = 'GIT_COMMAND_FAILED'
  constructor (
    message: string,
    readonly command: string,
    readonly exitCode: number | null,
    readonly stdout: string,
    readonly stderr: string,
    readonly timedOut: boolean
  ) {
    super(message)
    this.name = 'GitCommandError'
  }
}

const fixedEnv = {
  GIT_TERMINAL_PROMPT: '0',
  GCM_INTERACTIVE: 'never',
  LC_ALL: 'C',
  GIT_AUTHOR_NAME: 'keptn-gitops-bridge',
  GIT_AUTHOR_EMAIL: 'keptn-gitops-bridge@localhost',
  GIT_COMMITTER_NAME: 'keptn-gitops-bridge',
  GIT_COMMITTER_EMAIL: 'keptn-gitops-bridge@localhost'
}
const outputLimit = 1 << 20

/** Hides userinfo in URLs (`https://user:token@host` → `https://***@host`) and the given secrets. */
export function redact (text: string, secrets: string[] = []): string {
  let out = text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi, '$1***@')
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.replaceAll(secret, '***')
  }
  return out
}

/**
 * Runs one git command. spawn, not execFile: git hands network work to helpers (ssh,
 * git-remote-https) that share its pipes, so on timeout we kill the whole process group;
 * killing git alone would leave the helper holding the pipes and the call hanging.
 */
export function runGit (args: string[], options: GitRunOptions): Promise<GitResult> {
  const command = `git ${args.find(a => !a.startsWith('-') && !a.includes('=')) ?? ''}`.trim()
  const secrets = options.secrets ?? []
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      cwd: options.cwd,
      // the child needs PATH, HOME and proxy settings from ours
      env: { ...process.env, ...fixedEnv, ...options.env },
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe']
    })
    let stdout = ''
    let stderr = ''
    let timedOut = false
    child.stdout.on('data', (chunk: Buffer) => { if (stdout.length < outputLimit) stdout += chunk.toString() })
    child.stderr.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-outputLimit) })
    const timer = setTimeout(() => {
      timedOut = true
      try {
        process.kill(-(child.pid as number), 'SIGKILL')
      } catch {}
    }, options.timeoutMs)
    child.on('error', err => {
      clearTimeout(timer)
      reject(new GitCommandError(`${command} could not start: ${err.message}`, command, null, '', '', false))
    })
    child.on('close', code => {
      clearTimeout(timer)
      if (code === 0 && !timedOut) return resolve({ stdout, stderr })
      const detail = redact(lastLines(stderr) || lastLines(stdout), secrets)
      const message = timedOut
        ? `${command} timed out after ${options.timeoutMs} ms${detail ? `: ${detail}` : ''}`
        : `${command} failed (exit ${code}): ${detail || 'no output'}`
      reject(new GitCommandError(message, command, code, redact(stdout, secrets), redact(stderr, secrets), timedOut))
    })
    child.stdin.on('error', () => {})
    child.stdin.end(options.input ?? '')
  })
}

function lastLines (text: string): string {
  return text.trim().split('\n').filter(l => l.trim() !== '').slice(-3).join(' / ')
}

export interface GitAuth {
  repo: string
  /** The content of GIT_TOKEN_FILE: a token, or `user:token`. */
  token?: string
  sshKeyFile?: string
}

/**
 * Per-command credentials as environment variables, so the token is on neither the command line
 * nor the clone's .git/config. The header is scoped to the repository's origin so a redirect to
 * another host does not receive it.
 */
export function gitAuthEnv ({ repo, token, sshKeyFile }: GitAuth): { env: Record<string, string>, secrets: string[] } {
  const env: Record<string, string> = {}
  const secrets: string[] = []
  if (token && /^https?:\/\//i.test(repo)) {
    const userPass = token.includes(':') ? token : `x-access-token:${token}`
    const basic = Buffer.from(userPass).toString('base64')
    env.GIT_CONFIG_COUNT = '1'
    env.GIT_CONFIG_KEY_0 = `http.${new URL(repo).origin}/.extraHeader`
    env.GIT_CONFIG_VALUE_0 = `Authorization: Basic ${basic}`
    secrets.push(basic, userPass, userPass.slice(userPass.indexOf(':') + 1))
  }
  if (sshKeyFile) {
    const quoted = `'${sshKeyFile.replaceAll("'", "'\\''")}'`
    env.GIT_SSH_COMMAND = `ssh -i ${quoted} -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new -o BatchMode=yes -o ConnectTimeout=15`
  }
  return { env, secrets }
}
