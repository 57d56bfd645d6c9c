import type { FastifyInstance, FastifyRequest } from 'fastify'
import secureJson from 'secure-json-parse'
import { badRequest } from '../app/http-errors.js'

/** Parses a raw JSON body, refusing prototype-poisoning keys; bad JSON is the caller's 400. */
export function parseJsonBody (raw: Buffer): unknown {
  try {
    return secureJson.parse(raw.toString('utf8'), undefined, { protoAction: 'error', constructorAction: 'error' })
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
