/**
 * `shiren admin set-password [--password-stdin]`: the operator console's password, kept only as a
 * scrypt hash in the data directory, so a running server accepts it at once.
 */
import type { Command } from 'commander'
import { loadConfig } from '../../config/index.js'
import { setAdminPassword } from '../../console-auth/index.js'

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const c of process.stdin) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '')
}

/** Prompt twice without echo on a terminal; read one line from stdin otherwise. */
async function prompt(question: string): Promise<string> {
  if (!process.stdin.isTTY) return readStdin()
  process.stdout.write(question)
  process.stdin.setRawMode(true)
  process.stdin.resume()
  let out = ''
  return new Promise((resolve, reject) => {
    const onData = (b: Buffer) => {
      for (const ch of b.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          process.stdin.setRawMode(false)
          process.stdin.pause()
          process.stdin.off('data', onData)
          process.stdout.write('\n')
          return resolve(out)
        }
        if (ch === '\u0003') {
          process.stdin.setRawMode(false)
          return reject(new Error('cancelled'))
        }
        if (ch === '\u007f') out = out.slice(0, -1)
        else out += ch
      }
    }
    process.stdin.on('data', onData)
  })
}

export function registerAdminCommands(program: Command): void {
  const admin =
    program.commands.find((c) => c.name() === 'admin') ?? program.command('admin').description('operator access')
  admin
    .command('set-password')
    .description('set the password of the operator console (/console); stored as a scrypt hash in the data directory')
    .option('--password-stdin', 'read the password from stdin (for scripts)')
    .action(async (o: { passwordStdin?: boolean }) => {
      const data = program.opts<{ data?: string }>().data
      const cfg = loadConfig(process.env, { ...(data && { dataDir: data }) })
      let pw: string
      if (o.passwordStdin || !process.stdin.isTTY) pw = await readStdin()
      else {
        pw = await prompt('new console password: ')
        if ((await prompt('again: ')) !== pw) {
          process.stderr.write('the two passwords differ; nothing was changed\n')
          process.exitCode = 1
          return
        }
      }
      try {
        await setAdminPassword(cfg.dataDir, pw)
      } catch (err) {
        process.stderr.write(`${(err as Error).message}\n`)
        process.exitCode = 1
        return
      }
      process.stdout.write(`console password set (${cfg.dataDir}/admin-password)\n`)
    })
}
