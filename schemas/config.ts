import { Type, type Static } from '@sinclair/typebox'

const LabelKeys = Type.Object({ project: Type.String(), stage: Type.String(), service: Type.String() })

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export const versionMatches = ['strict', 'prefer'] as const

/**
 * The service's configuration after the environment has been parsed and checked. app/config.ts is
 * the one place that checks it (with messages naming the variable); every config it returns
 * satisfies this schema (tests/app/config.test.ts checks that), so nothing validates it again.
 */
export const Config = Type.Object({
  port: Type.Integer({ minimum: 0, maximum: 65535 }),
  host: Type.String({ minLength: 1 }),
  logLevel: Type.Union(logLevels.map(l => Type.Literal(l))),
  production: Type.Boolean(),
  serviceName: Type.String(),
  fluxHmacKeys: Type.Array(Type.String({ minLength: 1 })),
  fluxWebhookToken: Type.Optional(Type.String({ minLength: 16 })),
  argocdWebhookToken: Type.Optional(Type.String({ minLength: 16 })),
  /** STATUS_TOKEN: guards GET / and GET /api/v1/deployments (Bearer, or Basic with it as password). */
  statusToken: Type.Optional(Type.String({ minLength: 16 })),
  redis: Type.Object({
    url: Type.Optional(Type.String()),
    clusterNodes: Type.Optional(Type.Array(Type.String())),
    sentinels: Type.Optional(Type.Array(Type.String())),
    sentinelName: Type.Optional(Type.String()),
    username: Type.Optional(Type.String()),
    password: Type.Optional(Type.String()),
    /** The sentinels' own password (REDIS_SENTINEL_PASSWORD, default REDIS_PASSWORD). */
    sentinelPassword: Type.Optional(Type.String()),
    /** Present when TLS is on; the files are optional (system CAs, no client certificate). */
    tls: Type.Optional(Type.Object({
      caFile: Type.Optional(Type.String()),
      certFile: Type.Optional(Type.String()),
      keyFile: Type.Optional(Type.String())
    })),
    waitReplicas: Type.Integer({ minimum: 0 })
  }),
  keyPrefix: Type.String({ minLength: 1 }),
  keptn: Type.Object({
    apiUrl: Type.Optional(Type.String()),
    apiToken: Type.Optional(Type.String()),
    pollIntervalMs: Type.Integer({ minimum: 0 }),
    register: Type.Boolean(),
    /** Projects whose deployments the bridge takes; empty = all. */
    projects: Type.Array(Type.String())
  }),
  deploymentTimeoutMs: Type.Integer({ minimum: 1 }),
  retentionMs: Type.Integer({ minimum: 1 }),
  /** How long a result that found nothing pending is held for a triggered event on its way; 0 = off. */
  earlyResultWindowMs: Type.Integer({ minimum: 0 }),
  triggerSequence: Type.Optional(Type.String()),
  /** EVALUATION_WINDOW: the evaluation window a GitOps-first sequence carries, from the deployment (0 = none). */
  evaluationWindowMs: Type.Integer({ minimum: 0 }),
  mappingFile: Type.Optional(Type.String()),
  kubernetes: Type.Object({
    apiUrl: Type.Optional(Type.String()),
    tokenFile: Type.String(),
    caFile: Type.String(),
    /** OBSERVE_INTERVAL: how often pending deployments are checked against their GitOps objects' status (0 = off). */
    observeIntervalMs: Type.Integer({ minimum: 0 }),
    /** OBSERVE_NAMESPACES: list only in these namespaces (RBAC granted per namespace); empty = all. */
    observeNamespaces: Type.Array(Type.String()),
    labelKeys: LabelKeys
  }),
  maxEventAgeMs: Type.Integer({ minimum: 0 }),
  maxClockSkewMs: Type.Integer({ minimum: 0 }),
  versionMatch: Type.Union(versionMatches.map(v => Type.Literal(v))),
  /** TLS_CERT_FILE / TLS_KEY_FILE: serve HTTPS on PORT; the files are re-read every reloadMs. */
  tls: Type.Optional(Type.Object({ certFile: Type.String(), keyFile: Type.String(), reloadMs: Type.Integer({ minimum: 1 }) })),
  /** MAX_EVENT_LOOP_DELAY: past it the hooks answer 503 (0 = never). */
  maxEventLoopDelayMs: Type.Integer({ minimum: 0 }),
  /** POD_NAMESPACE (default keptn): the namespace the uniform registration reports (KEPTN_REGISTER). */
  podNamespace: Type.String({ minLength: 1 }),
  git: Type.Object({
    targetsFile: Type.Optional(Type.String()),
    workDir: Type.String(),
    tokenFile: Type.Optional(Type.String()),
    sshKeyFile: Type.Optional(Type.String()),
    receiverUrl: Type.Optional(Type.String()),
    receiverToken: Type.Optional(Type.String())
  }),
  delivery: Type.Object({
    pollIntervalMs: Type.Integer({ minimum: 1 }),
    leaseMs: Type.Integer({ minimum: 1 }),
    backoffBaseMs: Type.Integer({ minimum: 1 }),
    backoffMaxMs: Type.Integer({ minimum: 1 }),
    requestTimeoutMs: Type.Integer({ minimum: 1 })
  })
})

export type Config = Static<typeof Config>
