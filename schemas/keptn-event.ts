import { Type, type Static } from '@sinclair/typebox'

// Keptn CloudEvents (spec 0.2.4, see shared/contracts/keptn-v1-api.md). Extra properties are
// allowed everywhere: Keptn and its extensions add fields we pass through untouched.
const open = { additionalProperties: true }
const name = Type.String({ minLength: 1 })

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

export const DeploymentTriggeredData = Type.Object({
  project: name,
  stage: name,
  service: name,
  labels: Type.Optional(Type.Record(Type.String(), Type.String())),
  configurationChange: Type.Optional(Type.Object({
    values: Type.Optional(Type.Record(Type.String(), Type.Unknown()))
  }, open)),
  deployment: Type.Optional(Type.Object({
    deploymentstrategy: Type.Optional(Type.String()),
    deploymentURIsLocal: Type.Optional(Type.Array(Type.String())),
    deploymentURIsPublic: Type.Optional(Type.Array(Type.String()))
  }, open))
}, open)

export const TriggeredListResponse = Type.Object({
  events: Type.Array(KeptnCloudEvent),
  nextPageKey: Type.Optional(Type.String()),
  totalCount: Type.Optional(Type.Number())
}, open)

// A schema and its type share a name on purpose: one import gives both.
export type KeptnCloudEvent = Static<typeof KeptnCloudEvent>
export type DeploymentTriggeredData = Static<typeof DeploymentTriggeredData>
export type TriggeredListResponse = Static<typeof TriggeredListResponse>
