/** An answer with a status and a reason meant for the caller. */
export class HttpError extends Error {
  constructor (readonly statusCode: number, message: string, readonly code?: string) {
    super(message)
  }
}

export const unauthorized = () => new HttpError(401, 'missing, malformed or wrong credentials', 'UNAUTHORIZED')
export const badRequest = (reason: string) => new HttpError(400, reason, 'BAD_REQUEST')
