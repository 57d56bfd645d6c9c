/** The logging the domain needs; pino and Fastify's logger both provide it. */
export interface Log {
  debug (obj: object, msg?: string): void
  info (obj: object, msg?: string): void
  warn (obj: object, msg?: string): void
  error (obj: object, msg?: string): void
}
