/**
 * Every way a run ends, through run() with fake clients and a virtual clock: the one conclusion path writes the
 * outputs, the state for the post step, the annotations and the step's result.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Build } from '@aws-sdk/client-codebuild'
import { jest } from '@jest/globals'
import { run } from '../../src/action/main.js'
import type { RunDeps } from '../../src/action/main.js'
import { ManualClock } from '../fixtures/clock.js'
import { FakeClient, awsError } from '../fixtures/fake-aws.js'
import type { Handler } from '../fixtures/fake-aws.js'
import { BASE_INPUTS, reader } from '../fixtures/inputs.js'
import { ROOT } from '../fixtures/root.js'
import { parseFileCommands } from '../fixtures/workflow.js'
import { captureStdout } from '../fixtures/stdout.js'

const ID = 'app-migrations:0b5c0b5c-0000-4000-8000-000000000001'
const started: Build = { id: ID, buildNumber: 7, buildStatus: 'IN_PROGRESS', arn: `arn:aws:codebuild:us-east-1:123456789012:build/${ID}` }
const ended = (status: 'SUCCEEDED' | 'FAILED'): Build => ({
  ...started,
  buildStatus: status,
  endTime: new Date(),
  phases: [
    {
      phaseType: 'BUILD',
      phaseStatus: status,
      contexts: status === 'FAILED' ? [{ statusCode: 'COMMAND_EXECUTION_ERROR', message: 'exit status 1' }] : []
    }
  ]
})

interface Ended {
  failed: boolean
  outputs: Record<string, string>
  state: Record<string, string>
  stdout: string
  client: FakeClient
}

let files: { output: string; state: string; summary: string }
let stdout: string[]
beforeEach(() => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'main-test-'))
  files = { output: path.join(dir, 'output'), state: path.join(dir, 'state'), summary: path.join(dir, 'summary') }
  for (const f of Object.values(files)) writeFileSync(f, '')
  process.env.GITHUB_OUTPUT = files.output
  process.env.GITHUB_STATE = files.state
  process.env.GITHUB_STEP_SUMMARY = files.summary
  stdout = captureStdout()
})
afterEach(() => {
  jest.restoreAllMocks()
  process.exitCode = undefined
  delete process.env.GITHUB_OUTPUT
  delete process.env.GITHUB_STATE
  delete process.env.GITHUB_STEP_SUMMARY
})

/** The values of a file command file, as the runner reads them. */
const fileCommands = (file: string): Record<string, string> => parseFileCommands(readFileSync(file, 'utf8'))

async function runWith(
  handlers: Record<string, Handler>,
  options: { inputs?: Record<string, string>; cancel?: (abort: () => void) => void; deps?: Partial<RunDeps> } = {}
): Promise<Ended> {
  const client = new FakeClient({
    BatchGetProjects: () => ({
      projects: [{ name: 'app-migrations', vpcConfig: { vpcId: 'vpc-1' }, environment: { privilegedMode: true, environmentVariables: [] } }]
    }),
    ListBuildsForProject: () => ({ ids: [] }),
    StartBuild: () => ({ build: started }),
    ...handlers
  })
  const controller = new AbortController()
  options.cancel?.(() => controller.abort(new Error('cancelled (SIGINT)')))
  await run({
    env: { GITHUB_WORKSPACE: ROOT, GITHUB_RUN_ID: '42', GITHUB_RUN_ATTEMPT: '1', GITHUB_REPOSITORY: 'acme/app' },
    read: reader({ ...BASE_INPUTS, 'show-logs': 'false', ...options.inputs }),
    clock: new ManualClock(Date.now()),
    actionRoot: ROOT,
    clients: () => ({
      codebuild: client.codebuild,
      logs: client.logs,
      rds: () => Promise.reject(new Error('no RDS in these tests'))
    }),
    cancellation: () => ({ signal: controller.signal, dispose: () => undefined }),
    write: text => void stdout.push(text),
    ...options.deps
  })
  return {
    failed: process.exitCode === 1,
    outputs: fileCommands(files.output),
    state: fileCommands(files.state),
    stdout: stdout.join(''),
    client
  }
}

describe('run() concludes every way a run can end in one place', () => {
  it('succeeded: status output, settled state, success line, exit 0', async () => {
    let polls = 0
    const r = await runWith({ BatchGetBuilds: () => ({ builds: [polls++ < 2 ? started : ended('SUCCEEDED')] }) })
    expect(r.failed).toBe(false)
    expect(r.outputs).toMatchObject({ 'build-id': ID, 'build-number': '7', 'build-status': 'SUCCEEDED' })
    expect(r.state).toMatchObject({ 'build-id': ID, settled: 'true' })
    expect(r.stdout).toMatch(/✅ migrate succeeded: build #7/)
    expect(r.client.count('StopBuild')).toBe(0)
    expect(readFileSync(files.summary, 'utf8')).toMatch(/SUCCEEDED/)
  })

  it('failed: an error annotation naming the phase and CodeBuild’s message, exit 1', async () => {
    const r = await runWith({ BatchGetBuilds: () => ({ builds: [ended('FAILED')] }) })
    expect(r.failed).toBe(true)
    expect(r.outputs['build-status']).toBe('FAILED')
    expect(r.stdout).toMatch(
      /::error title=migrate FAILED in phase BUILD::Build app-migrations:0b5c0b5c-0000-4000-8000-000000000001 of app-migrations ended FAILED in phase BUILD: COMMAND_EXECUTION_ERROR: exit status 1/
    )
    expect(r.state.settled).toBe('true')
  })

  it('cancelled with the stop failing: says so with the console link, and leaves the build to the post step', async () => {
    let abort = (): void => undefined
    const r = await runWith(
      {
        BatchGetBuilds: () => {
          abort()
          return { builds: [started] }
        },
        StopBuild: () => {
          throw awsError('AccessDeniedException', 400, 'not authorized to perform: codebuild:StopBuild')
        }
      },
      { cancel: a => (abort = a) }
    )
    expect(r.failed).toBe(true)
    expect(r.client.count('StopBuild')).toBe(1)
    expect(r.stdout).toMatch(
      /::error::Could not stop build app-migrations:0b5c0b5c-0000-4000-8000-000000000001 after the workflow was cancelled: AccessDeniedException: not authorized/
    )
    expect(r.state.settled).toBeUndefined()
    expect(r.outputs['build-status']).toBeUndefined()
  })

  it('cancelled in the middle of a poll that never answers: the poll is abandoned at once and the build stopped', async () => {
    let abort = (): void => undefined
    const r = await runWith(
      {
        BatchGetBuilds: () => {
          setImmediate(abort)
          return new Promise(() => undefined)
        },
        StopBuild: () => ({ build: { ...started, buildStatus: 'STOPPED' } })
      },
      { cancel: a => (abort = a) }
    )
    expect(r.failed).toBe(true)
    expect(r.client.count('StopBuild')).toBe(1)
    expect(r.outputs['build-status']).toBe('STOPPED')
    expect(r.state.settled).toBe('true')
    expect(r.stdout).toMatch(
      /::error::Stopped build app-migrations:0b5c0b5c-0000-4000-8000-000000000001 because the workflow was cancelled\./
    )
  })

  it('watching given up: the build goes on, IN_PROGRESS, settled for the post step, never stopped', async () => {
    let polls = 0
    const r = await runWith({
      BatchGetBuilds: () => {
        if (polls++ === 0) return { builds: [started] }
        throw awsError('InternalFailure', 500)
      }
    })
    expect(r.failed).toBe(true)
    expect(r.client.count('StopBuild')).toBe(0)
    expect(r.outputs['build-status']).toBe('IN_PROGRESS')
    expect(r.state.settled).toBe('true')
    expect(r.stdout).toMatch(
      /Gave up watching build app-migrations:0b5c0b5c-0000-4000-8000-000000000001: CodeBuild could not be asked for its status for 5m 0s/
    )
  })

  it('an unexpected error in run(): one clear failure, nothing started', async () => {
    const r = await runWith(
      {},
      {
        deps: {
          clients: () => {
            throw new TypeError('boom')
          }
        }
      }
    )
    expect(r.failed).toBe(true)
    expect(r.stdout).toMatch(/::error::Unexpected error: TypeError: boom/)
    expect(r.state).toEqual({})
  })

  it('a bad input: one error naming the input, before any AWS call', async () => {
    const r = await runWith({}, { inputs: { task: 'drop-database' } })
    expect(r.failed).toBe(true)
    expect(r.stdout).toMatch(/::error::Input 'task' must be one of migrate, seed, cleanup, plan, got 'drop-database'/)
    expect(r.client.calls).toEqual([])
  })
})

describe("the execution's token", () => {
  it('is saved for the post step before StartBuild is sent, and is new for every execution of the same step of the same run', async () => {
    const seen: Array<{ sent: string; saved: string | undefined }> = []
    const handlers = {
      StartBuild: (input: { idempotencyToken: string }) => {
        seen.push({ sent: input.idempotencyToken, saved: fileCommands(files.state)['start-token'] })
        return { build: started }
      },
      BatchGetBuilds: () => ({ builds: [ended('SUCCEEDED')] })
    }
    // Two legs of a matrix: the same run, attempt, job and step (runWith's environment), one after the other.
    for (let leg = 0; leg < 2; leg++) {
      writeFileSync(files.state, '')
      const r = await runWith(handlers)
      expect(r.failed).toBe(false)
    }
    expect(seen).toHaveLength(2)
    for (const { sent, saved } of seen) {
      expect(sent).toMatch(/^[0-9a-f]{40}$/)
      expect(saved).toBe(sent)
    }
    expect(seen[0]?.sent).not.toBe(seen[1]?.sent)
  })
})
