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
