import type { FastifyInstance } from 'fastify'

export type ParentMessage = { type: 'memory', gc?: boolean } | { type: 'stop' }
export type ChildMessage = { type: 'listening', port: number } | { type: 'memory', usage: NodeJS.MemoryUsage, cpu: NodeJS.CpuUsage }

/** Listens on a free loopback port and answers the parent over IPC (memory samples, stop). */
export async function serveChild (app: FastifyInstance): Promise<void> {
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  const send = (message: ChildMessage) => process.send?.(message)
  // process.exit after close so --cpu-prof writes its profile.
  const stop = () => { app.close().finally(() => process.exit(0)) }
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'stop') return stop()
    if (message.gc) (globalThis as { gc?: () => void }).gc?.()
    send({ type: 'memory', usage: process.memoryUsage(), cpu: process.cpuUsage() })
  })
  process.on('disconnect', stop)
  send({ type: 'listening', port: typeof address === 'object' && address ? address.port : 0 })
}
