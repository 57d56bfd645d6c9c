import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createHash, randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import type { KeptnCloudEvent } from '../../schemas/keptn-event.js'
import type { Test } from 'tap'

// A strict stand-in for the Keptn v1 API gateway (keptn/keptn 1.4.5: api, shipyard-controller). It refuses
// what the real API refuses, with the same statuses and `{code,message}` bodies, and records the
// protocol mistakes the real API accepts but that leave a sequence stuck (`violations`).

const MAX_BODY_BYTES = 64 * 1024
const BASE_PATH = '/api'
const TASK_STATUSES = new Set(['started', 'finished', 'invalidated'])
const FINISHED_STATUS = new Set(['succeeded', 'errored', 'unknown'])
const FINISHED_RESULT = new Set(['pass', 'warning', 'fail'])

export interface KeptnFakeOptions {
  token?: string
  /** Also flag started/finished for a triggeredid never given to `addTriggered`. */
  strictTriggeredIds?: boolean
  /** Drop a triggered event from the listing once it is finished (real Keptn lags; default off). */
  removeOnFinished?: boolean
}

export interface Rejection { status: number, message: string, body: unknown }
export interface Registration { id: string, body: Record<string, unknown> }

export interface KeptnFake {
  url: string
  token: string
  received: KeptnCloudEvent[]
  rejected: Rejection[]
  violations: string[]
  registrations: Registration[]
  heartbeats: Array<{ id: string, at: number }>
  /** Every request answered, injected failures included. */
  requests: Array<{ method: string, path: string, status: number }>
  addTriggered (ev: KeptnCloudEvent): void
  removeTriggered (id: string): void
  /**
   * Answer the next `times` requests (all of them until `heal()` when omitted) with `status`; with
   * `onlyPath` (e.g. '/v1/event'), only requests to that API path fail.
   */
  respondWith (status: number, times?: number, onlyPath?: string): void
  heal (): void
  /** Stop listening and drop open connections: clients get connection refused. */
  goDown (): Promise<void>
  /** Listen again on the same port. */
  comeBack (): Promise<void>
  /** Hold every answer back by `ms` (0 to stop). */
  delay (ms: number): void
  /** Take events in at once but answer them `ms` later (0 to stop): a Keptn whose reply is lost. */
  answerLate (ms: number): void
  /** Answer GET /controlPlane/v1/sequence-execution with 404, as a Keptn before 0.19 does. */
  withoutSequenceExecutions (): void
  /** Forget registrations, as Keptn does after 1–2 minutes without a ping. */
  dropRegistrations (): void
  /**
   * Registers another Keptn service, as its distributor would (go-utils models.Integration): e.g.
   * helm-service subscribed to sh.keptn.event.deployment.triggered. Listed by
   * GET /controlPlane/v1/uniform/registration with the bridge's own registrations.
   */
  addIntegration (name: string, subscriptions: Array<{ event: string, projects?: string[], stages?: string[], services?: string[] }>, namespace?: string): void
  waitFor (predicate: (fake: KeptnFake) => boolean, timeoutMs?: number): Promise<void>
  close (): Promise<void>
}

type Json = Record<string, unknown>
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)
const filled = (v: unknown): v is string => typeof v === 'string' && v !== ''

/** Why the real API would refuse this event with 400, or undefined when it would take it. */
export function eventRejection (ev: unknown): string | undefined {
  if (!isObject(ev)) return 'body must be a CloudEvent object'
  for (const field of ['specversion', 'source', 'type']) {
    if (!filled(ev[field])) return `${field} is required`
  }
  if (!isObject(ev['data'])) return 'data is required and must be an object'
  const data = ev['data']
  const parts = (ev['type'] as string).split('.')
  if (parts.slice(0, 3).join('.') !== 'sh.keptn.event' || parts.some(p => p === '')) return `unknown event type ${ev['type']}`
  if (parts.length === 6) {
    if (parts[5] !== 'triggered') return 'only .triggered may be sent for a sequence'
    if (data['stage'] !== parts[3]) return `data.stage must equal the stage in the type (${parts[3]})`
    for (const field of ['project', 'service']) if (!filled(data[field])) return `data.${field} is required`
    return undefined
  }
  if (parts.length !== 5) return `unknown event type ${ev['type']}`
  if (!TASK_STATUSES.has(parts[4]!)) return 'task events may only be .started, .finished or .invalidated'
  for (const field of ['triggeredid', 'shkeptncontext']) if (!filled(ev[field])) return `${field} is required`
  for (const field of ['project', 'stage', 'service']) if (!filled(data[field])) return `data.${field} is required`
  if (parts[4] === 'finished') {
    if (!FINISHED_STATUS.has(data['status'] as string)) return 'data.status must be succeeded, errored or unknown'
    if (!FINISHED_RESULT.has(data['result'] as string)) return 'data.result must be pass, warning or fail'
  }
  return undefined
}

function readBody (req: IncomingMessage): Promise<{ size: number, text: string }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= MAX_BODY_BYTES) chunks.push(chunk)
    })
    req.on('end', () => resolve({ size, text: Buffer.concat(chunks).toString('utf8') }))
    req.on('error', reject)
  })
}

export async function startKeptnFake (opts: KeptnFakeOptions = {}): Promise<KeptnFake> {
  const token = opts.token ?? 'keptn-fake-token'
  const listing: KeptnCloudEvent[] = []
  const known = new Set<string>()
  const everTriggered: KeptnCloudEvent[] = []
  let lateMs = 0
  let sequenceExecutions = true
  const tasks = new Map<string, { started: number, finished: number }>()
  const liveRegistrations = new Map<string, Json>()
  const timers = new Set<NodeJS.Timeout>()
  const waiters = new Set<() => void>()
  let failStatus = 0
  let failTimes = 0
  let failPath: string | undefined
  let delayMs = 0
  let port = 0

  const server = createServer((req, res) => { handle(req, res).catch(() => res.destroy()) })

  function changed (): void { for (const w of waiters) w() }

  function sleep (ms: number): Promise<void> {
    return new Promise(resolve => {
      const timer = setTimeout(() => { timers.delete(timer); resolve() }, ms)
      timers.add(timer)
    })
  }

  function answer (req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
    fake.requests.push({ method: req.method ?? '', path: req.url ?? '', status })
    if (!res.destroyed) {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    }
    changed()
  }

  function refuse (req: IncomingMessage, res: ServerResponse, status: number, message: string, body: unknown): void {
    fake.rejected.push({ status, message, body })
    answer(req, res, status, { code: status, message })
  }

  function track (ev: KeptnCloudEvent): void {
    const [, , , , status] = ev.type.split('.')
    if (status !== 'started' && status !== 'finished') return
    const id = ev.triggeredid!
    const seen = tasks.get(id) ?? { started: 0, finished: 0 }
    tasks.set(id, seen)
    const v = (what: string) => fake.violations.push(`${what} (${ev.type}, triggeredid ${id})`)
    if (opts.strictTriggeredIds && !known.has(id)) v('event for a triggeredid Keptn never listed')
    if (status === 'started') {
      if (seen.started > 0) v('second .started')
      if (seen.finished > 0) v('.started after .finished')
      seen.started++
    } else {
      if (seen.started === 0) v('.finished without a .started before it')
      if (seen.finished > 0) v('second .finished')
      seen.finished++
      if (opts.removeOnFinished) fake.removeTriggered(id)
    }
  }

  function onEvent (req: IncomingMessage, res: ServerResponse, size: number, text: string): void {
    if (size > MAX_BODY_BYTES) return refuse(req, res, 400, `request body of ${size} bytes exceeds the 64 KiB limit`, undefined)
    const type = req.headers['content-type'] ?? ''
    if (!/^application\/(cloudevents\+)?json\b/.test(type)) return refuse(req, res, 415, `unsupported media type ${type}`, text)
    let ev: unknown
    try {
      ev = JSON.parse(text)
    } catch {
      return refuse(req, res, 400, 'body is not valid JSON', text)
    }
    const reason = eventRejection(ev)
    if (reason) return refuse(req, res, 400, reason, ev)
    const event = ev as KeptnCloudEvent
    fake.received.push(event)
    track(event)
    // Waiters see an event as soon as it is stored, even when its answer is held back (answerLate).
    changed()
    const reply = () => answer(req, res, 200, { keptnContext: event.shkeptncontext ?? randomUUID() })
    if (lateMs > 0) sleep(lateMs).then(reply, () => {})
    else reply()
  }

  // GET /controlPlane/v1/sequence-execution (shipyard-controller 0.19–1.4.5,
  // internal/handler/sequenceexecutionhandler.go): models.SequenceExecution as shipyard-controller
  // keeps it: a task is done (moved to previousTasks) once #started == #finished >= 1.
  function taskExecution (td: KeptnCloudEvent) {
    const events = fake.received.filter(ev => ev.triggeredid === td.id && /\.(started|finished)$/.test(ev.type))
    const finished = events.filter(ev => ev.type.endsWith('.finished'))
    const started = events.length - finished.length
    const task = td.type.split('.')[3]!
    const data = td.data
    const scope = { project: data['project'], stage: data['stage'], service: data['service'], keptnContext: td.shkeptncontext, triggeredId: td.id, gitcommitid: td.gitcommitid ?? '', eventType: td.type }
    const last = finished.at(-1)?.data ?? {}
    const done = finished.length > 0 && started === finished.length
    return {
      _id: createHash('sha1').update(td.id).digest('hex'),
      schemaVersion: '1',
      sequence: { name: 'delivery', tasks: [{ name: task }] },
      status: {
        state: done ? 'finished' : events.length > 0 ? 'started' : 'triggered',
        stateBeforePause: '',
        previousTasks: done ? [{ name: task, triggeredID: td.id, result: last['result'], status: last['status'], properties: null }] : [],
        currentTask: done
          ? { name: '', triggeredID: '', events: null }
          : { name: task, triggeredID: td.id, events: events.map(ev => ({ eventType: ev.type, source: ev.source, result: ev.data['result'] ?? '', status: ev.data['status'] ?? '', time: ev.time ?? '', properties: null })) }
      },
      scope,
      inputProperties: data,
      triggeredAt: td.time ?? new Date(0).toISOString()
    }
  }

  function sequenceTriggered (ev: KeptnCloudEvent) {
    const [, , , stage, name] = ev.type.split('.')
    return {
      _id: createHash('sha1').update(ev.id).digest('hex'),
      schemaVersion: '1',
      sequence: { name, tasks: [] },
      status: { state: 'triggered', stateBeforePause: '', previousTasks: [], currentTask: { name: '', triggeredID: '', events: null } },
      scope: { project: ev.data['project'], stage, service: ev.data['service'], keptnContext: ev.shkeptncontext, triggeredId: ev.id, gitcommitid: '', eventType: ev.type },
      inputProperties: ev.data,
      triggeredAt: ev.time ?? new Date(0).toISOString()
    }
  }

  function onSequenceExecutions (req: IncomingMessage, res: ServerResponse, query: URLSearchParams): void {
    if (!sequenceExecutions) return refuse(req, res, 404, 'no route for GET /controlPlane/v1/sequence-execution', undefined)
    if (!query.get('project')) return refuse(req, res, 400, 'Invalid request format: project name must not be empty', undefined)
    const all = [
      ...everTriggered.map(taskExecution),
      ...fake.received.filter(ev => ev.type.split('.').length === 6 && ev.type.endsWith('.triggered')).map(sequenceTriggered)
    ]
    const wanted = { project: 'project', stage: 'stage', service: 'service', keptnContext: 'keptnContext' } as const
    const matches = all.filter(se => Object.entries(wanted).every(([q, field]) => !query.get(q) || (se.scope as Json)[field] === query.get(q)))
    answer(req, res, 200, { nextPageKey: 0, pageSize: matches.length, totalCount: matches.length, sequenceExecutions: matches })
  }

  function onList (req: IncomingMessage, res: ServerResponse, eventType: string, query: URLSearchParams): void {
    const pageSize = Number(query.get('pageSize') ?? 20)
    const offset = Number(query.get('nextPageKey') ?? 0)
    if (!Number.isInteger(pageSize) || pageSize < 1 || !Number.isInteger(offset) || offset < 0) {
      return refuse(req, res, 400, 'invalid pageSize or nextPageKey', undefined)
    }
    const matches = listing.filter(ev => ev.type === eventType &&
      ['project', 'stage', 'service'].every(f => !query.get(f) || ev.data[f] === query.get(f)) &&
      (!query.get('eventID') || ev.id === query.get('eventID')))
    const next = offset + pageSize
    answer(req, res, 200, {
      events: matches.slice(offset, next),
      nextPageKey: next < matches.length ? String(next) : '0',
      pageSize,
      totalCount: matches.length
    })
  }

  function onRegister (req: IncomingMessage, res: ServerResponse, text: string): void {
    let body: unknown
    try { body = JSON.parse(text) } catch { return refuse(req, res, 400, 'body is not valid JSON', text) }
    const meta = isObject(body) && isObject(body['metadata']) ? body['metadata'] : {}
    const k8s = isObject(meta['kubernetesmetadata']) ? meta['kubernetesmetadata'] : {}
    if (!isObject(body) || !filled(body['name']) || !filled(meta['hostname']) || !filled(k8s['namespace']) ||
      !Array.isArray(body['subscriptions'])) {
      return refuse(req, res, 400, 'name, metadata.hostname, metadata.kubernetesmetadata.namespace and subscriptions are required', body)
    }
    const id = createHash('sha1').update(`${body['name']}/${k8s['namespace']}/${meta['hostname']}`).digest('hex')
    liveRegistrations.set(id, body)
    fake.registrations.push({ id, body })
    answer(req, res, 201, { id })
  }

  // GET /controlPlane/v1/uniform/registration: []models.Integration, as shipyard-controller's
  // uniform handler answers (every field of the Go struct, lastseen as RFC 3339).
  function onListRegistrations (req: IncomingMessage, res: ServerResponse): void {
    const integration = (id: string, body: Record<string, unknown>) => {
      const meta = isObject(body['metadata']) ? body['metadata'] : {}
      const k8s = isObject(meta['kubernetesmetadata']) ? meta['kubernetesmetadata'] : {}
      const subscriptions = Array.isArray(body['subscriptions']) ? body['subscriptions'] as Array<Record<string, unknown>> : []
      return {
        id,
        name: body['name'],
        metadata: {
          hostname: meta['hostname'] ?? '',
          integrationversion: meta['integrationversion'] ?? '',
          distributorversion: meta['distributorversion'] ?? '',
          location: meta['location'] ?? 'control-plane',
          kubernetesmetadata: { namespace: k8s['namespace'] ?? '', podname: k8s['podname'] ?? '', deploymentname: k8s['deploymentname'] ?? '' },
          lastseen: new Date().toISOString()
        },
        subscriptions: subscriptions.map((sub, i) => {
          const filter = isObject(sub['filter']) ? sub['filter'] : {}
          return { id: `${id}-${i}`, event: sub['event'], filter: { projects: filter['projects'] ?? null, stages: filter['stages'] ?? null, services: filter['services'] ?? null } }
        })
      }
    }
    answer(req, res, 200, [...liveRegistrations.entries()].map(([id, body]) => integration(id, body as Record<string, unknown>)))
  }

  function onPing (req: IncomingMessage, res: ServerResponse, id: string): void {
    const body = liveRegistrations.get(id)
    if (!body) return refuse(req, res, 404, `no integration with id ${id}`, undefined)
    fake.heartbeats.push({ id, at: Date.now() })
    answer(req, res, 200, { ...body, id })
  }

  async function handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { size, text } = await readBody(req)
    if (delayMs > 0) await sleep(delayMs)
    const url = new URL(req.url ?? '/', 'http://keptn.invalid')
    if (failTimes > 0 && (failPath === undefined || url.pathname === BASE_PATH + failPath)) {
      failTimes--
      return answer(req, res, failStatus, { code: failStatus, message: `injected ${failStatus}` })
    }
    if (req.headers['x-token'] !== token) return refuse(req, res, 401, 'missing or malformed API key', undefined)
    const path = url.pathname.startsWith(BASE_PATH + '/') ? url.pathname.slice(BASE_PATH.length) : ''
    const list = /^\/controlPlane\/v1\/event\/triggered\/([^/]+)$/.exec(path)
    const ping = /^\/controlPlane\/v1\/uniform\/registration\/([^/]+)\/ping$/.exec(path)
    if (req.method === 'POST' && path === '/v1/event') return onEvent(req, res, size, text)
    if (req.method === 'GET' && list) return onList(req, res, decodeURIComponent(list[1]!), url.searchParams)
    if (req.method === 'GET' && path === '/controlPlane/v1/sequence-execution') return onSequenceExecutions(req, res, url.searchParams)
    if (req.method === 'POST' && path === '/controlPlane/v1/uniform/registration') return onRegister(req, res, text)
    if (req.method === 'GET' && path === '/controlPlane/v1/uniform/registration') return onListRegistrations(req, res)
    if (req.method === 'PUT' && ping) return onPing(req, res, decodeURIComponent(ping[1]!))
    refuse(req, res, 404, `no route for ${req.method} ${url.pathname}`, undefined)
  }

  function listen (): Promise<void> {
    return new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject)
        port = (server.address() as AddressInfo).port
        resolve()
      })
    })
  }

  function stopListening (): Promise<void> {
    return new Promise(resolve => {
      if (!server.listening) return resolve()
      server.close(() => resolve())
      server.closeAllConnections()
    })
  }

  function summary (): string {
    return JSON.stringify({
      received: fake.received.map(ev => `${ev.type} ${ev.triggeredid ?? ''}`.trim()),
      rejected: fake.rejected.map(r => `${r.status} ${r.message}`),
      violations: fake.violations,
      registrations: fake.registrations.length,
      heartbeats: fake.heartbeats.length
    }, null, 2)
  }

  await listen()
  const fake: KeptnFake = {
    url: `http://127.0.0.1:${port}${BASE_PATH}`,
    token,
    received: [],
    rejected: [],
    violations: [],
    registrations: [],
    heartbeats: [],
    requests: [],
    addTriggered (ev) {
      listing.push(ev)
      if (!known.has(ev.id)) everTriggered.push(ev)
      known.add(ev.id)
    },
    removeTriggered (id) {
      for (let i = listing.length - 1; i >= 0; i--) if (listing[i]!.id === id) listing.splice(i, 1)
    },
    respondWith (status, times = Infinity, onlyPath) {
      failStatus = status
      failTimes = times
      failPath = onlyPath
    },
    heal () { failTimes = 0 },
    goDown: stopListening,
    comeBack: listen,
    delay (ms) { delayMs = ms },
    answerLate (ms) { lateMs = ms },
    withoutSequenceExecutions () { sequenceExecutions = false },
    dropRegistrations () { liveRegistrations.clear() },
    addIntegration (name, subscriptions, namespace = 'keptn') {
      const id = createHash('sha1').update(`${name}/${namespace}/${name}-pod`).digest('hex')
      liveRegistrations.set(id, {
        name,
        metadata: { hostname: `${name}-pod`, integrationversion: '1.4.5', distributorversion: '1.4.5', kubernetesmetadata: { namespace, podname: `${name}-pod`, deploymentname: name } },
        subscriptions: subscriptions.map(sub => ({ event: sub.event, filter: { projects: sub.projects ?? [], stages: sub.stages ?? [], services: sub.services ?? [] } }))
      })
    },
    waitFor (predicate, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate(fake)) return
          done()
          resolve()
        }
        const timer = setTimeout(() => {
          done()
          reject(new Error(`keptn fake: condition not met within ${timeoutMs} ms; so far:\n${summary()}`))
        }, timeoutMs)
        const done = () => { clearTimeout(timer); waiters.delete(check) }
        waiters.add(check)
        check()
      })
    },
    async close () {
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
      await stopListening()
    }
  }
  return fake
}

/** The `sh.keptn.event.deployment.<type>` events the fake took in (`started`, `finished`, …), in order. */
export function ofType (fake: Pick<KeptnFake, 'received'>, type: string): KeptnCloudEvent[] {
  return fake.received.filter(e => e.type === `sh.keptn.event.deployment.${type}`)
}

/** A `deployment.triggered` event as Keptn lists it; `data` fields override the defaults. */
/** A deployment.triggered event; `envelope` may also set what only Keptn's Go models write (nulls, contenttype). */
export function makeTriggered (data: Json = {}, envelope: Json = {}): KeptnCloudEvent {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: 'shipyard-controller',
    type: 'sh.keptn.event.deployment.triggered',
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    shkeptncontext: randomUUID(),
    shkeptnspecversion: '0.2.4',
    ...envelope,
    data: { project: 'shop', stage: 'prod', service: 'cart', ...data }
  } as KeptnCloudEvent
}

/**
 * Runs a test with a fresh Keptn fake and, after it, asserts that the fake rejected nothing and saw
 * no protocol violation — what a real Keptn would have choked on.
 */
export function withKeptnFake (t: Test, name: string, fn: (t: Test, fake: KeptnFake) => Promise<void>, opts: KeptnFakeOptions = {}) {
  return t.test(name, async t => {
    const fake = await startKeptnFake(opts)
    t.teardown(() => fake.close())
    await fn(t, fake)
    t.same(fake.rejected, [], 'the Keptn fake rejected nothing')
    t.same(fake.violations, [], 'no Keptn protocol violation')
  })
}

/**
 * A push of a triggered event as Keptn's distributor makes it: the event exists in Keptn (listed
 * as open, so the bridge can confirm it) and is POSTed to /events/keptn.
 */
export function pushTriggered (fake: Pick<KeptnFake, 'addTriggered'>, ev: KeptnCloudEvent, contentType = 'application/json') {
  fake.addTriggered(ev)
  return { method: 'POST' as const, url: '/events/keptn', headers: { 'content-type': contentType }, payload: JSON.stringify(ev) }
}
