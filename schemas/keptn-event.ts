import { Type, type Static, type TSchema } from '@sinclair/typebox'

// Keptn CloudEvents (spec 0.2.4). Two shapes on purpose:
// - KeptnCloudEvent is what the bridge SENDS: every field Keptn 0.19–1.4.5 reads, filled.
// - IncomingKeptnEvent / DeploymentTriggeredData are what the bridge TAKES: anything Keptn's own Go
//   models can produce (keptn/go-utils pkg/api/models KeptnContextExtendedCE, pkg/lib/v0_2_0
//   DeploymentTriggeredEventData, as marshalled by shipyard-controller and the CLI at keptn 1.4.5).
//   Go writes a nil slice or map as `null` wherever a field lacks `omitempty`
//   (`deploymentURIsLocal`), and data carries earlier tasks' results, so only the fields the bridge
//   uses are checked, and `null` is accepted wherever Go can write it.
const open = { additionalProperties: true }
const name = Type.String({ minLength: 1 })
const orNull = <T extends TSchema>(schema: T) => Type.Optional(Type.Union([schema, Type.Null()]))

export const KeptnCloudEvent = Type.Object({
  specversion: Type.String(),
  id: Type.String(),
  source: Type.String(),
  type: Type.String(),
  time: Type.Optional(Type.String()),
  datacontenttype: Type.Optional(Type.String()),
  shkeptncontext: Type.Optional(Type.String()),
  triggeredid: Type.Optional(Type.String()),
  shkeptnspecversion: Type.Optional(Type.String()),
  gitcommitid: Type.Optional(Type.String()),
  data: Type.Record(Type.String(), Type.Unknown())
}, open)

/**
 * A Keptn event as Keptn stores, lists and forwards it. `contenttype` (datastore listings) or
 * `datacontenttype`, spec versions 0.2.3 and 0.2.4, `source` written as null by a nil pointer: none
 * of it matters to the bridge, so none of it is checked.
 */
export const IncomingKeptnEvent = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 256 }),
  type: Type.String(),
  shkeptncontext: Type.String({ minLength: 1, maxLength: 256 }),
  gitcommitid: orNull(Type.String()),
  data: Type.Record(Type.String(), Type.Unknown())
}, open)

export const DeploymentTriggeredData = Type.Object({
  project: name,
  stage: name,
  service: name,
  labels: orNull(Type.Record(Type.String(), Type.String())),
  configurationChange: orNull(Type.Object({
    values: orNull(Type.Record(Type.String(), Type.Unknown()))
  }, open)),
  deployment: orNull(Type.Object({
    deploymentstrategy: orNull(Type.String())
  }, open))
}, open)

/**
 * One page of GET /controlPlane/v1/event/triggered/{eventType} (go-utils pkg/api/models Events,
 * as shipyard-controller answers it): Go writes an empty `events` slice as null. The events are
 * each checked as IncomingKeptnEvent by the engine, the same check a pushed event gets.
 */
export const TriggeredEventsPage = Type.Object({
  events: orNull(Type.Array(Type.Unknown())),
  nextPageKey: orNull(Type.Union([Type.String(), Type.Number()]))
}, open)

// A schema and its type share a name on purpose: one import gives both.
export type KeptnCloudEvent = Static<typeof KeptnCloudEvent>
export type IncomingKeptnEvent = Static<typeof IncomingKeptnEvent>
export type DeploymentTriggeredData = Static<typeof DeploymentTriggeredData>
