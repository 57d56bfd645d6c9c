import { StoreUnavailableError, type Store } from '../../core/store.js'

// ioredis' and Redis' own words for "away for now": disconnected, timed out, failing over, loading,
// busy with a script, out of memory, or a write not yet on enough replicas. Only this module reads them; callers see the typed error.
const transient = /Stream isn't writeable|Connection is closed|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|Command timed out|CLUSTERDOWN|TRYAGAIN|MOVED|ASK |READONLY|LOADING|MASTERDOWN|NOREPLICAS|Reached the max retries|Failed to refresh slots|None of the sentinels|All sentinels are unreachable|Connection in subscriber mode|^BUSY |^OOM /i

/** A Redis error that means "retry later" becomes a StoreUnavailableError; others pass unchanged. */
export function typed (err: unknown): unknown {
  if (err instanceof StoreUnavailableError) return err
  const message = err instanceof Error ? err.message : String(err)
  return transient.test(message) ? new StoreUnavailableError(`redis: ${message}`, { cause: err }) : err
}

/** The store with every asynchronous method's Redis errors typed (see typed). */
export function typedErrors (store: Store): Store {
  const wrapped: Record<string, unknown> = { ...store }
  for (const [name, value] of Object.entries(store)) {
    if (typeof value !== 'function' || name === 'shardOf' || name === 'ready' || name === 'close') continue
    wrapped[name] = async (...args: unknown[]) => {
      try {
        return await (value as (...a: unknown[]) => Promise<unknown>).apply(store, args)
      } catch (err) {
        throw typed(err)
      }
    }
  }
  return wrapped as unknown as Store
}
