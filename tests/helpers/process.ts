import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../', import.meta.url))
const entry = `${root}dist/app/server.js`

export interface BridgeProcess {
  url: string
  proc: ChildProcess
  logs: string[]
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited: Promise<number | string>
  kill (signal?: NodeJS.Signals): Promise<number | string>
}

/** Runs a built script with a bare environment (PATH plus `env`) until it exits. */
export function runToExit (script: string, args: string[] = [], env: Record<string, string> = {}): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return new Promise(resolve => {
    const child = spawn(process.execPath, [script, ...args], { env: { PATH: process.env.PATH ?? '', ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', chunk => { stdout += chunk })
    child.stderr.on('data', chunk => { stderr += chunk })
    child.on('exit', code => resolve({ code, stdout, stderr }))
  })
}

/** Runs the built service (`npm run build` output) as a real process on a free port. */
export async function startBridge (env: Record<string, string>): Promise<BridgeProcess> {
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first (npm test does it)`)
  const proc = spawn(process.execPath, [entry], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const logs: string[] = []
  const exited = new Promise<number | string>(resolve => proc.once('exit', (code, signal) => resolve(code ?? signal ?? -1)))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the bridge did not start:\n${logs.join('\n')}`)), 15_000)
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        logs.push(line)
        const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line)
        if (match) { clearTimeout(timer); resolve(match[1]!) }
      }
    }
    proc.stdout!.on('data', onData)
    proc.stderr!.on('data', onData)
    exited.then(code => { clearTimeout(timer); reject(new Error(`the bridge exited (${code}) before listening:\n${logs.join('\n')}`)) }, () => {})
  })
  return {
    url,
    proc,
    logs,
    exited,
    async kill (signal: NodeJS.Signals = 'SIGKILL') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal)
      return await exited
    }
  }
}
