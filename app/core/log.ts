/**
 * The one logger type of the core: every core module that logs takes a `Log` (or a `Pick` of it).
 * It is structural and minimal, so pino's `Logger` (app/logger.ts) and Fastify's `FastifyBaseLogger`
 * (`app.log`) are both a `Log` as they are, with no cast.
 */
export interface Log {
  debug (obj: object, msg?: string): void
  info (obj: object, msg?: string): void
  warn (obj: object, msg?: string): void
  error (obj: object, msg?: string): void
}
