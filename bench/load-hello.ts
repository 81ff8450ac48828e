/**
 * The ceiling of `npm run bench:load`: Fastify hello-world, logger off, on loopback. Prints its URL
 * on stdout once listening; stops on SIGTERM.
 */
import Fastify from 'fastify'

const app = Fastify({ logger: false })
app.get('/', async () => ({ hello: 'world' }))
const url = await app.listen({ host: '127.0.0.1', port: 0 })
process.stdout.write(`${url}\n`)
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)))
