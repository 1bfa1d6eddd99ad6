#!/usr/bin/env node
/** Entry point of the codebuild-vpc-task command. */
import { cancelOnSignals, systemClock } from '../core/support/index.js'
import { createClients } from '../core/run/index.js'
import { runCli } from './main.js'

runCli({
  argv: process.argv.slice(2),
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  clock: systemClock,
  clients: createClients,
  cwd: process.cwd(),
  exit: code => process.exit(code),
  cancellation: cancelOnSignals
}).then(
  code => {
    process.exitCode = code
  },
  (error: unknown) => {
    process.stderr.write(
      `codebuild-vpc-task: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`
    )
    process.exitCode = 3
  }
)
