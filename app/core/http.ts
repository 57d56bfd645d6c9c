import { request, type Dispatcher } from 'undici'

export interface TextRequest {
  method?: Dispatcher.HttpMethod
  headers?: Record<string, string>
  body?: string
  dispatcher?: Dispatcher
  timeoutMs: number
}

/**
 * One HTTP exchange bounded as a whole, its body always read (an unread body holds the
 * connection). undici's own timers tick at ~0.5 s granularity; the signal bounds it exactly.
 */
export async function requestText (url: string, opts: TextRequest): Promise<{ status: number, text: string }> {
  const res = await request(url, {
    method: opts.method ?? 'GET',
    headers: opts.headers,
    body: opts.body,
    dispatcher: opts.dispatcher,
    signal: AbortSignal.timeout(opts.timeoutMs),
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs
  })
  return { status: res.statusCode, text: await res.body.text() }
}
