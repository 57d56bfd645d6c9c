import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { ChildMessage, ParentMessage } from '../servers/serve.js'

export interface ServerChild {
  url: string
  pid: number
  /** The last lines the child wrote (stdout and stderr). */
  logs: string[]
  memory (gc?: boolean): Promise<NodeJS.MemoryUsage>
  /** CPU time the child has used so far, in microseconds. */
  cpu (): Promise<number>
  alive (): boolean
  /** Asks the child to close; kills it after graceMs (a blocked event loop never answers). */
  stop (graceMs?: number): Promise<void>
}

const keptLines = 300

/**
 * Runs bench/servers/<name>.js in its own process, so the load generator and the server do not
 * share an event loop. BENCH_CPU_PROF=<dir> makes the child write a V8 CPU profile on exit.
 */
export async function startServer (name: 'bridge' | 'bare' | 'bare-redis', env: Record<string, string>, execArgv: string[] = [], onLine?: (line: string) => void): Promise<ServerChild> {
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`] : []
  const proc = fork(fileURLToPath(new URL(`../servers/${name}.js`, import.meta.url)), [], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    execArgv: [...execArgv, ...profile],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc']
  })
  const logs: string[] = []
  const onData = (chunk: Buffer) => {
    const lines = chunk.toString().split('\n').filter(Boolean)
    if (onLine) lines.forEach(onLine)
    logs.push(...lines)
    if (logs.length > keptLines) logs.splice(0, logs.length - keptLines)
  }
  proc.stdout!.on('data', onData)
  proc.stderr!.on('data', onData)
  const exited = new Promise<void>(resolve => proc.once('exit', () => resolve()))
  const port = await new Promise<number>((resolve, reject) => {
    proc.on('message', (m: ChildMessage) => { if (m.type === 'listening') resolve(m.port) })
    exited.then(() => reject(new Error(`${name} exited before listening:\n${logs.join('\n')}`)), () => {})
  })
  let queue: Promise<unknown> = Promise.resolve()
  type Sample = Extract<ChildMessage, { type: 'memory' }>
  const ask = (message: ParentMessage) => new Promise<Sample>((resolve, reject) => {
    const onMessage = (m: ChildMessage) => {
      if (m.type !== 'memory') return
      proc.off('message', onMessage)
      resolve(m)
    }
    proc.on('message', onMessage)
    exited.then(() => reject(new Error(`${name} exited`)), () => {})
    if (!proc.connected) return reject(new Error(`${name} is gone`))
    proc.send(message)
  })
  const alive = () => proc.exitCode === null && proc.signalCode === null
  return {
    url: `http://127.0.0.1:${port}`,
    pid: proc.pid!,
    logs,
    alive,
    async memory (gc = false) {
      const next = queue.then(() => ask({ type: 'memory', gc }))
      queue = next.catch(() => {})
      return (await next).usage
    },
    async cpu () {
      const next = queue.then(() => ask({ type: 'memory' }))
      queue = next.catch(() => {})
      const { user, system } = (await next).cpu
      return user + system
    },
    async stop (graceMs = 10_000) {
      if (!alive()) return
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs)
      if (proc.connected) proc.send({ type: 'stop' } satisfies ParentMessage)
      else proc.kill('SIGTERM')
      await exited
      clearTimeout(timer)
    }
  }
}
