import { buildApp } from '../../app/build-app.js'
import { loadConfig } from '../../app/config.js'
import { serveChild } from './serve.js'

// The real service, configured from its environment exactly as in production.
await serveChild(await buildApp(loadConfig(process.env)))
