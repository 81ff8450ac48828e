// The HTTP surface: one Fastify app built from the services it is handed (see app.ts).
export { buildApp, type HttpDeps } from './app.js'
export { buildOpsApp, type OpsApiDeps } from './ops-api.js'
