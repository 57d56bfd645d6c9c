import { createHash, createHmac, timingSafeEqual } from 'node:crypto'

// Flux's generic-hmac provider: `X-Signature: <algo>=<lower-case hex HMAC of the raw body>`.
const digestHexLength: Record<string, number> = { sha224: 56, sha256: 64, sha384: 96, sha512: 128 }
const signatureShape = /^(sha224|sha256|sha384|sha512)=([0-9a-fA-F]+)$/

/** True when the header is well formed and matches an HMAC of the raw body under one of the keys. */
export function verifySignature (rawBody: Buffer, header: string | undefined, keys: readonly Buffer[]): boolean {
  const match = header === undefined ? null : signatureShape.exec(header)
  if (!match) return false
  const [, algorithm, hex] = match as unknown as [string, string, string]
  if (hex.length !== digestHexLength[algorithm]) return false
  const given = Buffer.from(hex, 'hex')
  let valid = false
  for (const key of keys) {
    const expected = createHmac(algorithm, key).update(rawBody).digest()
    // Every key is tried, so the time taken does not tell which key (if any) came close.
    valid = timingSafeEqual(expected, given) || valid
  }
  return valid
}

/**
 * The byte strings Flux may sign with for one configured key. notification-controller up to 1.2
 * and from 1.7 uses the Secret's `token` raw, so a Secret made with `kubectl create secret
 * --from-file` (the file ends in a newline) signs with the newline; 1.3–1.6 trim it. FLUX_HMAC_KEYS
 * is trimmed at start-up, so the key as typed, and with a trailing LF or CRLF, are all accepted.
 */
export function hmacKeyVariants (key: string): Buffer[] {
  const trimmed = key.trim()
  return [trimmed, `${trimmed}\n`, `${trimmed}\r\n`].map(k => Buffer.from(k, 'utf8'))
}

const sha256 = (text: string) => createHash('sha256').update(text).digest()

/** True when the header is `Bearer <token>`; compared in constant time over equal-length digests. */
export function verifyBearer (header: string | undefined, token: string): boolean {
  const match = header === undefined ? null : /^Bearer (.+)$/i.exec(header)
  if (!match) return false
  return timingSafeEqual(sha256(match[1]!), sha256(token))
}

/**
 * True when the header carries the token as `Bearer <token>`, or as the password of Basic
 * credentials (any user name), so a browser can log in to the status page.
 */
export function verifyBearerOrBasic (header: string | undefined, token: string): boolean {
  const basic = header === undefined ? null : /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header.trim())
  if (!basic) return verifyBearer(header, token)
  const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  return colon >= 0 && timingSafeEqual(sha256(decoded.slice(colon + 1)), sha256(token))
}

export function signBody (body: Buffer | string, key: string, algorithm = 'sha256'): string {
  return `${algorithm}=${createHmac(algorithm, key).update(body).digest('hex')}`
}
