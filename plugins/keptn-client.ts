import fp from 'fastify-plugin'
import { createKeptnClient, createLogOnlyKeptnClient, type KeptnClient } from '../app/core/keptn-client.js'

declare module 'fastify' {
  interface FastifyInstance {
    keptn: KeptnClient
    keptnMode: 'api' | 'log-only'
  }
}

/** The Keptn API client, or the log-only default when KEPTN_API_URL is unset (announced loudly). */
export default fp(async (app) => {
  const { keptn, serviceName, delivery } = app.config
  let client: KeptnClient
  if (keptn.apiUrl) {
    client = createKeptnClient({ url: keptn.apiUrl, token: keptn.apiToken, timeoutMs: delivery.requestTimeoutMs, source: serviceName })
  } else {
    app.log.warn('KEPTN_API_URL is not set: Keptn events are only LOGGED, never sent. Set KEPTN_API_URL and KEPTN_API_TOKEN to talk to Keptn.')
    client = createLogOnlyKeptnClient(app.log)
  }
  app.decorate('keptn', client)
  app.decorate('keptnMode', keptn.apiUrl ? 'api' : 'log-only')
  app.addHook('onClose', async () => await client.close())
}, { name: 'keptn-client', dependencies: ['config'] })
