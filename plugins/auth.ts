import fp from 'fastify-plugin'
import type { FastifyRequest } from 'fastify'
import { hmacKeyVariants, verifyBearer, verifyBearerOrBasic, verifySignature } from '../app/core/auth.js'

declare module 'fastify' {
  interface FastifyInstance {
    auth: {
      /** Checks FLUX_HMAC_KEYS and FLUX_WEBHOOK_TOKEN (each when set) against the raw body. */
      flux (request: FastifyRequest, rawBody: Buffer): boolean
      /** Checks ARGOCD_WEBHOOK_TOKEN; undefined when the Argo CD hook is disabled. */
      argocd (request: FastifyRequest): boolean | undefined
      /** Checks STATUS_TOKEN (Bearer, or Basic with the token as password); true when it is not set. */
      status (request: FastifyRequest): boolean
    }
  }
}

const shortKeyBytes = 32

export default fp(async (app) => {
  const { fluxHmacKeys, fluxWebhookToken, argocdWebhookToken, statusToken, production } = app.config
  if (statusToken === undefined && production) {
    app.log.warn('STATUS_TOKEN is not set: the status page and /api/v1/deployments show every pending deployment, image and Keptn context to anyone who can reach the port')
  }
  const keys = fluxHmacKeys.map(key => Buffer.from(key, 'utf8'))
  const signingKeys = fluxHmacKeys.flatMap(hmacKeyVariants)
  if (keys.length === 0 && fluxWebhookToken === undefined) {
    app.log.warn('NEITHER FLUX_HMAC_KEYS NOR FLUX_WEBHOOK_TOKEN IS SET: /hooks/flux is OPEN to anyone who can reach it. Fine for a first try; NODE_ENV=production refuses to start like this.')
  }
  keys.forEach((key, index) => {
    if (key.length < shortKeyBytes) app.log.warn({ key: index + 1 }, `FLUX_HMAC_KEYS: key ${index + 1} is shorter than ${shortKeyBytes} bytes; use a longer random key`)
  })
  if (argocdWebhookToken === undefined) {
    if (production) app.log.warn('ARGOCD_WEBHOOK_TOKEN is not set: /hooks/argocd is disabled (NODE_ENV=production)')
    else app.log.warn('ARGOCD_WEBHOOK_TOKEN is not set: /hooks/argocd is OPEN to anyone who can reach it.')
  }
  const header = (request: FastifyRequest, name: string) => {
    const value = request.headers[name]
    return Array.isArray(value) ? value[0] : value
  }
  app.decorate('auth', {
    flux (request, rawBody) {
      if (keys.length > 0 && !verifySignature(rawBody, header(request, 'x-signature'), signingKeys)) return false
      if (fluxWebhookToken !== undefined && !verifyBearer(header(request, 'authorization'), fluxWebhookToken)) return false
      return true
    },
    status (request) {
      return statusToken === undefined || verifyBearerOrBasic(header(request, 'authorization'), statusToken)
    },
    argocd (request) {
      if (argocdWebhookToken === undefined) return production ? undefined : true
      return verifyBearer(header(request, 'authorization'), argocdWebhookToken)
    }
  })
}, { name: 'auth', dependencies: ['config'] })
