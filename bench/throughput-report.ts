import { median, ms, table } from './lib/stats.js'

export interface Round {
  target: string
  round: number
  /** 0: as fast as it goes; else the fixed request rate of a latency round. */
  rate: number
  rps: number
  p50: number
  p99: number
  ok: number
  non2xx: number
  errors: number
  finished: number
  cycled: boolean
  /** CPU microseconds per request: the server process, Redis, the load generator. */
  cpu: { server: number, redis: number, loadgen: number }
  redisCommands: number
}

const us = (v: number) => v.toFixed(0)

export function report (rounds: Round[], received: Record<string, number>, opts: { rate: number }) {
  const saturated = rounds.filter(r => r.rate === 0)
  const of = (target: string) => saturated.filter(r => r.target === target)
  const at = (target: string) => rounds.find(r => r.rate > 0 && r.target === target)
  const med = (target: string) => ({ rps: median(of(target).map(r => r.rps)), p50: median(of(target).map(r => r.p50)), p99: median(of(target).map(r => r.p99)) })
  const cpuOf = (target: string) => median(of(target).map(r => r.cpu.server + r.cpu.redis))
  const ratios = of('bridge').map(b => b.rps / (of('bare').find(r => r.round === b.round)?.rps ?? NaN))
  const result = {
    rounds,
    bare: med('bare'),
    bareRedis: med('bare-redis'),
    bridge: med('bridge'),
    ratio: median(ratios),
    roundRatios: ratios,
    cpuPerRequest: { bridge: cpuOf('bridge'), bareRedis: cpuOf('bare-redis'), bare: cpuOf('bare') },
    fixedRate: { rate: opts.rate, bare: at('bare'), bareRedis: at('bare-redis'), bridge: at('bridge') },
    received
  }
  const rows = rounds.map(r => [r.target, r.rate ? `${r.rate}/s` : r.round + 1, r.rps.toFixed(0), ms(r.p50), ms(r.p99), r.ok, r.non2xx + r.errors, r.finished,
    us(r.cpu.server), us(r.cpu.redis), us(r.cpu.loadgen), r.redisCommands.toFixed(1), r.cycled ? 'CYCLED' : ''])
  console.log(table([['target', 'round', 'req/s', 'p50', 'p99', '2xx', 'other', '202', 'cpu µs/req', 'redis µs/req', 'loadgen µs/req', 'redis cmds/req', ''], ...rows]))
  console.log(`bridge/bare throughput: ${(result.ratio * 100).toFixed(1)}% (median of per-round ratios ${ratios.map(r => r.toFixed(2)).join(', ')}; goal >= 70%)`)
  console.log(`bridge/bare+redis throughput: ${(result.bridge.rps / result.bareRedis.rps * 100).toFixed(1)}% (medians)`)
  console.log(`CPU per request, server + Redis (median): bridge ${us(cpuOf('bridge'))} µs, bare+redis ${us(cpuOf('bare-redis'))} µs, bare ${us(cpuOf('bare'))} µs`)
  console.log(`p99 at full load: bridge ${ms(result.bridge.p99)} vs bare ${ms(result.bare.p99)}: +${ms(result.bridge.p99 - result.bare.p99)} (goal <= +2 ms)`)
  const bridgeAt = at('bridge')
  const bareAt = at('bare')
  if (bridgeAt && bareAt) console.log(`p99 at ${opts.rate} req/s: bridge ${ms(bridgeAt.p99)} vs bare ${ms(bareAt.p99)}: +${ms(bridgeAt.p99 - bareAt.p99)}; p50 ${ms(bridgeAt.p50)} vs ${ms(bareAt.p50)}`)
  console.log(`bridge outcomes (metrics): ${JSON.stringify(received)}`)
  return result
}
