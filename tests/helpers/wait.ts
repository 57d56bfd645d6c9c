// Waiting in tests: for a condition, never for a fixed time. A test that sleeps and then asserts
// passes on an idle machine and fails on a busy one; a test that polls for what it needs holds on
// both, and fails (with what it waited for) only when the condition never comes.

/** Resolves after `ms`. Only for pacing a loop (a retry, a poll): never to let work "finish". */
export const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

/**
 * Polls `check` every `everyMs` until it is true; rejects after `timeoutMs`, naming `what` was
 * awaited. A check that throws counts as not yet true (a server still starting, say).
 */
export async function waitFor (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000, everyMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      if (await check()) return
    } catch (err) {
      lastError = err
    }
    if (Date.now() > deadline) {
      const why = lastError === undefined ? '' : ` (last error: ${(lastError as Error).message})`
      throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}${why}`)
    }
    await sleep(everyMs)
  }
}
