import { spawn, execFile, type ChildProcess } from 'node:child_process'
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { Redis } from 'ioredis'
import { freePort } from './redis.js'
import { waitFor } from './wait.js'
import { clientOptions, sentinelSecurity, serverArgs, type RedisSecurity } from './redis-security.js'

// Real Redis Cluster and Sentinel deployments on loopback, for the tests in tests/cluster.
// Nothing goes to disk (`--save "" --appendonly no`): durability across a failover comes from
// replication (a killed node comes back empty and resyncs from its new master, like a pod without
// a volume), and an fsync per write would only slow the suite.

const run = promisify(execFile)

// Each server runs under `sh`, which kills it when its stdin closes: on stop(), and also when the
// test process dies, however it dies (tap's timeout SIGKILL included), so no server is left over.
const guard = 'redis-server "$@" & r=$!; read -r _; kill -9 $r 2>/dev/null; wait $r 2>/dev/null; exit 0'

interface Server { address: string, dir: string, args: string[], security: RedisSecurity, proc: ChildProcess }

async function startServer (dir: string, args: string[], security: RedisSecurity = {}, port?: number): Promise<Server> {
  port ??= await freePort()
  mkdirSync(dir, { recursive: true })
  const role = args.includes('--sentinel') ? 'sentinel' : 'data'
  const proc = spawn('sh', ['-c', guard, 'sh', ...args, ...serverArgs(security, port, role), '--bind', '127.0.0.1', '--dir', dir,
    '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning'], { stdio: ['pipe', 'ignore', 'inherit'] })
  proc.stdin!.on('error', () => {})
  const address = `127.0.0.1:${port}`
  const ping = commandWith(role === 'sentinel' ? sentinelSecurity(security) : security)
  await waitUntil(`${address} answers`, async () => await ping(address, 'PING') === 'PONG')
  return { address, dir, args, security, proc }
}

async function stopServer (server: Server): Promise<void> {
  if (server.proc.exitCode !== null || server.proc.signalCode !== null) return
  const exited = new Promise(resolve => server.proc.once('exit', resolve))
  server.proc.stdin!.end()
  await exited
}

/** One command on a short-lived connection; undefined when the node does not answer. */
function commandWith (security: RedisSecurity) {
  return async (address: string, ...args: string[]): Promise<unknown> => {
    const [host, port] = address.split(':')
    const client = new Redis({
      host, port: Number(port), lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000, ...clientOptions(security)
    })
    client.on('error', () => {})
    try {
      await client.connect()
      return await client.call(args[0]!, ...args.slice(1))
    } catch {
      return undefined
    } finally {
      client.disconnect()
    }
  }
}

export const command = commandWith({})

function cliArgs ({ password, tls }: RedisSecurity): string[] {
  return [
    ...(password ? ['-a', password, '--no-auth-warning'] : []),
    ...(tls ? ['--tls', '--cacert', tls.ca, '--cert', tls.clientCert, '--key', tls.clientKey] : [])
  ]
}

/** Redis needs its time to elect, sync and fail over: 30 s each, not waitFor's 15 s. */
const waitUntil = (what: string, check: () => Promise<boolean>, timeoutMs = 30_000) => waitFor(what, check, timeoutMs, 50)

type Command = ReturnType<typeof commandWith>
const infoWith = (command: Command) => async (address: string, section: string) => String(await command(address, 'INFO', section) ?? '')

function cleanup (root: string, servers: Server[]) {
  const onExit = () => rmSync(root, { recursive: true, force: true })
  process.once('exit', onExit)
  return async () => {
    await Promise.all(servers.map(stopServer))
    process.off('exit', onExit)
    onExit()
  }
}

export interface RedisCluster {
  /** host:port of every node, as REDIS_CLUSTER_NODES takes them (masters first). */
  nodes: string[]
  /** host:port of the nodes that are masters now. */
  masters (): Promise<string[]>
  /**
   * Kills a master (SIGKILL), waits until its replica has taken over, then starts the killed node
   * again, empty, as a Kubernetes pod would be, and waits until it replicates from the new master
   * and every node says `cluster_state:ok`. Needs `replicas: 1`.
   */
  failover (): Promise<{ killed: string, promoted: string }>
  stop (): Promise<void>
}

const clusterArgs = ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '1000']

/**
 * A Redis Cluster of `masters` masters with `replicas` replicas each, all slots assigned, `cluster_state:ok` everywhere;
 * with `security`, every node (and the cluster bus) asks for it; with `namedOnly`, nodes announce themselves as `localhost`.
 */
export async function startRedisCluster ({ masters = 3, replicas = 0, security = {} as RedisSecurity } = {}): Promise<RedisCluster> {
  const root = mkdtempSync(join(tmpdir(), 'kgb-cluster-'))
  const servers: Server[] = []
  const stop = cleanup(root, servers)
  const command = commandWith(security)
  const info = infoWith(command)
  const clusterOk = (node: string) => waitUntil(`${node} reports cluster_state:ok`,
    async () => String(await command(node, 'CLUSTER', 'INFO')).includes('cluster_state:ok'))
  const clusterNodes = async (from: string) => String(await command(from, 'CLUSTER', 'NODES')).trim().split('\n').map(line => {
    const [id, address, flags, master] = line.split(' ')
    return { id: id!, address: address!.split('@')[0]!, master: flags!.includes('master') && !flags!.includes('fail'), of: master! }
  })
  try {
    const announce = security.namedOnly ? ['--cluster-announce-hostname', 'localhost', '--cluster-preferred-endpoint-type', 'hostname'] : []
    for (let i = 0; i < masters * (1 + replicas); i++) {
      servers.push(await startServer(join(root, `n${i}`), [...clusterArgs, ...announce, '--cluster-port', String(await freePort())], security))
    }
    const nodes = servers.map(s => s.address)
    await run('redis-cli', ['--cluster', 'create', ...nodes, '--cluster-replicas', String(replicas), '--cluster-yes', ...cliArgs(security)], { timeout: 30_000 })
    for (const node of nodes) await clusterOk(node)
    const cluster: RedisCluster = {
      nodes,
      async masters () {
        return (await clusterNodes(nodes[0]!)).filter(n => n.master).map(n => n.address)
      },
      async failover () {
        const known = await clusterNodes(nodes[0]!)
        const victim = known.find(n => n.master && known.some(r => r.of === n.id))
        if (!victim) throw new Error('no master with a replica: start the cluster with replicas: 1')
        const replica = known.find(r => r.of === victim.id)!
        await waitUntil(`${replica.address} is in sync`, async () => (await info(replica.address, 'replication')).includes('master_link_status:up'))
        const index = servers.findIndex(s => s.address === victim.address)
        const killed = servers[index]!
        await stopServer(killed)
        await waitUntil(`${replica.address} took over`, async () => (await info(replica.address, 'replication')).includes('role:master'))
        servers[index] = await startServer(killed.dir, killed.args, security, Number(victim.address.split(':')[1]))
        await waitUntil(`${victim.address} replicates from ${replica.address}`, async () => {
          const replication = await info(victim.address, 'replication')
          return replication.includes('role:slave') && replication.includes('master_link_status:up')
        })
        for (const node of nodes) await clusterOk(node)
        return { killed: victim.address, promoted: replica.address }
      },
      stop
    }
    return cluster
  } catch (err) {
    await stop()
    throw err
  }
}

export interface SentinelSetup {
  /** host:port of the three sentinels, as REDIS_SENTINELS takes them. */
  sentinels: string[]
  name: string
  /** host:port of the master the sentinels report now. */
  master (): Promise<string>
  /** SENTINEL FAILOVER, then waits until every sentinel reports the new master and the old one replicates from it. */
  failover (): Promise<void>
  stop (): Promise<void>
}

// Both data nodes refuse writes unless a replica is connected (min-replicas-to-write 1): once the
// replica is promoted it drops its link to the old master, which from then on answers NOREPLICAS
// instead of taking writes that the failover would throw away. It does not cover writes still on
// their way to the replica at the switch: the bridge's WAIT (REDIS_WAIT_REPLICAS) does. The price,
// with one replica: no writes (503) from the promotion until the old master replicates again.
const dataNode = ['--min-replicas-to-write', '1', '--min-replicas-max-lag', '5']

/** One master, one replica and three sentinels (quorum 2) watching them; with `security`, all of them ask for it. */
export async function startSentinelSetup ({ name = 'kgb', security = {} as RedisSecurity } = {}): Promise<SentinelSetup> {
  const root = mkdtempSync(join(tmpdir(), 'kgb-sentinel-'))
  const servers: Server[] = []
  const stop = cleanup(root, servers)
  const command = commandWith(security)
  const info = infoWith(command)
  const askSentinel = commandWith(sentinelSecurity(security))
  try {
    const master = await startServer(join(root, 'master'), dataNode, security)
    servers.push(master)
    const replica = await startServer(join(root, 'replica'), [...dataNode, '--replicaof', ...master.address.split(':')], security)
    servers.push(replica)
    await waitUntil('the replica is in sync', async () => (await info(replica.address, 'replication')).includes('master_link_status:up'))
    for (let i = 0; i < 3; i++) {
      const dir = join(root, `sentinel${i}`)
      mkdirSync(dir)
      const conf = join(dir, 'sentinel.conf')
      writeFileSync(conf, [
        `sentinel monitor ${name} ${master.address.replace(':', ' ')} 2`,
        `sentinel down-after-milliseconds ${name} 1000`,
        `sentinel failover-timeout ${name} 5000`,
        ...(security.password ? [`sentinel auth-pass ${name} ${security.password}`] : []),
        ...(sentinelSecurity(security).password ? [`sentinel sentinel-pass ${sentinelSecurity(security).password}`] : []),
        ''
      ].join('\n'))
      servers.push(await startServer(dir, [conf, '--sentinel'], security))
    }
    const sentinels = servers.slice(2).map(s => s.address)
    const knowsAll = async (s: string) => {
      const [replicas, peers] = await Promise.all([askSentinel(s, 'SENTINEL', 'REPLICAS', name), askSentinel(s, 'SENTINEL', 'SENTINELS', name)])
      return Array.isArray(replicas) && replicas.length === 1 && Array.isArray(peers) && peers.length === 2
    }
    for (const s of sentinels) await waitUntil(`sentinel ${s} knows the replica and its peers`, () => knowsAll(s))

    const reported = async (s: string) => {
      const addr = await askSentinel(s, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)
      return Array.isArray(addr) ? `${addr[0]}:${addr[1]}` : undefined
    }
    const setup: SentinelSetup = {
      sentinels,
      name,
      async master () {
        const addr = await reported(sentinels[0]!)
        if (!addr) throw new Error(`sentinel ${sentinels[0]} does not know master ${name}`)
        return addr
      },
      async failover () {
        const old = await setup.master()
        const answer = await askSentinel(sentinels[0]!, 'SENTINEL', 'FAILOVER', name)
        if (answer !== 'OK') throw new Error(`SENTINEL FAILOVER ${name} was refused`)
        const promoted = async () => {
          const addrs = await Promise.all(sentinels.map(reported))
          return addrs.every(a => a !== undefined && a !== old && a === addrs[0])
        }
        await waitUntil('every sentinel reports the new master', promoted)
        const now = await setup.master()
        await waitUntil(`the old master ${old} replicates from ${now}`, async () => {
          const replication = await info(old, 'replication')
          return replication.includes('role:slave') && replication.includes(`master_port:${now.split(':')[1]}`) &&
            replication.includes('master_link_status:up')
        })
      },
      stop
    }
    return setup
  } catch (err) {
    await stop()
    throw err
  }
}
