import Fastify from 'fastify'
import { Redis } from 'ioredis'
import { serveChild } from './serve.js'

// Bare Fastify plus one Redis write per request: the floor for any handler that stores what it
// accepted before answering. Not a goal; it shows how much of the gap a round trip explains.
const redis = new Redis(process.env.REDIS_URL!)
const app = Fastify({ logger: false, bodyLimit: 4 * 1024 * 1024 })
let n = 0
app.post('/hooks/flux', async () => {
  await redis.set(`bare:${n++ % 100_000}`, '1', 'PX', 60_000)
  return { status: 'accepted' }
})
app.addHook('onClose', async () => { redis.disconnect() })
await serveChild(app)
