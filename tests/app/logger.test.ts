import t from 'tap'
import Fastify from 'fastify'
import type { Log } from '../../app/core/log.js'
import { createLogOnlyKeptnClient } from '../../app/core/keptn-client.js'
import { loadConfig } from '../../app/config.js'
import { createLogger } from '../../app/logger.js'
import { logCapture, testConfig } from '../helpers/app.js'

t.test('a configured secret that ends up in a message is replaced, whichever variable it came from', async t => {
  const secrets = {
    REDIS_PASSWORD: 'redis-password-1',
    REDIS_SENTINEL_PASSWORD: 'sentinel-password-2',
    KEPTN_API_TOKEN: 'keptn-token-3',
    FLUX_RECEIVER_TOKEN: 'receiver-token-4'
  }
  const urlPassword = 'p@ss/word 5'
  const config = loadConfig({
    ...secrets,
    REDIS_SENTINELS: 'a:26379',
    REDIS_SENTINEL_NAME: 'mymaster',
    KEPTN_API_URL: 'http://keptn/api'
  })
  const single = loadConfig({ REDIS_URL: `rediss://bridge:${encodeURIComponent(urlPassword)}@redis:6380` })
  const log = logCapture()
  createLogger(config, log.stream).error({ err: Object.values(secrets).join(' and ') }, 'connection failed')
  createLogger(single, log.stream).error({ err: `AUTH ${urlPassword} and ${encodeURIComponent(urlPassword)}` }, 'connection failed')
  for (const secret of [...Object.values(secrets), urlPassword, encodeURIComponent(urlPassword)]) t.notMatch(log.text(), secret)
  t.same(log.parsed().map(line => line.err), [
    '[REDACTED] and [REDACTED] and [REDACTED] and [REDACTED]',
    'AUTH [REDACTED] and [REDACTED]'
  ])
})

t.test('a line about a Keptn service carries the bridge\'s name once and the Keptn names under keptn', async t => {
  const log = logCapture()
  const logger = createLogger(testConfig({ LOG_LEVEL: 'info' }), log.stream)
  logger.info({ project: 'podtato', stage: 'dev', service: 'helloservice', triggeredId: 't1' }, 'took on a triggered deployment')
  const line = log.lines[0]!
  // A duplicate top-level key is what log tools drop: the Keptn service now sits inside `keptn`.
  t.equal(line.match(/"service":"keptn-gitops-bridge"/g)?.length, 1)
  t.equal(line.match(/"service":"helloservice"/g)?.length, 1)
  t.match(line, /"keptn":\{"project":"podtato","stage":"dev","service":"helloservice"\}/)
  t.match(JSON.parse(line), { service: 'keptn-gitops-bridge', keptn: { project: 'podtato', stage: 'dev', service: 'helloservice' }, triggeredId: 't1' })
})

t.test('the service\'s logger and Fastify\'s are both the core\'s Log, with no cast', async t => {
  const log = logCapture()
  const logger: Log = createLogger(testConfig({ LOG_LEVEL: 'info' }), log.stream)
  const app = Fastify({ loggerInstance: createLogger(testConfig({ LOG_LEVEL: 'info' }), log.stream) })
  t.teardown(() => app.close())
  const fastifyLog: Log = app.log
  await createLogOnlyKeptnClient(logger).send({ specversion: '1.0', id: 'a', source: 's', type: 't', shkeptncontext: 'c', data: {} })
  fastifyLog.warn({ via: 'fastify' }, 'also a Log')
  t.same(log.parsed().map(line => line.msg), ['keptn event (no KEPTN_API_URL, logged only)', 'also a Log'])
})
