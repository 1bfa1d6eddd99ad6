/**
 * The CLI's exit codes and --json on every path (src/cli/main.ts), with fake AWS clients and signals: bad input 2,
 * the project's lookup refusing 4, a signal 130 (SIGINT) or 143 (SIGTERM) whatever the CLI was doing, one JSON object.
 */
import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { RDSClient } from '@aws-sdk/client-rds'
import { jsonRequested } from '../../src/cli/args.js'
import { runCli } from '../../src/cli/main.js'
import type { CliDeps } from '../../src/cli/main.js'
import type { AwsClients } from '../../src/core/clients.js'
import { ManualClock } from '../fixtures/clock.js'
import { FakeClient, awsError } from '../fixtures/fake-aws.js'
import type { Handler } from '../fixtures/fake-aws.js'

const IMAGE = `123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:${'ab'.repeat(32)}`
const BASE = ['migrate', '--project-name', 'app', '--image-uri', IMAGE]
const ID = 'app:ae633bc7-380c-46ba-ad93-53b2911e578a'
const PROJECT = {
  name: 'app',
  vpcConfig: { vpcId: 'vpc-1' },
  environment: {
    privilegedMode: true,
    environmentVariables: [{ name: 'DATABASE_URL', value: 'prod/db:DATABASE_URL', type: 'SECRETS_MANAGER' }]
  }
}

/** Signals sent by the test: the first aborts the run (as cancelOnSignals does), later ones go to `onAgain`. */
class Signals {
  private first?: (name: NodeJS.Signals) => void
  private again?: (name: NodeJS.Signals) => void
  private readonly controller = new AbortController()
  disposed = false
  readonly cancellation: CliDeps['cancellation'] = (onSignal, onAgain) => {
    this.first = onSignal
    this.again = onAgain
    return { signal: this.controller.signal, dispose: () => (this.disposed = true) }
  }
  send(name: NodeJS.Signals): void {
    if (this.controller.signal.aborted) return this.again?.(name)
    this.first?.(name)
    this.controller.abort(new Error(`cancelled (${name})`))
  }
}

interface Ran {
  code: number
  stdout: string
  stderr: string
  exits: number[]
  codebuild: FakeClient
}

async function cli(
  argv: string[],
  handlers: Record<string, Handler> = {},
  o: { rds?: Record<string, Handler>; signals?: Signals } = {}
): Promise<Ran> {
  let stdout = ''
  let stderr = ''
  const exits: number[] = []
  const codebuild = new FakeClient({
    ListBuildsForProject: () => ({ ids: [] }),
    BatchGetProjects: () => ({ projects: [PROJECT] }),
    ...handlers
  })
  const rds = new FakeClient(o.rds ?? {})
  const clients = (): AwsClients => ({
    codebuild: codebuild.codebuild,
    logs: codebuild.logs,
    rds: () => Promise.resolve(rds as unknown as RDSClient)
  })
  const code = await runCli({
    argv,
    env: { AWS_REGION: 'us-east-1' },
    stdout: { write: (t: string) => (stdout += t), isTTY: false },
    stderr: { write: (t: string) => (stderr += t), isTTY: false },
    clock: new ManualClock(Date.UTC(2026, 11, 7)),
    clients,
    cwd: mkdtempSync(path.join(os.tmpdir(), 'cli-run-')),
    exit: c => exits.push(c),
    cancellation: (o.signals ?? new Signals()).cancellation
  })
  return { code, stdout, stderr, exits, codebuild }
}

/** The one JSON object --json printed. */
function json(r: Ran): Record<string, unknown> {
  const lines = r.stdout.split('\n').filter(l => l !== '')
  expect(lines).toHaveLength(1)
  return JSON.parse(lines[0] as string) as Record<string, unknown>
}

describe('the CLI with --json', () => {
  it('prints one JSON object with the error for a flag parseArgs refuses, exit 2', async () => {
    const r = await cli([...BASE, '--json', '--nope'])
    expect(r.code).toBe(2)
    expect(json(r)).toEqual({
      exitCode: 2,
      status: 'NOT_STARTED',
      message: '--nope is not a flag (see --help)',
      taskExitCode: null,
      taskOutputs: null,
      diagnosis: null
    })
    expect(r.stderr).toContain('--nope is not a flag')
    expect(r.codebuild.calls).toEqual([])
  })

  it('knows --json was asked for even when the command line is refused; not after --', () => {
    expect(jsonRequested(['migrate', '--json', '--region'])).toBe(true)
    expect(jsonRequested(['--json=yes'])).toBe(true)
    expect(jsonRequested(['migrate', '--', '--json'])).toBe(false)
    expect(jsonRequested(['migrate', '--jsonx'])).toBe(false)
  })
})

describe("the CLI's result", () => {
  it('masks the values registered for the run (a secret by its name), as the action masks its reports', async () => {
    const r = await cli([...BASE, '--json', '--env-vars', 'DB_PASS=hunter2-db'], {
      StartBuild: () => {
        throw awsError('InvalidInputException', 400, 'Invalid value hunter2-db for CBVT_VAR_DB_PASS')
      }
    })
    expect(r.code).toBe(3)
    expect(json(r).message).toMatch(/Invalid value \*\*\* for CBVT_VAR_DB_PASS/)
    expect(r.stdout + r.stderr).not.toContain('hunter2-db')
  })
})

describe("the CLI's exit codes", () => {
  it("4 for a variable that would replace the project's DATABASE_URL, naming the flag; nothing started", async () => {
    const r = await cli([...BASE, '--json', '--env-vars', 'DATABASE_URL=postgres://u:p@attacker.example/db'])
    expect(r.code).toBe(4)
    expect(json(r)).toMatchObject({ exitCode: 4, status: 'NOT_STARTED' })
    expect(json(r).message).toMatch(/^--env-vars: names DATABASE_URL, which project 'app' reads from Secrets Manager: it would replace/)
    expect(r.codebuild.count('StartBuild')).toBe(0)
  })

  it('4 when the lookup fails with variables set (fail closed)', async () => {
    const r = await cli([...BASE, '--json', '--env-vars', 'LOG_LEVEL=debug'], {
      BatchGetProjects: () => {
        throw awsError('AccessDeniedException', 400, 'not authorized to perform: codebuild:BatchGetProjects')
      }
    })
    expect(r.code).toBe(4)
    expect(json(r).message).toMatch(/^Could not look up project 'app' .*nothing was started/)
    expect(r.codebuild.count('StartBuild')).toBe(0)
  })

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143]
  ] as const)('%s while waiting for the snapshot: nothing starts, exit %i (not 4: the backup step did not refuse)', async (name, code) => {
    const signals = new Signals()
    let looks = 0
    const r = await cli(
      [...BASE, '--json', '--backup', 'snapshot', '--db-identifier', 'orders-db'],
      {},
      {
        signals,
        rds: {
          DescribeDBInstances: () => ({
            DBInstances: [{ DBInstanceIdentifier: 'orders-db', DBInstanceStatus: 'available', Engine: 'postgres' }]
          }),
          CreateDBSnapshot: (input: { DBSnapshotIdentifier: string }) => ({
            DBSnapshot: { DBSnapshotIdentifier: input.DBSnapshotIdentifier, Status: 'creating', PercentProgress: 0 }
          }),
          DescribeDBSnapshots: (input: { DBSnapshotIdentifier: string }) => {
            if (++looks === 2) signals.send(name)
            return { DBSnapshots: [{ DBSnapshotIdentifier: input.DBSnapshotIdentifier, Status: 'creating', PercentProgress: 10 }] }
          }
        }
      }
    )
    expect(r.code).toBe(code)
    expect(json(r)).toMatchObject({ exitCode: code, status: 'NOT_STARTED' })
    expect(json(r).message).toMatch(/^Cancelled while waiting for snapshot /)
    expect(r.codebuild.count('StartBuild')).toBe(0)
    expect(signals.disposed).toBe(true)
  })

  it('130 after Ctrl-C with a build running even when stopping it fails (the message says so); a second signal exits at once with its code', async () => {
    const signals = new Signals()
    const r = await cli(
      BASE,
      {
        StartBuild: () => ({ build: { id: ID, buildNumber: 1, buildStatus: 'IN_PROGRESS', projectName: 'app' } }),
        BatchGetBuilds: () => {
          signals.send('SIGINT')
          signals.send('SIGTERM')
          return { builds: [{ id: ID, buildNumber: 1, buildStatus: 'IN_PROGRESS', projectName: 'app' }] }
        },
        StopBuild: () => {
          throw awsError('AccessDeniedException', 400, 'not authorized to perform: codebuild:StopBuild')
        }
      },
      { signals }
    )
    expect(r.code).toBe(130)
    expect(r.exits).toEqual([143])
    expect(r.stdout).toContain(`Interrupted: stopping build ${ID}`)
    expect(r.stdout).toContain(`Interrupted, but could not stop build ${ID}: AccessDeniedException: not authorized`)
  })
})
