import { Agent, type Dispatcher } from 'undici'
import { requestText } from './http.js'
import type { Log } from './log.js'
import { TriggeredEventsPage, type KeptnCloudEvent } from '../../schemas/keptn-event.js'
import { compileValidator } from '../../schemas/validator.js'
import { DEPLOYMENT_TRIGGERED } from './keptn-events.js'

export type SendResult =
  | { ok: true, status: number, keptnContext?: string }
  | {
    ok: false
    retryable: boolean
    status?: number
    message: string
    /**
     * The request may have reached Keptn although no answer came back (a timeout, a connection
     * cut after the request was written, a gateway's 502/504): look in Keptn before sending it again.
     */
    uncertain?: boolean
  }

export interface TriggeredFilter {
  project?: string
  stage?: string
  service?: string
  /** One event by its id (shipyard-controller's GetTriggeredEvents takes `eventID`). */
  eventID?: string
}

export interface UniformRegistration {
  name: string
  metadata: {
    hostname: string
    integrationversion?: string
    distributorversion?: string
    location?: string
    kubernetesmetadata: { namespace: string, podname?: string, deploymentname?: string }
  }
  subscriptions: Array<{ event: string, filter: { projects: string[], stages: string[], services: string[] } }>
}

export interface KeptnClient {
  send (event: KeptnCloudEvent): Promise<SendResult>
  /** Open triggered deployments as Keptn lists them, unchecked (the engine validates each). */
  listTriggered (filter?: TriggeredFilter): Promise<unknown[]>
  /**
   * Whether Keptn already holds this event (a `.started`/`.finished` answering its triggered id, or
   * a sequence triggered in its context), read from shipyard-controller's sequence executions
   * (GET /controlPlane/v1/sequence-execution, Keptn 0.19–1.4). undefined when Keptn cannot say
   * (no such endpoint, or the project is gone); throws when Keptn cannot be asked.
   */
  landed (event: KeptnCloudEvent): Promise<boolean | undefined>
  register (registration: UniformRegistration): Promise<{ id: string }>
  heartbeat (id: string): Promise<void>
  /** Every service registered with Keptn's uniform (GET /controlPlane/v1/uniform/registration), unchecked. */
  listRegistrations (): Promise<unknown[]>
  close (): Promise<void>
}

/** A non-2xx answer from the Keptn API, with Keptn's own message when it gave one. */
export class KeptnApiError extends Error {
  readonly code = 'KEPTN_API_ERROR'
  constructor (readonly status: number, message: string) {
    super(message)
    this.name = 'KeptnApiError'
  }
}

export interface KeptnClientOptions {
  url: string
  token?: string
  timeoutMs?: number
  source: string
}

// Errors that mean the request never left: sending again cannot double anything.
const notSent = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT'])

/** The part of shipyard-controller's models.SequenceExecution that says which events it holds. */
interface SequenceExecution {
  sequence?: { name?: string }
  scope?: { stage?: string }
  status?: {
    previousTasks?: Array<{ triggeredID?: string }> | null
    currentTask?: { triggeredID?: string, events?: Array<{ eventType?: string, source?: string }> | null }
  }
}

function holds (execution: SequenceExecution, event: KeptnCloudEvent): boolean {
  const parts = event.type.split('.')
  if (parts.length === 6) {
    // A sequence trigger: its execution exists in the context the bridge chose for it.
    return execution.sequence?.name === parts[4] && execution.scope?.stage === parts[3]
  }
  const id = event.triggeredid
  if (!id) return false
  // A finished task (#started == #finished) holds both of its events.
  if ((execution.status?.previousTasks ?? []).some(task => task.triggeredID === id)) return true
  const current = execution.status?.currentTask
  return current?.triggeredID === id && (current.events ?? []).some(e => e.eventType === event.type && e.source === event.source)
}

// The listing's paging is unreliable (see the contract): large pages, a hard page cap, dedupe.
const PAGE_SIZE = 100
const MAX_PAGES = 20

function parseJson (text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

function keptnMessage (status: number, text: string): string {
  const body = parseJson(text) as { message?: unknown } | undefined
  if (typeof body?.message === 'string' && body.message !== '') return body.message
  return text.trim().slice(0, 500) || `HTTP ${status}`
}

const validPage = compileValidator(TriggeredEventsPage)

export function createKeptnClient (opts: KeptnClientOptions): KeptnClient {
  const timeoutMs = opts.timeoutMs ?? 10_000
  const base = opts.url.replace(/\/+$/, '')
  const agent = new Agent({ connect: { timeout: timeoutMs }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs })

  async function call (method: Dispatcher.HttpMethod, path: string, body?: unknown): Promise<{ status: number, text: string }> {
    const headers: Record<string, string> = { accept: 'application/json' }
    if (opts.token) headers['x-token'] = opts.token
    if (body !== undefined) headers['content-type'] = 'application/json'
    return await requestText(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), dispatcher: agent, timeoutMs })
  }

  async function send (event: KeptnCloudEvent): Promise<SendResult> {
    let res
    try {
      res = await call('POST', '/v1/event', event)
    } catch (err) {
      const error = err as Error & { code?: string }
      const timedOut = error.name === 'TimeoutError' || /TIMEOUT/.test(error.code ?? '')
      const message = timedOut ? `timeout: Keptn did not answer within ${timeoutMs} ms` : `Keptn unreachable: ${error.message || error.code || error.name}`
      return { ok: false, retryable: true, message, uncertain: !notSent.has(error.code ?? '') }
    }
    const { status, text } = res
    if (status >= 200 && status < 300) {
      const body = parseJson(text) as { keptnContext?: unknown } | undefined
      return typeof body?.keptnContext === 'string' ? { ok: true, status, keptnContext: body.keptnContext } : { ok: true, status }
    }
    const failed = { ok: false as const, retryable: status >= 500 || status === 429, status, message: keptnMessage(status, text) }
    return status === 502 || status === 504 ? { ...failed, uncertain: true } : failed
  }

  async function landed (event: KeptnCloudEvent): Promise<boolean | undefined> {
    const data = event.data as { project?: unknown, stage?: unknown, service?: unknown }
    const query = new URLSearchParams({ project: String(data.project ?? ''), keptnContext: event.shkeptncontext ?? '', pageSize: '50' })
    if (typeof data.stage === 'string') query.set('stage', data.stage)
    if (typeof data.service === 'string') query.set('service', data.service)
    let body: unknown
    try {
      body = await expectOk('GET', `/controlPlane/v1/sequence-execution?${query}`, 'looking for an event in Keptn')
    } catch (err) {
      if (err instanceof KeptnApiError && err.status === 404) return undefined
      throw err
    }
    const executions = (body as { sequenceExecutions?: unknown } | undefined)?.sequenceExecutions
    return Array.isArray(executions) && executions.some(execution => holds(execution as SequenceExecution, event))
  }

  async function expectOk (method: Dispatcher.HttpMethod, path: string, what: string, body?: unknown): Promise<unknown> {
    const { status, text } = await call(method, path, body).catch((err: Error) => {
      throw new Error(`${what}: Keptn unreachable: ${err.message}`, { cause: err })
    })
    if (status < 200 || status >= 300) throw new KeptnApiError(status, `${what}: Keptn answered ${status}: ${keptnMessage(status, text)}`)
    return parseJson(text)
  }

  async function listTriggered (filter: TriggeredFilter = {}): Promise<unknown[]> {
    const found = new Map<string, unknown>()
    const seenKeys = new Set<string>()
    let pageKey: string | undefined
    for (let page = 0; page < MAX_PAGES; page++) {
      const query = new URLSearchParams({ pageSize: String(PAGE_SIZE) })
      for (const field of ['project', 'stage', 'service', 'eventID'] as const) {
        if (filter[field]) query.set(field, filter[field])
      }
      if (pageKey) query.set('nextPageKey', pageKey)
      const body = await expectOk('GET', `/controlPlane/v1/event/triggered/${DEPLOYMENT_TRIGGERED}?${query}`, 'listing triggered deployments')
      const checked = validPage(body)
      if (!checked.ok) throw new Error(`listing triggered deployments: Keptn answered with an unexpected body (${checked.reason})`)
      const list = checked.value
      for (const ev of list.events ?? []) {
        const id = (ev as { id?: unknown } | null)?.id
        // One without an id cannot be answered; the engine counts every other one it refuses.
        if (typeof id === 'string' && id !== '' && !found.has(id)) found.set(id, ev)
      }
      pageKey = list.nextPageKey == null ? undefined : String(list.nextPageKey)
      if (!pageKey || pageKey === '0' || seenKeys.has(pageKey)) break
      seenKeys.add(pageKey)
    }
    return [...found.values()]
  }

  async function register (registration: UniformRegistration): Promise<{ id: string }> {
    const body = await expectOk('POST', '/controlPlane/v1/uniform/registration', 'uniform registration', registration) as { id?: unknown } | undefined
    if (typeof body?.id !== 'string' || body.id === '') throw new Error('uniform registration: Keptn answered without an id')
    return { id: body.id }
  }

  async function heartbeat (id: string): Promise<void> {
    await expectOk('PUT', `/controlPlane/v1/uniform/registration/${encodeURIComponent(id)}/ping`, 'uniform heartbeat')
  }

  async function listRegistrations (): Promise<unknown[]> {
    const body = await expectOk('GET', '/controlPlane/v1/uniform/registration', 'listing uniform registrations')
    if (!Array.isArray(body)) throw new Error('listing uniform registrations: Keptn answered with an unexpected body')
    return body
  }

  return { send, listTriggered, landed, register, heartbeat, listRegistrations, close: () => agent.close() }
}

/**
 * The open deployment.triggered event Keptn lists with this id, project, stage and service, or
 * undefined (a project Keptn does not know, 404, lists nothing). Throws when Keptn cannot be asked.
 */
export async function confirmTriggered (keptn: Pick<KeptnClient, 'listTriggered'>, td: { triggeredId: string, project: string, stage: string, service: string }): Promise<unknown> {
  try {
    const listed = await keptn.listTriggered({ project: td.project, stage: td.stage, service: td.service, eventID: td.triggeredId })
    return listed.find(ev => (ev as { id?: unknown }).id === td.triggeredId)
  } catch (err) {
    if (err instanceof KeptnApiError && err.status === 404) return undefined
    throw err
  }
}

/** Stands in for Keptn when no API URL is configured: every event is logged and accepted. */
export function createLogOnlyKeptnClient (logger: Pick<Log, 'info'>): KeptnClient {
  return {
    async send (event) {
      logger.info({ keptnEvent: event }, 'keptn event (no KEPTN_API_URL, logged only)')
      return event.shkeptncontext ? { ok: true, status: 200, keptnContext: event.shkeptncontext } : { ok: true, status: 200 }
    },
    async listTriggered () { return [] },
    async landed () { return undefined },
    async register () { return { id: 'log-only' } },
    async heartbeat () {},
    async listRegistrations () { return [] },
    async close () {}
  }
}
