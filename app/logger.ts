import pino, { type DestinationStream, type Logger } from 'pino'
import type { Config } from '../schemas/config.js'

const redactedHeaders = ['authorization', 'x-signature', 'x-token', 'cookie']

/** Every configured secret, plus the password part of Redis URLs. */
export function secretsOf (config: Config): string[] {
  const secrets = [
    ...config.fluxHmacKeys, config.fluxWebhookToken, config.argocdWebhookToken, config.statusToken, config.keptn.apiToken,
    config.redis.password, config.redis.sentinelPassword, config.git.receiverToken
  ]
  if (config.redis.url) {
    const password = new URL(config.redis.url).password
    if (password) secrets.push(password, decodeURIComponent(password))
  }
  return secrets.filter((s): s is string => typeof s === 'string' && s.length > 0)
}

function escapeRegExp (text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/**
 * pino with the credential headers redacted by path and, as a last line of defence, every
 * configured secret value replaced wherever it appears in a written line (an error message, a URL).
 */
function nestKeptnKey (fields: Record<string, unknown>): Record<string, unknown> {
  if (!('service' in fields) && !('project' in fields) && !('stage' in fields)) return fields
  const { project, stage, service, ...rest } = fields
  return { ...rest, keptn: { project, stage, service } }
}

export function createLogger (config: Config, destination?: DestinationStream): Logger {
  const secrets = secretsOf(config)
  const variants = secrets.flatMap(s => [s, JSON.stringify(s).slice(1, -1)])
  const pattern = variants.length > 0
    ? new RegExp([...new Set(variants)].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'), 'g')
    : undefined
  return pino({
    level: config.logLevel,
    base: { service: config.serviceName },
    // `service` is the bridge's own name (what log tools group by): a Keptn project/stage/service
    // a line is about goes under `keptn`, so no line carries `service` twice.
    formatters: { log: nestKeptnKey },
    redact: {
      paths: [...redactedHeaders.map(h => `req.headers["${h}"]`), ...redactedHeaders.map(h => `headers["${h}"]`), 'config', '*.password', '*.token'],
      censor: '[REDACTED]'
    },
    ...(pattern ? { hooks: { streamWrite: (line: string) => line.replace(pattern, '[REDACTED]') } } : {})
  }, destination)
}
