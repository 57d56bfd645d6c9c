import Fastify from 'fastify'

// The baseline: plain Fastify parsing the same JSON body on the same route, doing nothing else.
const app = Fastify({ logger: false, bodyLimit: 4 * 1024 * 1024 })
app.post('/hooks/flux', async (_request, reply) => await reply.code(202).send({ status: 'accepted' }))
await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' })
process.on('SIGTERM', () => { app.close().then(() => process.exit(0), () => process.exit(1)) })
