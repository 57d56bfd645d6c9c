import type { Logger } from 'pino'
import { KeptnApiError, type KeptnClient, type UniformRegistration } from './keptn-client.js'
import { DEPLOYMENT_TRIGGERED } from './keptn-events.js'

export interface UniformRegistrationOptions {
  client: KeptnClient
  logger: Pick<Logger, 'info' | 'warn'>
  name: string
  namespace: string
  hostname: string
  intervalMs?: number
  subscriptions?: UniformRegistration['subscriptions']
}

const everyDeployment = [{ event: DEPLOYMENT_TRIGGERED, filter: { projects: [], stages: [], services: [] } }]

/** Registers with Keptn's uniform, then pings it; Keptn drops a registration not pinged for 1–2 minutes. */
export function startUniformRegistration (opts: UniformRegistrationOptions): { stop (): Promise<void> } {
  const { client, logger, intervalMs = 10_000 } = opts
  const registration: UniformRegistration = {
    name: opts.name,
    metadata: { hostname: opts.hostname, kubernetesmetadata: { namespace: opts.namespace } },
    subscriptions: opts.subscriptions ?? everyDeployment
  }
  let id: string | undefined
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> = Promise.resolve()

  async function tick (): Promise<void> {
    try {
      if (id === undefined) {
        id = (await client.register(registration)).id
        logger.info({ registrationId: id }, 'registered with Keptn uniform')
      } else {
        await client.heartbeat(id)
      }
    } catch (err) {
      // Keptn forgets registrations it has not heard from; a 404 ping means register again.
      if (err instanceof KeptnApiError && err.status === 404) id = undefined
      logger.warn({ err }, id === undefined ? 'Keptn uniform registration failed' : 'Keptn uniform heartbeat failed')
    }
  }

  function schedule (delay: number): void {
    if (stopped) return
    timer = setTimeout(() => {
      running = tick().then(() => schedule(intervalMs))
    }, delay)
    timer.unref()
  }

  schedule(0)
  return {
    async stop () {
      stopped = true
      clearTimeout(timer)
      await running
    }
  }
}
