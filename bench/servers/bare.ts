import Fastify from 'fastify'
import { serveChild } from './serve.js'

// The baseline: Fastify with its own JSON parser answering what the bridge answers, nothing else.
const app = Fastify({ logger: false, bodyLimit: 4 * 1024 * 1024 })
app.post('/hooks/flux', async () => ({ status: 'accepted' }))
await serveChild(app)
