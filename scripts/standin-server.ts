/**
 * The local CodeBuild / CloudWatch Logs stand-in (__tests__/standin) as a long-running server, for running the
 * action as a workflow step (`uses: ./` in CI) or by hand against it. Its project 'db-migrate' (VPC, privileged)
 * answers every StartBuild with a build that prints a few task lines and succeeds.
 *
 *   npx tsx scripts/standin-server.ts [--port N] [--url-file PATH] [--max-seconds N]
 *
 * Listens on 127.0.0.1 (an ephemeral port unless --port), then prints `endpoint=http://127.0.0.1:PORT` and, with
 * --url-file, writes the URL to that file once it accepts requests (written whole, so a reader polling for the
 * file never sees part of it). Runs until SIGINT / SIGTERM, or --max-seconds (default 900) so that it never
 * outlives its use. Point the action at it with AWS_ENDPOINT_URL, any access key / secret and AWS_REGION us-east-1.
 */
import { renameSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { presets, startStandIn } from '../__tests__/standin/index.js'

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'url-file': { type: 'string' },
    'max-seconds': { type: 'string', default: '900' }
  }
})
const port = Number(values.port)
const maxSeconds = Number(values['max-seconds'])
if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: '${values.port}' is not a port number`)
if (!(maxSeconds > 0)) throw new Error(`--max-seconds: '${values['max-seconds']}' is not a positive number`)

const standIn = await startStandIn({
  port,
  projects: [
    {
      name: 'db-migrate',
      vpcConfig: true,
      privilegedMode: true,
      defaultBuild: presets.success({ lines: 10, everyMs: 50 })
    }
  ]
})

const urlFile = values['url-file']
if (urlFile) {
  writeFileSync(`${urlFile}.tmp`, `${standIn.endpoint}\n`)
  renameSync(`${urlFile}.tmp`, urlFile)
}
console.log(`endpoint=${standIn.endpoint}`)
console.log(`stand-in: project db-migrate; stops on SIGINT / SIGTERM or after ${maxSeconds} s`)

const unsubscribe = standIn.onCall(call => {
  console.log(`stand-in: ${call.operation} ${call.status}${call.errorType ? ` ${call.errorType}` : ''}`)
})

let stopping = false
async function stop(reason: string): Promise<void> {
  if (stopping) return
  stopping = true
  clearTimeout(deadline)
  unsubscribe()
  console.log(`stand-in: stopping (${reason}); ${standIn.calls.length} call(s), ${standIn.startedBuilds().length} build(s) started`)
  await standIn.close()
}
const deadline = setTimeout(() => void stop(`${maxSeconds} s elapsed`), maxSeconds * 1000)
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stop(signal))
