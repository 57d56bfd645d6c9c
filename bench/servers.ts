import { spawn, type ChildProcess } from 'node:child_process'
import { connect } from 'node:net'
import { freePort } from '../tests/helpers/redis.js'

export interface Running {
  url: string
  proc: ChildProcess
  stop (): Promise<void>
}

/** Runs a compiled server in its own process (fairer than sharing one event loop) and waits until it accepts connections. */
export async function startProcess (entry: string, env: Record<string, string>): Promise<Running> {
  const port = await freePort()
  const proc = spawn(process.execPath, [entry], { env: { PATH: process.env.PATH ?? '', PORT: String(port), HOST: '127.0.0.1', ...env }, stdio: ['ignore', 'ignore', 'inherit'] })
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 15_000
  while (!await accepts(port)) {
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`${entry} did not start`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  return {
    url,
    proc,
    stop: () => new Promise(resolve => {
      proc.once('exit', () => resolve())
      proc.kill('SIGTERM')
    })
  }
}

export function percentile (sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor(p / 100 * sorted.length))]!
}

export const fmt = (n: number, digits = 2) => Number.isFinite(n) ? n.toFixed(digits) : 'n/a'

function accepts (port: number): Promise<boolean> {
  return new Promise(resolve => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => resolve(false))
  })
}
