// autocannon ships no types; only what the benchmarks use.
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events'

  export interface Request {
    method?: string
    path?: string
    headers?: Record<string, string>
    body?: string | Buffer
  }

  export interface Options {
    url: string
    connections?: number
    duration?: number
    pipelining?: number
    overallRate?: number
    timeout?: number
    requests?: Array<Request & { setupRequest?: (req: Request, context: object) => Request }>
  }

  export interface Result {
    requests: { average: number, total: number }
    latency: { p50: number, p99: number, average: number, max: number }
    '2xx': number
    non2xx: number
    errors: number
    timeouts: number
    statusCodeStats: Record<string, { count: number }>
    duration: number
  }

  export interface Instance extends EventEmitter, PromiseLike<Result> {}

  export default function autocannon (opts: Options): Instance
}
