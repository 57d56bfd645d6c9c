import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/** Every metric the bridge exports; one registry per app instance so tests stay independent. */
export function createMetrics (storeCounts: () => Promise<{ pending: number, outbox: number }>) {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  // A store that cannot answer must not fail the whole scrape: its gauges read NaN (unknown) and
  // kgb_store_up 0, so an outage is visible on the dashboards that watch the bridge.
  let last: Promise<{ pending: number, outbox: number } | undefined> | undefined
  const counts = () => (last ??= storeCounts().catch(() => undefined).finally(() => { last = undefined }))
  return {
    registry,
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
