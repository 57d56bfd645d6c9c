import { Type, type Static } from '@sinclair/typebox'

// What an Argo CD Notifications webhook template `{"app": {{toJson .app}}, "trigger": "…"}` sends:
// the whole Application object. Only the fields read are described; everything else is allowed.
const text = (maxLength = 1024) => Type.String({ maxLength })
const stringMap = Type.Record(Type.String(), Type.String())
const opt = Type.Optional

const Revisions = {
  revision: opt(text(512)),
  revisions: opt(Type.Array(text(512), { maxItems: 100 }))
}

export const ArgoApplication = Type.Object({
  apiVersion: opt(text(253)),
  kind: opt(text(253)),
  metadata: Type.Object({
    name: Type.String({ minLength: 1, maxLength: 253 }),
    namespace: opt(text(253)),
    uid: opt(text(253)),
    labels: opt(stringMap),
    annotations: opt(stringMap)
  }),
  spec: opt(Type.Object({
    destination: opt(Type.Object({
      namespace: opt(text(253)),
      server: opt(text(2048)),
      name: opt(text(253))
    }))
  })),
  status: opt(Type.Object({
    operationState: opt(Type.Object({
      phase: opt(text(64)),
      message: opt(Type.String()),
      startedAt: opt(text(64)),
      finishedAt: opt(text(64)),
      operation: opt(Type.Object({ sync: opt(Type.Object(Revisions)) })),
      syncResult: opt(Type.Object(Revisions))
    })),
    health: opt(Type.Object({
      status: opt(text(64)),
      message: opt(Type.String())
    })),
    sync: opt(Type.Object({
      status: opt(text(64)),
      ...Revisions
    })),
    summary: opt(Type.Object({
      images: opt(Type.Array(text(1024), { maxItems: 1000 }))
    })),
    resources: opt(Type.Array(Type.Object({
      kind: opt(text(253)),
      namespace: opt(text(253)),
      name: opt(text(253)),
      health: opt(Type.Object({ status: opt(text(64)), message: opt(Type.String()) }))
    }))),
    reconciledAt: opt(text(64))
  }))
})

export const ArgoNotification = Type.Object({
  app: ArgoApplication,
  trigger: opt(text(253))
})

export type ArgoApplication = Static<typeof ArgoApplication>
export type ArgoNotification = Static<typeof ArgoNotification>
