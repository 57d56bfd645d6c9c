import { accessSync, constants } from 'node:fs'
import { isIP } from 'node:net'
import { logLevels, versionMatches, type Config } from '../schemas/config.js'
import { parseDuration } from './core/duration.js'
import { kubernetesApiUrlFromEnv } from './core/mapping/kubernetes.js'

export type { Config }

/** A bad configuration value: the message names the variable and what is wrong with it. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID'
}

type Env = Record<string, string | undefined>

/** An IP address, or a DNS name of valid labels (`_` too: Docker Compose service names have it). */
function isHost (text: string): boolean {
  if (isIP(text) !== 0) return true
  const labels = text.replace(/\.$/, '').split('.')
  return text.length <= 253 && !/^[\d.]+$/.test(text) && labels.every(label => /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/i.test(label))
}

const serviceAccount = '/var/run/secrets/kubernetes.io/serviceaccount'

/** Reads one variable; empty values count as unset. */
function reader (env: Env) {
  const raw = (name: string): string | undefined => {
    const value = env[name]?.trim()
    return value === '' ? undefined : value
  }
  const fail = (name: string, why: string, shown = true): never => {
    throw new ConfigError(shown ? `${name}=${raw(name)}: ${why}` : `${name}: ${why}`)
  }
  return {
    raw,
    fail,
    str: (name: string, fallback: string) => raw(name) ?? fallback,
    /** One of `options`, else `why`. */
    choice<T extends string> (name: string, options: readonly T[], fallback: T, why: string): T {
      const value = raw(name) ?? fallback
      return (options as readonly string[]).includes(value) ? value as T : fail(name, why)
    },
    host (name: string, fallback: string): string {
      const host = raw(name) ?? fallback
      return isHost(host) ? host : fail(name, 'must be an IP address or a host name')
    },
    /** 0 is refused unless `allowZero` (where the README gives 0 a meaning), as the schema's minimum says. */
    duration (name: string, fallback: string, { allowZero = false } = {}): number {
      const ms = parseDuration(raw(name) ?? fallback)
      // Too many digits parse to Infinity (or lose precision): no duration either.
      if (ms === undefined || !Number.isSafeInteger(ms)) return fail(name, 'must be a duration such as 500ms, 10s, 15m or 1h')
      return ms > 0 || allowZero ? ms : fail(name, 'must be longer than 0')
    },
    port (name: string, fallback: number): number {
      const value = raw(name)
      if (value === undefined) return fallback
      const port = /^\d+$/.test(value) ? Number(value) : NaN
      return port >= 0 && port <= 65535 ? port : fail(name, 'must be a port number from 0 to 65535')
    },
    count (name: string, fallback: number): number {
      const value = raw(name)
      if (value === undefined) return fallback
      return /^\d{1,3}$/.test(value) ? Number(value) : fail(name, 'must be a whole number such as 0 or 1')
    },
    bool (name: string): boolean {
      const value = raw(name)?.toLowerCase()
      if (value === undefined || value === 'false' || value === '0' || value === 'no') return false
      if (value === 'true' || value === '1' || value === 'yes') return true
      return fail(name, 'must be true or false')
    },
    list (name: string): string[] | undefined {
      const items = raw(name)?.split(',').map(s => s.trim()).filter(Boolean)
      return items?.length ? items : undefined
    },
    url (name: string, schemes: string[]): string | undefined {
      const value = raw(name)
      if (value === undefined) return undefined
      let parsed: URL
      try {
        parsed = new URL(value)
      } catch {
        // Say what is wrong with a URL that has a scheme, e.g. a port out of range.
        const port = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/]*@)?(?:\[[^\]]*\]|[^:/]*):([^/?#]*)/i.exec(value)?.[1]
        if (port !== undefined && !(/^\d+$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) return fail(name, `the port "${port}" must be a number from 1 to 65535`, false)
        return fail(name, 'must be an absolute URL', false)
      }
      if (!schemes.includes(parsed.protocol)) fail(name, `must use ${schemes.join(' or ')}`, false)
      if (parsed.port === '0') fail(name, 'the port "0" must be a number from 1 to 65535', false)
      return value.replace(/\/+$/, '')
    },
    /** A path the service must be able to read at start-up. */
    file (name: string): string | undefined {
      const path = raw(name)
      if (path === undefined) return undefined
      try { accessSync(path, constants.R_OK) } catch (err) { fail(name, `cannot read the file (${(err as NodeJS.ErrnoException).code})`) }
      return path
    },
    secret (name: string, minLength: number): string | undefined {
      const value = raw(name)
      if (value !== undefined && value.length < minLength) fail(name, `must be at least ${minLength} characters`, false)
      return value
    }
  }
}

/** `host:port,host:port`, an IPv6 host in brackets: Redis Cluster seeds or sentinels. */
function hostPorts (r: ReturnType<typeof reader>, name: string): string[] | undefined {
  const items = r.list(name)
  if (r.raw(name) !== undefined && items === undefined) r.fail(name, 'must list at least one host:port', false)
  for (const item of items ?? []) {
    const [, ipv6, host, port] = /^(?:\[(.+)\]|([^:]+)):(\d+)$/.exec(item) ?? []
    if (ipv6 ? isIP(ipv6) !== 6 : !host || !isHost(host)) r.fail(name, `"${item}" is not host:port`, false)
    if (!(Number(port) >= 1 && Number(port) <= 65535)) r.fail(name, `"${item}": the port must be from 1 to 65535`, false)
  }
  return items
}

/** HTTPS on PORT: both files or neither, readable at start-up. */
function serverTls (r: ReturnType<typeof reader>): Pick<Config, 'tls'> {
  const certFile = r.file('TLS_CERT_FILE')
  const keyFile = r.file('TLS_KEY_FILE')
  if (Boolean(certFile) !== Boolean(keyFile)) {
    r.fail(certFile ? 'TLS_KEY_FILE' : 'TLS_CERT_FILE', 'required with the other one (the certificate and its key go together)', false)
  }
  return certFile && keyFile ? { tls: { certFile, keyFile, reloadMs: r.duration('TLS_RELOAD_INTERVAL', '1m') } } : {}
}

/** TLS to Redis: on with `rediss://`, `REDIS_TLS=true` or any certificate file; undefined = plain TCP. */
function redisTls (r: ReturnType<typeof reader>): Config['redis']['tls'] {
  const files = { caFile: r.file('REDIS_TLS_CA_FILE'), certFile: r.file('REDIS_TLS_CERT_FILE'), keyFile: r.file('REDIS_TLS_KEY_FILE') }
  if (Boolean(files.certFile) !== Boolean(files.keyFile)) {
    r.fail(files.certFile ? 'REDIS_TLS_KEY_FILE' : 'REDIS_TLS_CERT_FILE', 'required with the other one (the client certificate and its key go together)', false)
  }
  const on = r.bool('REDIS_TLS') || r.raw('REDIS_URL')?.startsWith('rediss:') || Object.values(files).some(Boolean)
  return on ? files : undefined
}

/** Turns the environment into a checked, frozen Config, or throws a ConfigError naming the variable. */
export function loadConfig (env: Env = process.env): Config {
  const r = reader(env)
  const logLevel = r.choice('LOG_LEVEL', logLevels, 'info', `must be one of ${logLevels.join(', ')}`)
  const production = r.raw('NODE_ENV') === 'production'
  const hmacKeys = r.list('FLUX_HMAC_KEYS') ?? []
  // Set but naming no key (`,` or spaces) would leave /hooks/flux open: refuse, never guess.
  if (r.raw('FLUX_HMAC_KEYS') !== undefined && hmacKeys.length === 0) r.fail('FLUX_HMAC_KEYS', 'is set but names no key (comma-separated keys expected)', false)
  const fluxWebhookToken = r.secret('FLUX_WEBHOOK_TOKEN', 16)
  if (production && hmacKeys.length === 0 && fluxWebhookToken === undefined) {
    throw new ConfigError('FLUX_HMAC_KEYS: set it (or FLUX_WEBHOOK_TOKEN): NODE_ENV=production refuses to run with an open /hooks/flux')
  }
  const redis = {
    url: r.url('REDIS_URL', ['redis:', 'rediss:']),
    clusterNodes: hostPorts(r, 'REDIS_CLUSTER_NODES'),
    sentinels: hostPorts(r, 'REDIS_SENTINELS'),
    sentinelName: r.raw('REDIS_SENTINEL_NAME'),
    username: r.raw('REDIS_USERNAME'),
    password: r.raw('REDIS_PASSWORD'),
    sentinelPassword: r.raw('REDIS_SENTINEL_PASSWORD') ?? r.raw('REDIS_PASSWORD'),
    tls: redisTls(r),
    waitReplicas: r.count('REDIS_WAIT_REPLICAS', r.raw('REDIS_SENTINELS') ? 1 : 0)
  }
  const modes = (['REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS'] as const).filter(name => r.raw(name) !== undefined)
  if (modes.length > 1) throw new ConfigError(`${modes.join(', ')}: set only one Redis mode (single node, cluster or sentinel)`)
  if (redis.sentinels && !redis.sentinelName) throw new ConfigError('REDIS_SENTINEL_NAME: required with REDIS_SENTINELS (the master group name)')
  if (redis.sentinelName && !redis.sentinels) throw new ConfigError('REDIS_SENTINELS: required with REDIS_SENTINEL_NAME (the sentinels that know that master group)')
  if (redis.url?.startsWith('redis:') && redis.tls) {
    throw new ConfigError('REDIS_URL: uses redis:// (no TLS) while REDIS_TLS or a REDIS_TLS_* file asks for TLS; use rediss://')
  }
  const keptnApiUrl = r.url('KEPTN_API_URL', ['http:', 'https:'])
  const keptnApiToken = r.raw('KEPTN_API_TOKEN')
  // A pushed event is confirmed with Keptn before the bridge acts on it; without Keptn's API a
  // forged push could make the bridge commit an image of the sender's choice.
  if (r.raw('GIT_TARGETS') !== undefined && !keptnApiUrl) throw new ConfigError('GIT_TARGETS: needs KEPTN_API_URL (pushed events are confirmed with Keptn before anything is written to Git)')
  if (keptnApiUrl && !keptnApiToken) throw new ConfigError('KEPTN_API_TOKEN: required when KEPTN_API_URL is set')
  const evaluationWindowMs = r.duration('EVALUATION_WINDOW', '5m', { allowZero: true })
  // lighthouse-service (go-utils timeutils.GetStartEndTime) refuses an end less than a minute after the start.
  if (evaluationWindowMs > 0 && evaluationWindowMs < 60_000) throw new ConfigError(`EVALUATION_WINDOW=${r.raw('EVALUATION_WINDOW')}: must be 0 or at least 1m (lighthouse evaluates a window of a minute or more)`)
  const maxEventAgeMs = r.duration('MAX_EVENT_AGE', '15m', { allowZero: true })
  const maxClockSkewMs = r.duration('MAX_CLOCK_SKEW', '2m', { allowZero: true })
  const config: Config = {
    port: r.port('PORT', 8080),
    host: r.host('HOST', '0.0.0.0'),
    logLevel,
    production,
    serviceName: 'keptn-gitops-bridge',
    fluxHmacKeys: hmacKeys,
    fluxWebhookToken,
    argocdWebhookToken: r.secret('ARGOCD_WEBHOOK_TOKEN', 16),
    statusToken: r.secret('STATUS_TOKEN', 16),
    redis,
    keyPrefix: r.str('KEY_PREFIX', 'kgb'),
    keptn: {
      apiUrl: keptnApiUrl,
      apiToken: keptnApiToken,
      pollIntervalMs: r.duration('KEPTN_POLL_INTERVAL', '10s', { allowZero: true }),
      register: r.bool('KEPTN_REGISTER'),
      projects: r.list('KEPTN_PROJECTS') ?? []
    },
    deploymentTimeoutMs: r.duration('DEPLOYMENT_TIMEOUT', '15m'),
    retentionMs: r.duration('RETENTION', '7d'),
    earlyResultWindowMs: r.duration('EARLY_RESULT_WINDOW', '5m', { allowZero: true }),
    triggerSequence: r.raw('TRIGGER_SEQUENCE'),
    evaluationWindowMs,
    mappingFile: r.raw('MAPPING_FILE'),
    kubernetes: {
      apiUrl: r.url('KUBERNETES_API_URL', ['http:', 'https:']) ??
        kubernetesApiUrlFromEnv({ KUBERNETES_SERVICE_HOST: env.KUBERNETES_SERVICE_HOST, KUBERNETES_SERVICE_PORT: env.KUBERNETES_SERVICE_PORT }),
      tokenFile: r.str('KUBERNETES_TOKEN_FILE', `${serviceAccount}/token`),
      caFile: r.str('KUBERNETES_CA_FILE', `${serviceAccount}/ca.crt`),
      observeIntervalMs: r.duration('OBSERVE_INTERVAL', '30s', { allowZero: true }),
      observeNamespaces: r.list('OBSERVE_NAMESPACES') ?? [],
      labelKeys: {
        project: r.str('KEPTN_PROJECT_LABEL', 'keptn.sh/project'),
        stage: r.str('KEPTN_STAGE_LABEL', 'keptn.sh/stage'),
        service: r.str('KEPTN_SERVICE_LABEL', 'keptn.sh/service')
      }
    },
    maxEventAgeMs,
    maxClockSkewMs,
    versionMatch: r.choice('VERSION_MATCH', versionMatches, 'strict', 'must be strict or prefer'),
    maxEventLoopDelayMs: r.duration('MAX_EVENT_LOOP_DELAY', '1s', { allowZero: true }),
    // Only reported when registering as a uniform (README): taken as given, never refused.
    podNamespace: r.str('POD_NAMESPACE', 'keptn'),
    ...serverTls(r),
    git: {
      targetsFile: r.raw('GIT_TARGETS'),
      workDir: r.str('GIT_WORKDIR', '/tmp/kgb-git'),
      tokenFile: r.raw('GIT_TOKEN_FILE'),
      sshKeyFile: r.raw('GIT_SSH_KEY_FILE'),
      receiverUrl: r.url('FLUX_RECEIVER_URL', ['http:', 'https:']),
      receiverToken: r.raw('FLUX_RECEIVER_TOKEN')
    },
    delivery: {
      pollIntervalMs: r.duration('DELIVERY_POLL_INTERVAL', '1s'),
      leaseMs: r.duration('DELIVERY_LEASE', '60s'),
      backoffBaseMs: r.duration('DELIVERY_BACKOFF_BASE', '500ms'),
      backoffMaxMs: r.duration('DELIVERY_BACKOFF_MAX', '5m'),
      requestTimeoutMs: r.duration('KEPTN_TIMEOUT', '10s')
    }
  }
  // A lease shorter than a request could hand an entry to a second replica while the first still
  // sends it: that would be a second .finished.
  if (config.delivery.leaseMs < 2 * config.delivery.requestTimeoutMs) {
    const why = 'must be at least twice KEPTN_TIMEOUT, so a slow request is never sent twice: raise DELIVERY_LEASE or lower KEPTN_TIMEOUT'
    if (r.raw('DELIVERY_LEASE') === undefined) r.fail('KEPTN_TIMEOUT', `the default DELIVERY_LEASE (60s) ${why}`)
    r.fail('DELIVERY_LEASE', why)
  }
  if (config.triggerSequence !== undefined && !/^[a-z][a-z0-9-]*$/.test(config.triggerSequence)) {
    r.fail('TRIGGER_SEQUENCE', 'must be a Keptn sequence name (lower-case letters, digits, -)')
  }
  return deepFreeze(config)
}

/** How long a delivery is recognised as a duplicate: long enough to close the replay window. */
export function dedupeWindowMs (config: Config): number {
  return Math.max(10 * 60_000, config.maxEventAgeMs + config.maxClockSkewMs)
}

function deepFreeze<T> (value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner)
    Object.freeze(value)
  }
  return value
}
