import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/** Every metric the bridge exports; one registry per app instance so tests stay independent. */
export function createMetrics (storeCounts: () => Promise<{ pending: number, outbox: number }>, build: { version: string } = { version: 'unknown' }) {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  // A store that cannot answer must not fail the whole scrape: its gauges read NaN (unknown) and
  // kgb_store_up 0, so an outage is visible on the dashboards that watch the bridge.
  let last: Promise<{ pending: number, outbox: number } | undefined> | undefined
  const counts = () => (last ??= storeCounts().catch(() => undefined).finally(() => { last = undefined }))
  const buildInfo = new Gauge({
    name: 'kgb_build_info',
    help: 'Always 1; the labels say which build runs',
    labelNames: ['version', 'node_version'] as const,
    registers: [registry]
  })
  buildInfo.set({ version: build.version, node_version: process.version }, 1)
  return {
    registry,
    httpRequests: new Counter({
      name: 'kgb_http_requests_total',
      help: 'HTTP requests answered, by route (the pattern, "unmatched" for unknown paths), method and status',
      labelNames: ['route', 'method', 'status'] as const,
      registers: [registry]
    }),
    httpDuration: new Histogram({
      name: 'kgb_http_request_duration_seconds',
      help: 'Time to answer HTTP requests, by route, method and status',
      labelNames: ['route', 'method', 'status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry]
    }),
    gitWrites: new Counter({
      name: 'kgb_git_writes_total',
      help: 'Git writes for Keptn-driven deployments (GIT_TARGETS), by result: pushed, unchanged, abandoned, failed, refused',
      labelNames: ['result'] as const,
      registers: [registry]
    }),
    gitWriteDuration: new Histogram({
      name: 'kgb_git_write_duration_seconds',
      help: 'Time from claiming a Git write to its result (clone or fetch, edit, commit, push)',
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers: [registry]
    }),
    kubernetesErrors: new Counter({
      name: 'kgb_kubernetes_errors_total',
      help: 'Failed Kubernetes API reads, by operation (labels, object, list) and cause (HTTP status, timeout, unreachable)',
      labelNames: ['operation', 'cause'] as const,
      registers: [registry]
    }),
    keptnPollErrors: new Counter({
      name: 'kgb_keptn_poll_errors_total',
      help: 'Keptn listings (KEPTN_POLL_INTERVAL) that failed, per project listing',
      registers: [registry]
    }),
    eventsReceived: new Counter({
      name: 'kgb_events_received_total',
      help: 'GitOps events received, by source, reason and what became of them',
      labelNames: ['source', 'reason', 'result'] as const,
      registers: [registry]
    }),
    triggeredReceived: new Counter({
      name: 'kgb_triggered_received_total',
      help: 'Keptn deployment.triggered events seen, by path (push, pull) and result',
      labelNames: ['path', 'result'] as const,
      registers: [registry]
    }),
    keptnEventsSent: new Counter({
      name: 'kgb_keptn_events_sent_total',
      help: 'Events delivered to Keptn, by kind (started, finished, trigger), status and result',
      labelNames: ['kind', 'status', 'result'] as const,
      registers: [registry]
    }),
    deliveryRetries: new Counter({
      name: 'kgb_delivery_retries_total',
      help: 'Deliveries to Keptn that failed and were rescheduled',
      labelNames: ['kind'] as const,
      registers: [registry]
    }),
    deadLetters: new Counter({
      name: 'kgb_dead_letters_total',
      help: 'Deliveries Keptn refused permanently (kept in the dead-letter list)',
      labelNames: ['kind'] as const,
      registers: [registry]
    }),
    deadlineExpiries: new Counter({
      name: 'kgb_deadline_expiries_total',
      help: 'Pending deployments finished as errored/fail because no outcome came in time',
      registers: [registry]
    }),
    keptnRequestDuration: new Histogram({
      name: 'kgb_keptn_request_duration_seconds',
      help: 'Latency of requests to the Keptn API, by outcome',
      labelNames: ['outcome'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry]
    }),
    storeUp: new Gauge({
      name: 'kgb_store_up',
      help: 'Whether the store (Redis) answered this scrape: 1 yes, 0 no',
      registers: [registry],
      async collect () { this.set((await counts()) ? 1 : 0) }
    }),
    pending: new Gauge({
      name: 'kgb_pending_deployments',
      help: 'Triggered deployments waiting for a GitOps outcome (NaN while the store is away)',
      registers: [registry],
      async collect () { this.set((await counts())?.pending ?? NaN) }
    }),
    outbox: new Gauge({
      name: 'kgb_outbox_depth',
      help: 'Events owed to Keptn and not yet delivered (NaN while the store is away)',
      registers: [registry],
      async collect () { this.set((await counts())?.outbox ?? NaN) }
    })
  }
}

export type Metrics = ReturnType<typeof createMetrics>
