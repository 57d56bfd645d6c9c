import fp from 'fastify-plugin'

declare module 'fastify' {
  interface FastifyInstance {
    /** True once the app has begun closing. */
    isClosing (): boolean
  }
}

/**
 * Graceful shutdown: requests in flight finish, and their answers close the connection, so a
 * keep-alive client cannot hold the server open after close() was called.
 */
export default fp(async (app) => {
  let closing = false
  app.decorate('isClosing', () => closing)
  app.addHook('preClose', async () => { closing = true })
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close')
  })
}, { name: 'shutdown' })
