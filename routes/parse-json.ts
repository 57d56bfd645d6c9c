import type { FastifyInstance, FastifyRequest } from 'fastify'
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

const noBody = Buffer.alloc(0)

/** The bytes acceptRawJson kept; a request with no body at all (so no parser ran) has none. */
export function rawBody (request: FastifyRequest): Buffer {
  return Buffer.isBuffer(request.body) ? request.body : noBody
}

// Flux allows events up to 3 MiB; leave room above that.
export const hookBodyLimit = 4 * 1024 * 1024

/**
 * In this route's scope only, JSON bodies arrive as the raw bytes (signatures are over the bytes as
 * received); the handler parses them with parseJsonBody. Other content types answer 415.
 */
export function acceptRawJson (app: FastifyInstance, types: string[] = ['application/json'], bodyLimit = hookBodyLimit) {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(types, { parseAs: 'buffer', bodyLimit }, (_request, body, done) => done(null, body))
}
