import type { FastifyInstance, FastifyRequest } from 'fastify'
import { TypeBoxValidatorCompiler, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import secureJson from 'secure-json-parse'
import { badRequest } from '../app/http-errors.js'

// JSON is UTF-8 (RFC 8259): a body that is not is refused, never decoded lossily into U+FFFD.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

/** Parses a raw JSON body, refusing invalid UTF-8 and prototype-poisoning keys; bad JSON is the caller's 400. */
export function parseJsonBody (raw: Buffer): unknown {
  let text: string
  try {
    text = utf8.decode(raw)
  } catch {
    throw badRequest('body is not valid UTF-8')
  }
  try {
    return secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' })
  } catch (err) {
    throw badRequest(`body is not valid JSON: ${(err as Error).message}`)
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The body's bytes as received (in the hooks' scopes): what signatures and delivery ids are computed over. */
    rawBody?: Buffer
  }
}

const noBody = Buffer.alloc(0)

// Flux allows events up to 3 MiB; leave room above that.
export const hookBodyLimit = 4 * 1024 * 1024

export interface JsonBodyOptions {
  types?: string[]
  bodyLimit?: number
  /** Checks the raw bytes (a signature) before any JSON is parsed; throws to refuse (401). */
  verify?: (request: FastifyRequest, raw: Buffer) => void
}

/**
 * In this route scope only: a JSON body is verified on its raw bytes, then parsed (parseJsonBody)
 * into `request.body`, which Fastify then validates against the route's schema; the bytes stay
 * on `request.rawBody`. Other content types answer 415. A request with no body at all is verified
 * and parsed as an empty one, so it gets the same answer (401, or 400 naming the empty JSON).
 */
export function acceptJson (app: FastifyInstance, opts: JsonBodyOptions = {}) {
  const { types = ['application/json'], bodyLimit = hookBodyLimit, verify } = opts
  const read = (request: FastifyRequest, raw: Buffer): unknown => {
    verify?.(request, raw)
    request.rawBody = raw
    return parseJsonBody(raw)
  }
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(types, { parseAs: 'buffer', bodyLimit }, async (request: FastifyRequest, body: Buffer) => read(request, body))
  app.addHook('preValidation', async request => {
    if (request.rawBody === undefined) request.body = read(request, noBody)
  })
}

/** A route schema's 400: "<what>: <path>: <reason>", the first failing field named. */
export const invalid = (what: string) => (errors: ReadonlyArray<{ instancePath: string, message?: string }>) =>
  badRequest(`invalid ${what}: ${errors[0]?.instancePath || '/'}: ${errors[0]?.message ?? 'invalid'}`)

/**
 * This scope's routes typed through the TypeBox provider (request.body is the schema's type) and
 * validated by TypeBox's own checker: no coercion (a number where a string belongs is a 400, not
 * quietly turned into one) and the string formats in schemas/formats.ts.
 */
export function withTypeBox (app: FastifyInstance) {
  app.setValidatorCompiler(TypeBoxValidatorCompiler)
  return app.withTypeProvider<TypeBoxTypeProvider>()
}
