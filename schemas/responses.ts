import { Type } from '@sinclair/typebox'

/** What became of a delivered event. */
export const EventAnswer = Type.Object({
  status: Type.String(),
  reason: Type.Optional(Type.String()),
  project: Type.Optional(Type.String()),
  stage: Type.Optional(Type.String()),
  service: Type.Optional(Type.String()),
  triggeredId: Type.Optional(Type.String()),
  keptnContext: Type.Optional(Type.String())
})

export const ErrorAnswer = Type.Object({
  statusCode: Type.Integer(),
  error: Type.String(),
  message: Type.String(),
  code: Type.Optional(Type.String())
})

/** Every status a webhook route can give, each with its schema. */
export const hookResponses = {
  200: EventAnswer,
  202: EventAnswer,
  400: ErrorAnswer,
  401: ErrorAnswer,
  404: ErrorAnswer,
  413: ErrorAnswer,
  415: ErrorAnswer,
  503: ErrorAnswer
}
