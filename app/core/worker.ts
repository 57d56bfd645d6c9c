import type { Log as Logger } from './log.js'

export interface Worker<T = never> {
  /**
   * Runs a round now (or right after the current one). With a target, the round covers only the
   * targets woken since the last round (e.g. the outbox shard that just got work).
   */
  wake (target?: T): void
  stop (): Promise<void>
}

/**
 * Runs a full round (`round()`) every intervalMs, and a round for the woken targets only
 * (`round(targets)`) whenever a wake-up names one. A round that reports work done runs again at
 * once, over the same targets. A full round is never starved: once intervalMs has passed since the
 * last one, it is the next round, however busy the targeted rounds keep the worker.
 * A failing round (Redis away) is logged and retried on the next tick; the loop never dies.
 */
export function startWorker<T = never> (name: string, round: (targets?: ReadonlySet<T>) => Promise<number>, intervalMs: number, logger: Logger): Worker<T> {
  let timer: NodeJS.Timeout | undefined
  let current: Promise<void> | undefined
  let full = false
  let targets = new Set<T>()
  let stopped = false
  let lastError = ''
  const isStopped = () => stopped

  const tick = () => {
    timer = undefined
    full = true
    start()
  }
  // The next full round is due intervalMs after the last one ended.
  const schedule = () => {
    clearTimeout(timer)
    if (!stopped) timer = setTimeout(tick, intervalMs).unref()
  }
  const run = async () => {
    while (!isStopped() && (full || targets.size > 0)) {
      const only = full ? undefined : targets
      full = false
      targets = new Set()
      try {
        // Work done: more may be due (the batch limit, a .finished released by its .started's ack).
        if (await round(only) > 0) {
          if (only) for (const target of only) targets.add(target)
          else full = true
        }
        lastError = ''
      } catch (err) {
        const message = (err as Error).message
        if (message !== lastError) logger.warn({ worker: name, err: message }, 'background round failed; retrying')
        lastError = message
        // The next full round (on the timer) covers whatever was woken.
        targets.clear()
        full = false
        if (!only || timer === undefined) schedule()
        return
      }
      if (!only) schedule()
    }
  }
  function start () {
    if (current || stopped) return
    current = run().finally(() => {
      current = undefined
      // A wake-up that came in while the last round was finishing.
      if (full || targets.size > 0) start()
    })
  }
  timer = setTimeout(tick, 0).unref()

  return {
    wake (target?: T) {
      if (stopped) return
      if (target === undefined) full = true
      else targets.add(target)
      start()
    },
    async stop () {
      stopped = true
      clearTimeout(timer)
      await current
    }
  }
}
