import type { Log as Logger } from './log.js'

export interface Worker {
  /** Runs a round now (or right after the current one). */
  wake (): void
  stop (): Promise<void>
}

/**
 * Runs `round` every intervalMs and again at once while it reports work done or a wake-up came in.
 * A failing round (Redis away) is logged and retried on the next tick; the loop never dies.
 */
export function startWorker (name: string, round: () => Promise<number>, intervalMs: number, logger: Logger): Worker {
  let timer: NodeJS.Timeout | undefined
  let current: Promise<void> | undefined
  let again = false
  let stopped = false
  let lastError = ''
  const isStopped = () => stopped

  const run = async () => {
    do {
      again = false
      try {
        if (await round() > 0) again = true
        lastError = ''
      } catch (err) {
        const message = (err as Error).message
        if (message !== lastError) logger.warn({ worker: name, err: message }, 'background round failed; retrying')
        lastError = message
        break
      }
    } while (again && !isStopped())
  }
  const tick = () => {
    timer = undefined
    current = run().finally(() => {
      current = undefined
      if (!stopped) timer = setTimeout(tick, intervalMs).unref()
    })
  }
  timer = setTimeout(tick, 0).unref()

  return {
    wake () {
      if (stopped) return
      if (current) { again = true; return }
      clearTimeout(timer)
      tick()
    },
    async stop () {
      stopped = true
      clearTimeout(timer)
      await current
    }
  }
}
