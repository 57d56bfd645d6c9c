import type { Log } from './log.js'
import { KeptnApiError, type KeptnClient, type UniformRegistration } from './keptn-client.js'
import { DEPLOYMENT_TRIGGERED } from './keptn-events.js'

export interface UniformRegistrationOptions {
  client: KeptnClient
  logger: Log
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

  async function register (): Promise<void> {
    try {
      id = (await client.register(registration)).id
      logger.info({ registrationId: id }, 'registered with Keptn uniform')
    } catch (err) {
      logger.warn({ err }, 'Keptn uniform registration failed; retrying')
    }
  }

  async function tick (): Promise<void> {
    if (id === undefined) return await register()
    try {
      await client.heartbeat(id)
    } catch (err) {
      if (!(err instanceof KeptnApiError && err.status === 404)) {
        logger.warn({ err }, 'Keptn uniform heartbeat failed; retrying')
        return
      }
      // Keptn forgets registrations it has not heard from (1–2 minutes): register again at once.
      logger.info({ registrationId: id }, 'Keptn no longer knows this registration (heartbeat 404); registering again')
      id = undefined
      await register()
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
