import './formats.js'
import { Type, type Static } from '@sinclair/typebox'

// What Flux's notification-controller POSTs: fluxcd/pkg/apis/event v1 Event, as forwarded by
// notification-controller's internal/notifier (generic and generic-hmac providers).
// Extra properties are allowed everywhere: newer Flux versions add fields.
const text = (maxLength: number) => Type.String({ maxLength })

export const FluxInvolvedObject = Type.Object({
  kind: Type.String({ minLength: 1, maxLength: 253 }),
  namespace: Type.String({ maxLength: 253 }),
  name: Type.String({ minLength: 1, maxLength: 253 }),
  uid: Type.Optional(text(253)),
  apiVersion: Type.Optional(text(253)),
  resourceVersion: Type.Optional(text(253)),
  fieldPath: Type.Optional(text(1024))
})

export const FluxEvent = Type.Object({
  involvedObject: FluxInvolvedObject,
  severity: Type.Union([Type.Literal('info'), Type.Literal('error'), Type.Literal('trace')]),
  timestamp: Type.String({ format: 'date-time', maxLength: 64 }),
  message: Type.String(),
  reason: Type.String({ maxLength: 1024 }),
  // Revisions, versions and Keptn names are short; a cap keeps pathological values out.
  metadata: Type.Optional(Type.Record(Type.String(), Type.String({ maxLength: 4096 }))),
  reportingController: Type.String({ maxLength: 253 }),
  reportingInstance: Type.Optional(text(253))
})

export type FluxEvent = Static<typeof FluxEvent>
export type FluxInvolvedObject = Static<typeof FluxInvolvedObject>
