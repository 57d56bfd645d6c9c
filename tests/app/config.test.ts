import t from 'tap'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Value } from '@sinclair/typebox/value'
import { ConfigError, dedupeWindowMs, loadConfig } from '../../app/config.js'
import { Config } from '../../schemas/config.js'

const readable = fileURLToPath(import.meta.url)

t.test('defaults: port 8080 on all interfaces, memory store, log-only Keptn, 15m deadline', async t => {
  const config = loadConfig({})
  t.equal(config.port, 8080)
  t.equal(config.host, '0.0.0.0')
  t.equal(config.logLevel, 'info')
  t.equal(config.redis.url, undefined)
  t.equal(config.keptn.apiUrl, undefined)
  t.equal(config.keptn.pollIntervalMs, 10_000)
  t.equal(config.deploymentTimeoutMs, 15 * 60_000)
  t.equal(config.maxEventAgeMs, 15 * 60_000)
  t.equal(config.maxClockSkewMs, 2 * 60_000)
  t.ok(Object.isFrozen(config.keptn), 'the config is frozen')
})

t.test('a bad value stops start-up with one line naming the variable and what is wrong', async t => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ PORT: 'abc' }, /^PORT=abc: must be a port number/],
    [{ PORT: '70000' }, /^PORT=70000: /],
    [{ HOST: ':::' }, /^HOST=:::: must be an IP address or a host name/],
    [{ HOST: 'http://0.0.0.0' }, /^HOST=http:\/\/0.0.0.0: must be an IP address/],
    [{ HOST: '10.0.0.256' }, /^HOST=10.0.0.256: must be an IP address/],
    [{ HOST: 'bad-.example' }, /^HOST=bad-.example: must be an IP address/],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL=loud: must be one of/],
    [{ DEPLOYMENT_TIMEOUT: '15 minutes' }, /^DEPLOYMENT_TIMEOUT=15 minutes: must be a duration/],
    [{ KEPTN_POLL_INTERVAL: '-1s' }, /^KEPTN_POLL_INTERVAL=-1s: /],
    [{ OBSERVE_INTERVAL: 'often' }, /^OBSERVE_INTERVAL=often: must be a duration/],
    [{ EVALUATION_WINDOW: '30s' }, /^EVALUATION_WINDOW=30s: must be 0 or at least 1m/],
    [{ KEPTN_REGISTER: 'maybe' }, /^KEPTN_REGISTER=maybe: must be true or false/],
    [{ REDIS_URL: 'localhost:6379' }, /^REDIS_URL: must /],
    [{ REDIS_URL: 'http://localhost:6379' }, /^REDIS_URL: must use redis: or rediss:/],
    [{ KEPTN_API_URL: 'http://keptn/api' }, /^KEPTN_API_TOKEN: required/],
    [{ FLUX_WEBHOOK_TOKEN: 'short' }, /^FLUX_WEBHOOK_TOKEN: must be at least 16 characters/],
    [{ REDIS_URL: 'redis://a:1', REDIS_SENTINELS: 'b:2' }, /^REDIS_URL, REDIS_SENTINELS: set only one Redis mode/],
    [{ REDIS_SENTINELS: 'b:2' }, /^REDIS_SENTINEL_NAME: required with REDIS_SENTINELS/],
    [{ REDIS_SENTINEL_NAME: 'mymaster' }, /^REDIS_SENTINELS: required with REDIS_SENTINEL_NAME/],
    [{ REDIS_URL: 'redis://a:1', REDIS_SENTINEL_NAME: 'mymaster' }, /^REDIS_SENTINELS: required with REDIS_SENTINEL_NAME/],
    [{ REDIS_CLUSTER_NODES: 'a:1,nope' }, /^REDIS_CLUSTER_NODES: "nope" is not host:port/],
    [{ REDIS_CLUSTER_NODES: 'a:1,b:99999' }, /^REDIS_CLUSTER_NODES: "b:99999": the port must be from 1 to 65535/],
    [{ REDIS_CLUSTER_NODES: 'a:0' }, /^REDIS_CLUSTER_NODES: "a:0": the port must be from 1 to 65535/],
    [{ REDIS_CLUSTER_NODES: ' , ' }, /^REDIS_CLUSTER_NODES: must list at least one host:port/],
    [{ REDIS_CLUSTER_NODES: 'fd00::1:6379' }, /^REDIS_CLUSTER_NODES: "fd00::1:6379" is not host:port/],
    [{ REDIS_CLUSTER_NODES: '[redis]:6379' }, /^REDIS_CLUSTER_NODES: "\[redis\]:6379" is not host:port/],
    [{ REDIS_CLUSTER_NODES: 'redis-.svc:6379' }, /^REDIS_CLUSTER_NODES: "redis-.svc:6379" is not host:port/],
    [{ REDIS_SENTINELS: '[fd00::1]:65536', REDIS_SENTINEL_NAME: 'm' }, /^REDIS_SENTINELS: "\[fd00::1\]:65536": the port must be from 1 to 65535/],
    [{ TRIGGER_SEQUENCE: 'Evaluation!' }, /^TRIGGER_SEQUENCE=Evaluation!: must be a Keptn sequence name/],
    [{ DELIVERY_LEASE: '5s', KEPTN_TIMEOUT: '10s' }, /^DELIVERY_LEASE=5s: must be at least twice KEPTN_TIMEOUT/],
    [{ KEPTN_TIMEOUT: '0' }, /^KEPTN_TIMEOUT=0: must be longer than 0/],
    [{ DEPLOYMENT_TIMEOUT: '0' }, /^DEPLOYMENT_TIMEOUT=0: must be longer than 0/],
    [{ RETENTION: '0' }, /^RETENTION=0: must be longer than 0/],
    [{ DELIVERY_POLL_INTERVAL: '0ms' }, /^DELIVERY_POLL_INTERVAL=0ms: must be longer than 0/],
    [{ DELIVERY_BACKOFF_BASE: '0' }, /^DELIVERY_BACKOFF_BASE=0: must be longer than 0/],
    [{ DELIVERY_BACKOFF_MAX: '0s' }, /^DELIVERY_BACKOFF_MAX=0s: must be longer than 0/],
    [{ DELIVERY_LEASE: '0', KEPTN_TIMEOUT: '0' }, /^DELIVERY_LEASE=0: must be longer than 0/],
    [{ VERSION_MATCH: 'loose' }, /^VERSION_MATCH=loose: must be strict or prefer/],
    [{ REDIS_WAIT_REPLICAS: 'one' }, /^REDIS_WAIT_REPLICAS=one: must be a whole number/],
    [{ REDIS_URL: 'rediss://a:1', REDIS_TLS_CA_FILE: '/nonexistent/ca.crt' }, /^REDIS_TLS_CA_FILE=\/nonexistent\/ca.crt: cannot read the file \(ENOENT\)/],
    [{ REDIS_CLUSTER_NODES: 'a:1', REDIS_TLS_CERT_FILE: readable }, /^REDIS_TLS_KEY_FILE: required with the other one/],
    [{ REDIS_CLUSTER_NODES: 'a:1', REDIS_TLS_KEY_FILE: readable }, /^REDIS_TLS_CERT_FILE: required with the other one/],
    [{ REDIS_URL: 'redis://a:1', REDIS_TLS_CA_FILE: readable }, /^REDIS_URL: uses redis:\/\/ \(no TLS\) while .* asks for TLS; use rediss:\/\//],
    [{ REDIS_URL: 'redis://a:1', REDIS_TLS: 'true' }, /^REDIS_URL: uses redis:\/\//],
    [{ REDIS_TLS: 'on' }, /^REDIS_TLS=on: must be true or false/],
    [{ EARLY_RESULT_WINDOW: 'soon' }, /^EARLY_RESULT_WINDOW=soon: must be a duration/],
    [{ NODE_ENV: 'production' }, /^FLUX_HMAC_KEYS: .*production refuses to run with an open \/hooks\/flux/],
    [{ DEPLOYMENT_TIMEOUT: `${'9'.repeat(400)}d` }, /^DEPLOYMENT_TIMEOUT=9+d: must be a duration/],
    [{ MAX_EVENT_AGE: '99999999999999999999ms' }, /^MAX_EVENT_AGE=9+ms: must be a duration/]
  ]
  for (const [env, message] of cases) {
    t.throws(() => loadConfig(env), message, JSON.stringify(env))
    try { loadConfig(env) } catch (err) {
      t.type(err, ConfigError)
      t.notMatch((err as Error).message, /\n/, 'one line')
    }
  }
})

t.test('every variable in the README table, set wrong, is named in the error line, never an internal path', async t => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
  const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Routes'))
  const names = new Set(table.match(/(?<=`)[A-Z][A-Z0-9_]+(?=`)/g))
  t.ok(names.size > 40, `${names.size} variables found`)
  for (const name of names) {
    for (const value of ['0', '-1', 'x y', '1.5', `${'9'.repeat(400)}s`]) {
      let config: Config | undefined
      try { config = loadConfig({ [name]: value }) } catch (err) {
        // starts with a variable (not `configuration /path`) and names this one
        t.match((err as Error).message, new RegExp(`^(?=[A-Z_]+[=:,]).*\\b${name}\\b`), `${name}=${value}`)
      }
      // loadConfig is the one check: whatever it lets through already satisfies the schema.
      if (config) t.ok(Value.Check(Config, config), `${name}=${value} gives a config the schema accepts`)
    }
  }
})

t.test('a config loadConfig returns always satisfies the schema, so it is never checked twice', async t => {
  const envs: Array<Record<string, string>> = [
    {},
    { PORT: '0', HOST: '::', LOG_LEVEL: 'silent', VERSION_MATCH: 'prefer', KEPTN_POLL_INTERVAL: '0', MAX_EVENT_AGE: '0', EARLY_RESULT_WINDOW: '0', MAX_EVENT_LOOP_DELAY: '0' },
    { REDIS_SENTINELS: 'a:26379', REDIS_SENTINEL_NAME: 'm', REDIS_PASSWORD: 'pw', REDIS_TLS: 'true', REDIS_WAIT_REPLICAS: '2' },
    { KEPTN_API_URL: 'https://keptn.example/api/', KEPTN_API_TOKEN: 't', KEPTN_PROJECTS: 'a,b', KEPTN_REGISTER: 'true', GIT_TARGETS: readable, TRIGGER_SEQUENCE: 'delivery' },
    { NODE_ENV: 'production', FLUX_HMAC_KEYS: 'k1,k2', ARGOCD_WEBHOOK_TOKEN: 'a'.repeat(16), STATUS_TOKEN: 'b'.repeat(16), TLS_CERT_FILE: readable, TLS_KEY_FILE: readable },
    { DEPLOYMENT_TIMEOUT: '1.5s', RETENTION: '30d', DELIVERY_LEASE: '1h', KEPTN_TIMEOUT: '1m', POD_NAMESPACE: 'keptn-system' }
  ]
  for (const env of envs) {
    const config = loadConfig(env)
    t.same([...Value.Errors(Config, config)].map(e => `${e.path}: ${e.message}`), [], JSON.stringify(env))
  }
})

t.test('POD_NAMESPACE is the namespace the uniform registration reports, keptn unless told', async t => {
  t.equal(loadConfig({}).podNamespace, 'keptn')
  t.equal(loadConfig({ POD_NAMESPACE: 'keptn-system' }).podNamespace, 'keptn-system')
  t.equal(loadConfig({ POD_NAMESPACE: ' ' }).podNamespace, 'keptn', 'empty counts as unset')
  t.equal(loadConfig({ POD_NAMESPACE: 'Not A Namespace' }).podNamespace, 'Not A Namespace', 'taken as given (README: read only with KEPTN_REGISTER=true)')
})

t.test('HOST takes an IPv4 or IPv6 address or a host name', async t => {
  for (const host of ['::', '127.0.0.1', 'fd00::1', 'localhost', 'bridge.keptn.svc.cluster.local.', 'redis_1']) {
    t.equal(loadConfig({ HOST: host }).host, host)
  }
})

t.test('a secret is never echoed in the error line', async t => {
  t.throws(() => loadConfig({ FLUX_WEBHOOK_TOKEN: 'tiny-secret' }), { message: /^(?!.*tiny-secret)/ })
  t.throws(() => loadConfig({ REDIS_URL: 'http://user:hunter2@x' }), { message: /^(?!.*hunter2)/ })
})

t.test('empty values count as unset; durations accept ms, s, m, h', async t => {
  const config = loadConfig({ PORT: '', REDIS_URL: ' ', DEPLOYMENT_TIMEOUT: '1h', KEPTN_POLL_INTERVAL: '500ms', MAX_EVENT_AGE: '0' })
  t.equal(config.port, 8080)
  t.equal(config.redis.url, undefined)
  t.equal(config.deploymentTimeoutMs, 3_600_000)
  t.equal(config.keptn.pollIntervalMs, 500)
  t.equal(config.maxEventAgeMs, 0)
})

t.test('production starts when the Flux hook is protected by a token alone', async t => {
  const config = loadConfig({ NODE_ENV: 'production', FLUX_WEBHOOK_TOKEN: 'a-long-enough-token' })
  t.equal(config.production, true)
  t.same(config.fluxHmacKeys, [])
})

t.test('in a pod the Kubernetes API address comes from the service variables', async t => {
  t.equal(loadConfig({ KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' }).kubernetes.apiUrl, 'https://10.0.0.1:443')
  t.equal(loadConfig({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }).kubernetes.apiUrl, 'https://[fd00::1]:443')
  t.equal(loadConfig({ KUBERNETES_API_URL: 'http://127.0.0.1:8001/' }).kubernetes.apiUrl, 'http://127.0.0.1:8001')
  t.equal(loadConfig({ KUBERNETES_API_URL: 'http://127.0.0.1:8001', KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' }).kubernetes.apiUrl,
    'http://127.0.0.1:8001', 'KUBERNETES_API_URL wins over the pod\'s service variables')
})

t.test('duplicates are recognised for at least 10 minutes and for the whole replay window', async t => {
  t.equal(dedupeWindowMs(loadConfig({ MAX_EVENT_AGE: '1m', MAX_CLOCK_SKEW: '1m' })), 10 * 60_000)
  t.equal(dedupeWindowMs(loadConfig({ MAX_EVENT_AGE: '1h', MAX_CLOCK_SKEW: '2m' })), 62 * 60_000)
})

t.test('TLS to Redis is on with rediss://, REDIS_TLS or a certificate file; the sentinels share the password unless told', async t => {
  t.same(loadConfig({ REDIS_URL: 'rediss://a:6379' }).redis.tls, {})
  t.equal(loadConfig({ REDIS_URL: 'redis://a:6379' }).redis.tls, undefined)
  t.same(loadConfig({ REDIS_CLUSTER_NODES: 'a:1', REDIS_TLS: 'true' }).redis.tls, {})
  t.same(loadConfig({ REDIS_CLUSTER_NODES: 'a:1', REDIS_TLS_CA_FILE: readable }).redis.tls, { caFile: readable })
  const sentinel = { REDIS_SENTINELS: 'a:26379', REDIS_SENTINEL_NAME: 'm', REDIS_PASSWORD: 'data-secret' }
  t.equal(loadConfig(sentinel).redis.sentinelPassword, 'data-secret')
  t.equal(loadConfig({ ...sentinel, REDIS_SENTINEL_PASSWORD: 'sentinel-secret' }).redis.sentinelPassword, 'sentinel-secret')
})

t.test('a result that came first is held for 5 minutes unless told otherwise', async t => {
  t.equal(loadConfig({}).earlyResultWindowMs, 5 * 60_000)
  t.equal(loadConfig({ EARLY_RESULT_WINDOW: '0' }).earlyResultWindowMs, 0)
})

t.test('0 is taken where the README gives it a meaning: push only, no age check, no skew, no holding', async t => {
  const config = loadConfig({ KEPTN_POLL_INTERVAL: '0', MAX_EVENT_AGE: '0s', MAX_CLOCK_SKEW: '0', EARLY_RESULT_WINDOW: '0ms', OBSERVE_INTERVAL: '0' })
  t.same([config.keptn.pollIntervalMs, config.maxEventAgeMs, config.maxClockSkewMs, config.earlyResultWindowMs, config.kubernetes.observeIntervalMs], [0, 0, 0, 0, 0])
})

t.test('observation: every 30s by default, in every namespace unless OBSERVE_NAMESPACES names some', async t => {
  t.equal(loadConfig({}).kubernetes.observeIntervalMs, 30_000)
  t.same(loadConfig({}).kubernetes.observeNamespaces, [])
  t.same(loadConfig({ OBSERVE_NAMESPACES: 'podtato-dev, flux-system' }).kubernetes.observeNamespaces, ['podtato-dev', 'flux-system'])
})

t.test('Redis seeds and sentinels take names, IPv4 and bracketed IPv6 with a port from 1 to 65535', async t => {
  const nodes = 'redis-0.redis.svc:6379,10.0.0.7:1,[fd00::1]:65535'
  t.same(loadConfig({ REDIS_CLUSTER_NODES: nodes }).redis.clusterNodes, nodes.split(','))
  t.same(loadConfig({ REDIS_SENTINELS: nodes, REDIS_SENTINEL_NAME: 'm' }).redis.sentinels, nodes.split(','))
})

t.test('WAIT for one replica is the default with Sentinel, off otherwise', async t => {
  t.equal(loadConfig({ REDIS_SENTINELS: 'a:26379', REDIS_SENTINEL_NAME: 'm' }).redis.waitReplicas, 1)
  t.equal(loadConfig({ REDIS_URL: 'redis://a:6379' }).redis.waitReplicas, 0)
  t.equal(loadConfig({ REDIS_CLUSTER_NODES: 'a:1', REDIS_WAIT_REPLICAS: '1' }).redis.waitReplicas, 1)
})
