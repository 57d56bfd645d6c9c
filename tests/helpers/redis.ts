import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect, createServer, type Socket } from 'node:net'
import { connect as connectTls } from 'node:tls'
import { randomBytes } from 'node:crypto'
import { clientOptions, serverArgs, type RedisSecurity } from './redis-security.js'
import { waitFor } from './wait.js'

// Tests talk to a real Redis: REDIS_URL when given, else a private redis-server started here on a
// free port with nothing kept on disk. Never the machine's shared instance on 6379.

const howToGetOne = 'Tests need Redis: install redis-server (e.g. `apt-get install -y redis-server`) or set REDIS_URL to a Redis you can spare.'

export interface RedisServer {
  url: string
  port: number
  /** Stops the server process (SIGKILL unless graceful). Data survives only with appendonly. */
  stop (graceful?: boolean): Promise<void>
  /** Starts it again on the same port and directory. */
  start (): Promise<void>
}

export function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')))
    })
  })
}

function hasRedisServer (): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0
}

/**
 * One raw PING: true when the server answers it, or answers that it wants a password first.
 * (ioredis' connect() can stay pending for ever when refused.)
 */
function ping (port: number, security: RedisSecurity): Promise<boolean> {
  return new Promise(resolve => {
    const tls = clientOptions(security).tls
    const socket: Socket = tls
      ? connectTls({ port, host: '127.0.0.1', ...tls }, () => socket.write('PING\r\n'))
      : connect(port, '127.0.0.1', () => socket.write('PING\r\n'))
    const done = (ok: boolean) => { socket.destroy(); resolve(ok) }
    socket.setTimeout(1000, () => done(false))
    socket.once('error', () => done(false))
    socket.once('data', chunk => done(/^(\+PONG|-NOAUTH)/.test(chunk.toString())))
  })
}

async function waitForPing (port: number, security: RedisSecurity, timeoutMs = 15_000): Promise<void> {
  await waitFor(`redis-server on port ${port} answers PING`, () => ping(port, security), timeoutMs, 20)
}

/**
 * Starts a private redis-server; persistence (AOF) only when asked, for restart tests. With TLS
 * it listens for TLS only, and its `url` is `rediss://` (without the password).
 */
export async function startRedisServer (opts: { appendonly?: boolean } & RedisSecurity = {}): Promise<RedisServer> {
  if (!hasRedisServer()) throw new Error(howToGetOne)
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'kgb-redis-'))
  const url = `${opts.tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`
  let child: ChildProcess | undefined
  const args = [...serverArgs(opts, port), '--bind', '127.0.0.1', '--save', '', '--dir', dir,
    '--appendonly', opts.appendonly ? 'yes' : 'no', '--appendfsync', 'always', '--daemonize', 'no',
    '--loglevel', 'warning']
  const server: RedisServer = {
    url,
    port,
    async start () {
      child = spawn('redis-server', args, { stdio: 'ignore' })
      child.unref()
      await waitForPing(port, opts)
    },
    async stop (graceful = false) {
      const proc = child
      if (!proc || proc.exitCode !== null) return
      const exited = new Promise(resolve => proc.once('exit', resolve))
      proc.ref() // keep this process alive until the server has really gone
      proc.kill(graceful ? 'SIGTERM' : 'SIGKILL')
      await exited
    }
  }
  await server.start()
  process.once('exit', () => { child?.kill('SIGKILL'); rmSync(dir, { recursive: true, force: true }) })
  return server
}

let shared: Promise<string> | undefined

/** The Redis URL for this test process: REDIS_URL, or one private server shared by its tests. */
export function testRedisUrl (): Promise<string> {
  if (process.env.REDIS_URL) return Promise.resolve(process.env.REDIS_URL)
  shared ??= startRedisServer().then(server => server.url)
  return shared
}

/** A key prefix no other test uses, so tests can share one Redis. */
export function uniquePrefix (): string {
  return `t${randomBytes(5).toString('hex')}`
}
