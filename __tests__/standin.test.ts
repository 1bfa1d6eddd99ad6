/**
 * Tests of the CodeBuild / CloudWatch Logs stand-in, through the real AWS SDK v3 clients.
 */
import {
  BatchGetBuildsCommand,
  BatchGetProjectsCommand,
  type Build as SdkBuild,
  CodeBuildClient,
  ListBuildsForProjectCommand,
  StartBuildCommand,
  StopBuildCommand
} from '@aws-sdk/client-codebuild'
import { CloudWatchLogsClient, GetLogEventsCommand, type GetLogEventsCommandOutput } from '@aws-sdk/client-cloudwatch-logs'
import { execFile } from 'node:child_process'
import http from 'node:http'
import { LogStore, MAX_PAGE_BYTES, parseToken } from './standin/logstore.js'
import {
  DEFAULT_EXPORTED_VARIABLES_LAG_MS,
  IDEAL_LOGS,
  type BuildView,
  type FaultPlan,
  type ProjectConfig,
  type StandIn,
  type StandInOptions,
  presets,
  realisticMigrationScenario,
  startStandIn,
  taskLine,
  taskLineTexts
} from './standin/index.js'

const REGION = 'us-east-1'
const AGENT_LINE = /^\[Container\] \d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}\.\d{6} .*\n$/

interface Env {
  s: StandIn
  cb: CodeBuildClient
  logs: CloudWatchLogsClient
}

const open: Env[] = []

/**
 * The stand-in's clock runs this many times faster than real time here, as in the e2e tests: every time in these
 * tests (scripts, delays, windows, `s.now()`, waits) is on it. The SDK clients of this process keep real time
 * (their own timers do not matter here); the tests' pauses are virtual too (`sleep`).
 */
const TIME_SCALE = 10

/** Resolves after `ms` of the stand-in's (virtual) time. */
const sleep = (ms: number): Promise<void> => new Promise(r => setTimeout(r, ms / TIME_SCALE))

/** The wire tests read ideal pages; 'realistic paging' below tests the default. */
async function setup(options: StandInOptions): Promise<Env> {
  const s = await startStandIn({ timeScale: TIME_SCALE, logs: IDEAL_LOGS, ...options })
  const cfg = { endpoint: s.endpoint, region: REGION, credentials: s.credentials, maxAttempts: 1 }
  const env = { s, cb: new CodeBuildClient(cfg), logs: new CloudWatchLogsClient(cfg) }
  open.push(env)
  return env
}

afterEach(async () => {
  for (const e of open.splice(0)) {
    e.cb.destroy()
    e.logs.destroy()
    await e.s.close()
  }
})

async function errorOf(p: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number }; code?: string }> {
  try {
    await p
  } catch (e) {
    return e as Error & { $metadata?: { httpStatusCode?: number } }
  }
  throw new Error('expected a rejection')
}

async function getBuild(cb: CodeBuildClient, id: string): Promise<SdkBuild> {
  const out = await cb.send(new BatchGetBuildsCommand({ ids: [id] }))
  const b = out.builds?.[0]
  if (!b) throw new Error(`no build ${id}`)
  return b
}

async function pollUntil<T>(fn: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error('pollUntil: timed out')
    await sleep(10)
  }
}

/** Reads a whole stream forward, page by page, until the build has ended and a page brings nothing new. */
async function readAll(
  env: Env,
  build: BuildView,
  opts: { limit?: number; onPage?: (p: GetLogEventsCommandOutput) => void } = {}
): Promise<string[]> {
  const out: string[] = []
  let token: string | undefined
  for (;;) {
    const page = await env.logs.send(
      new GetLogEventsCommand({
        logGroupName: build.logGroup,
        logStreamName: build.logStream,
        startFromHead: true,
        nextToken: token,
        limit: opts.limit
      })
    )
    opts.onPage?.(page)
    for (const e of page.events ?? []) out.push(e.message ?? '')
    // Realistic paging gives a new token on every empty page: the end is an empty page once everything is readable.
    const done = (page.events ?? []).length === 0
    token = page.nextForwardToken
    if (done && build.endedAt !== null && env.s.now() > (build.allEvents().at(-1)?.readableAt ?? 0)) break
    if ((page.events ?? []).length === 0) await sleep(10)
  }
  return out
}

function project(name: string, extra: Partial<ProjectConfig> = {}): ProjectConfig {
  return {
    name,
    vpcConfig: true,
    privilegedMode: true,
    environmentVariables: [
      { name: 'IMAGE_URI', value: '123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1', type: 'PLAINTEXT' as const },
      { name: 'DATABASE_URL', value: 'prod/db-url', type: 'SECRETS_MANAGER' as const }
    ],
    ...extra
  }
}

// ---------------------------------------------------------------------------------------------------------------

describe('CodeBuild build lifecycle', () => {
  test('StartBuild and BatchGetBuilds through to SUCCEEDED, with logs absent until the stream exists', async () => {
    const env = await setup({ projects: [project('migrate', { builds: [presets.lateStream({ streamAtMs: 350, lines: 3 })] })] })
    const { cb, s } = env
    const started = await cb.send(
      new StartBuildCommand({
        projectName: 'migrate',
        environmentVariablesOverride: [
          { name: 'IMAGE_URI', value: 'repo/app:2', type: 'PLAINTEXT' },
          { name: 'TASK', value: 'migrate', type: 'PLAINTEXT' }
        ],
        timeoutInMinutesOverride: 30,
        idempotencyToken: 'tok-1'
      })
    )
    const b = started.build
    expect(b?.id).toMatch(/^migrate:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(b?.arn).toBe(`arn:aws:codebuild:us-east-1:123456789012:build/${b?.id}`)
    expect(b?.buildNumber).toBe(1)
    expect(b?.buildStatus).toBe('IN_PROGRESS')
    expect(b?.currentPhase).toBe('SUBMITTED')
    expect(b?.startTime).toBeInstanceOf(Date)
    expect(b?.endTime).toBeUndefined()
    expect(b?.timeoutInMinutes).toBe(30)
    expect(b?.initiator).toBe('github-actions-role/GitHubActions')
    expect(b?.projectName).toBe('migrate')
    expect(b?.environment?.privilegedMode).toBe(true)
    expect(b?.environment?.environmentVariables).toEqual([
      { name: 'IMAGE_URI', value: 'repo/app:2', type: 'PLAINTEXT' },
      { name: 'DATABASE_URL', value: 'prod/db-url', type: 'SECRETS_MANAGER' },
      { name: 'TASK', value: 'migrate', type: 'PLAINTEXT' }
    ])
    expect(b?.logs?.groupName).toBeUndefined()
    expect(b?.logs?.streamName).toBeUndefined()
    expect(b?.logs?.deepLink).toBeUndefined()
    expect(b?.logs?.cloudWatchLogs?.status).toBe('ENABLED')
    expect(b?.vpcConfig?.vpcId).toMatch(/^vpc-/)

    const id = b?.id as string
    const view = s.build(id) as BuildView
    expect(view.request.idempotencyToken).toBe('tok-1')
    // before the stream: still no logs location, whatever the phase (checked if answered before it appeared)
    const early = await getBuild(cb, id)
    const earlyCall = s.callsOf('BatchGetBuilds').at(-1)
    if (earlyCall && earlyCall.answeredAt < (view.streamAt as number)) expect(early.logs?.groupName).toBeUndefined()

    const withLogs = await pollUntil(async () => {
      const x = await getBuild(cb, id)
      return x.logs?.groupName ? x : undefined
    })
    expect(withLogs.logs?.groupName).toBe('/aws/codebuild/migrate')
    expect(withLogs.logs?.streamName).toBe(id.split(':')[1])
    expect(withLogs.logs?.deepLink).toContain('group=/aws/codebuild/migrate;stream=')
    expect(withLogs.logs?.cloudWatchLogsArn).toBe(
      `arn:aws:logs:us-east-1:123456789012:log-group:/aws/codebuild/migrate:log-stream:${id.split(':')[1]}`
    )

    const done = await pollUntil(async () => {
      const x = await getBuild(cb, id)
      return x.buildComplete ? x : undefined
    })
    expect(done.buildStatus).toBe('SUCCEEDED')
    expect(done.currentPhase).toBe('COMPLETED')
    expect(done.endTime).toBeInstanceOf(Date)
    expect((done.endTime as Date).getTime()).toBeGreaterThan((done.startTime as Date).getTime())
    const phases = done.phases ?? []
    expect(phases.map(p => p.phaseType)).toEqual([
      'SUBMITTED',
      'QUEUED',
      'PROVISIONING',
      'DOWNLOAD_SOURCE',
      'INSTALL',
      'PRE_BUILD',
      'BUILD',
      'POST_BUILD',
      'UPLOAD_ARTIFACTS',
      'FINALIZING',
      'COMPLETED'
    ])
    for (const p of phases.slice(0, -1)) {
      expect(p.phaseStatus).toBe('SUCCEEDED')
      expect(p.startTime).toBeInstanceOf(Date)
      expect(p.endTime).toBeInstanceOf(Date)
      expect(typeof p.durationInSeconds).toBe('number')
    }
    expect(phases.at(-1)).toEqual({ phaseType: 'COMPLETED', startTime: done.endTime })
    // timestamps are epoch seconds with fractions on the wire
    expect((done.startTime as Date).getTime() % 1).toBe(0)
    expect(view.endedAt).not.toBeNull()
    expect(view.status).toBe('SUCCEEDED')
  })

  test('a build in progress shows the running phase without status, completed phases with it', async () => {
    const env = await setup({ projects: [project('p', { builds: [presets.longRunning({ runMs: 5000, everyMs: 100 })] })] })
    const { id } = (await env.cb.send(new StartBuildCommand({ projectName: 'p' }))).build as { id: string }
    const view = env.s.build(id) as BuildView
    await env.s.waitFor(() => view.currentPhase === 'BUILD')
    const b = await getBuild(env.cb, id)
    expect(b.buildStatus).toBe('IN_PROGRESS')
    expect(b.currentPhase).toBe('BUILD')
    const last = b.phases?.at(-1)
    expect(last?.phaseType).toBe('BUILD')
    expect(last?.phaseStatus).toBeUndefined()
    expect(last?.endTime).toBeUndefined()
    expect(b.phases?.find(p => p.phaseType === 'PROVISIONING')?.phaseStatus).toBe('SUCCEEDED')
    expect(b.networkInterface?.networkInterfaceId).toMatch(/^eni-/)
  })

  test('a failed BUILD carries the COMMAND_EXECUTION_ERROR context; POST_BUILD and UPLOAD_ARTIFACTS still run', async () => {
    const buildspec = [
      'version: 0.2',
      'phases:',
      '  pre_build:',
      '    commands:',
      '      - docker pull "$IMAGE_URI"',
      '  build:',
      '    commands:',
      '      - docker run --rm "$IMAGE_URI" migrate'
    ].join('\n')
    const env = await setup({ projects: [project('p', { builds: [presets.failure({ lines: 3 })] })] })
    const { id } = (await env.cb.send(new StartBuildCommand({ projectName: 'p', buildspecOverride: buildspec }))).build as {
      id: string
    }
    const view = env.s.build(id) as BuildView
    await env.s.waitForEnd(view)
    const b = await getBuild(env.cb, id)
    expect(b.buildStatus).toBe('FAILED')
    const build = b.phases?.find(p => p.phaseType === 'BUILD')
    expect(build?.phaseStatus).toBe('FAILED')
    expect(build?.contexts).toEqual([
      {
        statusCode: 'COMMAND_EXECUTION_ERROR',
        message: 'Error while executing command: docker run --rm "$IMAGE_URI" migrate. Reason: exit status 1'
      }
    ])
    expect(b.phases?.find(p => p.phaseType === 'POST_BUILD')?.phaseStatus).toBe('SUCCEEDED')
    expect(b.phases?.find(p => p.phaseType === 'UPLOAD_ARTIFACTS')?.phaseStatus).toBe('SUCCEEDED')
    expect(view.failureContext()?.statusCode).toBe('COMMAND_EXECUTION_ERROR')

    const lines = await readAll(env, view)
    for (const l of lines) expect(l.endsWith('\n')).toBe(true)
    const text = lines.map(l => l.replace(/^\[Container\] \S+ \S+ /, '[C] '))
    const expectInOrder = [
      '[C] Running on CodeBuild On-demand\n',
      '[C] Waiting for agent ping\n',
      '[C] Waiting for DOWNLOAD_SOURCE\n',
      '[C] Phase is DOWNLOAD_SOURCE\n',
      '[C] YAML location is /codebuild/readonly/buildspec.yml\n',
      '[C] Processing environment variables\n',
      '[C] Phases found in YAML: 2\n',
      '[C]  PRE_BUILD: 1 commands\n',
      '[C]  BUILD: 1 commands\n',
      '[C] Phase complete: DOWNLOAD_SOURCE State: SUCCEEDED\n',
      '[C] Phase context status code:  Message: \n',
      '[C] Entering phase INSTALL\n',
      '[C] Entering phase PRE_BUILD\n',
      '[C] Running command docker pull "$IMAGE_URI"\n',
      '[C] Entering phase BUILD\n',
      '[C] Running command docker run --rm "$IMAGE_URI" migrate\n',
      'task line 000000\n',
      'task line 000002\n',
      '[C] Command did not exit successfully docker run --rm "$IMAGE_URI" migrate exit status 1\n',
      '[C] Phase complete: BUILD State: FAILED\n',
      '[C] Phase context status code: COMMAND_EXECUTION_ERROR Message: Error while executing command: docker run --rm "$IMAGE_URI" migrate. Reason: exit status 1\n',
      '[C] Entering phase POST_BUILD\n',
      '[C] Phase complete: POST_BUILD State: SUCCEEDED\n',
      '[C] Phase complete: UPLOAD_ARTIFACTS State: SUCCEEDED\n',
      '[C] Phase context status code:  Message: \n'
    ]
    let from = 0
    for (const want of expectInOrder) {
      const at = text.indexOf(want, from)
      expect({ want, found: at >= 0 }).toEqual({ want, found: true })
      from = at + 1
    }
    for (const l of lines.filter(x => x.startsWith('[Container]'))) expect(l).toMatch(AGENT_LINE)
    // the ECR login command is not in the buildspec, so it is not run: the buildspec decides the commands
    expect(lines.some(l => l.includes('get-login-password') || l.includes('Login Succeeded'))).toBe(false)
  })

  test('multi-line commands echoed line by line, only the first prefixed, again on failure; [Instance] for EC2 compute', async () => {
    const buildspec = [
      'version: 0.2',
      'phases:',
      '  build:',
      '    commands:',
      '      - |',
      '        set -e',
      '        ./migrate up',
      ''
    ].join('\n')
    const command = 'set -e\n./migrate up\n'
    const env = await setup({
      projects: [
        project('p', {
          agentPrefix: 'Instance',
          builds: [
            { agentLines: 'minimal', build: [{ command, output: ['migrate: error: relation "users" does not exist'], exitStatus: 1 }] }
          ]
        })
      ]
    })
    const { id } = (await env.cb.send(new StartBuildCommand({ projectName: 'p', buildspecOverride: buildspec }))).build as { id: string }
    const view = await env.s.waitForEnd(env.s.build(id) as BuildView)
    expect(view.commands().map(c => c.command)).toEqual([command])
    const lines = (await readAll(env, view)).map(l => l.replace(/^\[Instance\] \d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}\.\d{6} /, '[I] '))
    const from = lines.indexOf('[I] Entering phase BUILD\n')
    expect(lines.slice(from, from + 16)).toEqual([
      '[I] Entering phase BUILD\n',
      '[I] Running command set -e\n',
      './migrate up\n',
      '\n',
      'migrate: error: relation "users" does not exist\n',
      '[I] Command did not exit successfully set -e\n',
      './migrate up\n',
      ' exit status 1\n',
      '[I] Phase complete: BUILD State: FAILED\n',
      '[I] Phase context status code: COMMAND_EXECUTION_ERROR Message: Error while executing command: set -e\n',
      './migrate up\n',
      '. Reason: exit status 1\n',
      '[I] Entering phase POST_BUILD\n',
      '[I] Phase complete: POST_BUILD State: SUCCEEDED\n',
      '[I] Phase context status code:  Message: \n',
      '[I] Phase complete: UPLOAD_ARTIFACTS State: SUCCEEDED\n'
    ])
    expect(lines.some(l => l.startsWith('[Container]'))).toBe(false)
    expect(view.failureContext()?.message).toBe(`Error while executing command: ${command}. Reason: exit status 1`)
    // The task's output: what the agent did not write, bare continuation lines included.
    expect(view.outputLines()).toEqual(['migrate: error: relation "users" does not exist'])
  })

  test('PROVISIONING failure: no stream ever, build FAILED', async () => {
    const env = await setup({ projects: [project('p', { builds: [presets.provisioningFailure()] })] })
    const { id } = (await env.cb.send(new StartBuildCommand({ projectName: 'p' }))).build as { id: string }
    const view = env.s.build(id) as BuildView
    await env.s.waitForEnd(view)
    const b = await getBuild(env.cb, id)
    expect(b.buildStatus).toBe('FAILED')
    expect(b.logs?.groupName).toBeUndefined()
    expect(b.phases?.map(p => p.phaseType)).toEqual(['SUBMITTED', 'QUEUED', 'PROVISIONING', 'FINALIZING', 'COMPLETED'])
    expect(b.phases?.[2]?.contexts?.[0]?.statusCode).toBe('CLIENT_ERROR')
    expect(view.streamAt).toBeNull()
  })

  test('an invalid buildspecOverride fails DOWNLOAD_SOURCE with YAML_FILE_ERROR', async () => {
    const env = await setup({ projects: [project('p')] })
    const { id } = (await env.cb.send(new StartBuildCommand({ projectName: 'p', buildspecOverride: 'version: 0.2\nphases: [' }))).build as {
      id: string
    }
    const view = await env.s.waitForEnd(env.s.build(id) as BuildView)
    const b = await getBuild(env.cb, id)
    expect(b.buildStatus).toBe('FAILED')
    const ds = b.phases?.find(p => p.phaseType === 'DOWNLOAD_SOURCE')
    expect(ds?.phaseStatus).toBe('FAILED')
    expect(ds?.contexts?.[0]?.statusCode).toBe('YAML_FILE_ERROR')
    expect(view.lines().some(l => l.includes('Phase complete: DOWNLOAD_SOURCE State: FAILED'))).toBe(true)
  })

  test('timed out build', async () => {
    const env = await setup({ projects: [project('p', { builds: [presets.timedOut({ timeoutAtMs: 300 })] })] })
    const { id } = (await env.cb.send(new StartBuildCommand({ projectName: 'p' }))).build as { id: string }
    await env.s.waitForEnd(env.s.build(id) as BuildView)
    const b = await getBuild(env.cb, id)
    expect(b.buildStatus).toBe('TIMED_OUT')
    expect(b.phases?.find(p => p.phaseStatus === 'TIMED_OUT')?.contexts?.[0]?.statusCode).toBe('BUILD_TIMED_OUT')
  })
})

describe('StartBuild requests', () => {
  test('unknown project, invalid environment variable type, reserved names and timeouts are rejected as AWS does', async () => {
    const env = await setup({ projects: [project('p')] })
    const nf = await errorOf(env.cb.send(new StartBuildCommand({ projectName: 'nope' })))
    expect(nf.name).toBe('ResourceNotFoundException')
    expect(nf.message).toBe('Project cannot be found: arn:aws:codebuild:us-east-1:123456789012:project/nope')
    expect(nf.$metadata?.httpStatusCode).toBe(400)

    const badType = await errorOf(
      env.cb.send(
        new StartBuildCommand({
          projectName: 'p',
          // @ts-expect-error: an invalid enum value, as a buggy caller could send
          environmentVariablesOverride: [{ name: 'A', value: 'x', type: 'SECRET' }]
        })
      )
    )
    expect(badType.name).toBe('InvalidInputException')
    expect(badType.message).toContain("at 'environmentVariablesOverride.1.member.type' failed to satisfy constraint")
    expect(badType.message).toContain('[PLAINTEXT, PARAMETER_STORE, SECRETS_MANAGER]')

    const reserved = await errorOf(
      env.cb.send(new StartBuildCommand({ projectName: 'p', environmentVariablesOverride: [{ name: 'CODEBUILD_X', value: '1' }] }))
    )
    expect(reserved.name).toBe('InvalidInputException')

    const long = await errorOf(
      env.cb.send(new StartBuildCommand({ projectName: 'p', environmentVariablesOverride: [{ name: 'A', value: 'x'.repeat(4097) }] }))
    )
    expect(long.name).toBe('InvalidInputException')
    expect(long.message).toBe('EnvironmentVariable should be at most 4096 characters')
    await env.cb.send(new StartBuildCommand({ projectName: 'p', environmentVariablesOverride: [{ name: 'A', value: 'x'.repeat(4096) }] }))

    const timeout = await errorOf(env.cb.send(new StartBuildCommand({ projectName: 'p', timeoutInMinutesOverride: 3000 })))
    expect(timeout.name).toBe('InvalidInputException')
    expect(timeout.message).toBe(
      "1 validation error detected: Value '3000' at 'timeoutInMinutesOverride' failed to satisfy constraint: Member must have value less than or equal to 2160"
    )
    expect(env.s.startedBuilds()).toHaveLength(1)
    expect(env.s.callsOf('StartBuild').map(c => c.errorType)).toEqual([
      'ResourceNotFoundException',
      'InvalidInputException',
      'InvalidInputException',
      'InvalidInputException',
      undefined,
      'InvalidInputException'
    ])
  })

  test('the same idempotencyToken returns the same build; a changed request with it is refused', async () => {
    const env = await setup({ projects: [project('p')] })
    const a = await env.cb.send(new StartBuildCommand({ projectName: 'p', idempotencyToken: 'run-42' }))
    const b = await env.cb.send(new StartBuildCommand({ projectName: 'p', idempotencyToken: 'run-42' }))
    expect(b.build?.id).toBe(a.build?.id)
    expect(env.s.startedBuilds()).toHaveLength(1)
    const mismatch = await errorOf(
      env.cb.send(new StartBuildCommand({ projectName: 'p', idempotencyToken: 'run-42', timeoutInMinutesOverride: 10 }))
    )
    expect(mismatch.name).toBe('InvalidInputException')
    expect(mismatch.message).toMatch(/^Parameter mismatch: the idempotency token run-42 /)
    // A matrix leg's request: the same token, one variable different. Refused too, and nothing started.
    const leg = await errorOf(
      env.cb.send(
        new StartBuildCommand({
          projectName: 'p',
          idempotencyToken: 'run-42',
          environmentVariablesOverride: [{ name: 'LEG', value: 'green', type: 'PLAINTEXT' }]
        })
      )
    )
    expect(leg.name).toBe('InvalidInputException')
    expect(env.s.startedBuilds()).toHaveLength(1)
    // Tokens are case-sensitive.
    const upper = await env.cb.send(new StartBuildCommand({ projectName: 'p', idempotencyToken: 'RUN-42', timeoutInMinutesOverride: 10 }))
    expect(upper.build?.id).not.toBe(a.build?.id)
    const c = await env.cb.send(new StartBuildCommand({ projectName: 'p', idempotencyToken: 'run-43' }))
    expect(c.build?.id).not.toBe(a.build?.id)
    expect(c.build?.buildNumber).toBe(3)
  })

  test('idempotency tokens expire after the window', async () => {
    const env = await setup({ projects: [project('p')], idempotencyWindowMs: 50 })
    const a = await env.cb.send(new StartBuildCommand({ projectName: 'p', idempotencyToken: 't' }))
    await sleep(80)
    const b = await env.cb.send(new StartBuildCommand({ projectName: 'p', idempotencyToken: 't' }))
    expect(b.build?.id).not.toBe(a.build?.id)
  })

  test('AccountLimitExceededException when too many builds run', async () => {
    const env = await setup({ projects: [project('p', { defaultBuild: presets.longRunning({ runMs: 3000 }) })], maxConcurrentBuilds: 1 })
    await env.cb.send(new StartBuildCommand({ projectName: 'p' }))
    const err = await errorOf(env.cb.send(new StartBuildCommand({ projectName: 'p' })))
    expect(err.name).toBe('AccountLimitExceededException')
  })

  test('queued scripts and projects added while running', async () => {
    const env = await setup({ projects: [project('p')] })
    env.s.queueBuilds('p', presets.failure({ label: 'queued' }))
    env.s.addProject(project('q', { running: [{ finishAtMs: 100 }] }))
    await env.cb.send(new StartBuildCommand({ projectName: 'p' }))
    await env.cb.send(new StartBuildCommand({ projectName: 'q' }))
    expect(env.s.startedBuilds().map(b => `${b.projectName}:${b.label}`)).toEqual(['p:queued', 'q:success'])
    expect(env.s.buildsOf('q')).toHaveLength(2)
  })

  test('scripts are consumed in order, then the default; factories see the request and environment', async () => {
    const seen: string[] = []
    const env = await setup({
      projects: [
        project('p', {
          builds: [
            presets.success({ label: 'first' }),
            ctx => {
              seen.push(`${ctx.buildNumber}:${ctx.env['IMAGE_URI']}:${ctx.request.projectName}`)
              return presets.failure({ label: 'second' })
            }
          ]
        })
      ]
    })
    for (let i = 0; i < 3; i++) await env.cb.send(new StartBuildCommand({ projectName: 'p' }))
    expect(env.s.startedBuilds('p').map(b => b.label)).toEqual(['first', 'second', 'success'])
    expect(seen).toEqual(['2:123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1:p'])
  })
})

describe('StopBuild', () => {
  test('the build becomes STOPPED after the stop delay; the rest of its script is not logged', async () => {
    const env = await setup({
      projects: [project('p', { builds: [presets.longRunning({ runMs: 10_000, everyMs: 20 })] })],
      stopDelayMs: 150
    })
    const { id } = (await env.cb.send(new StartBuildCommand({ projectName: 'p' }))).build as { id: string }
    const view = env.s.build(id) as BuildView
    await env.s.waitFor(() => view.events().some(e => e.text === taskLine(3)))
    const stopped = await env.cb.send(new StopBuildCommand({ id }))
    expect(stopped.build?.buildStatus).toBe('IN_PROGRESS')
    const stopAt = env.s.now()
    await env.s.waitForEnd(view, { timeoutMs: 5000 })
    expect((view.endedAt as number) - stopAt).toBeLessThan(400)
    const b = await getBuild(env.cb, id)
    expect(b.buildStatus).toBe('STOPPED')
    expect(b.phases?.find(p => p.phaseType === 'BUILD')?.phaseStatus).toBe('STOPPED')
    expect(b.phases?.at(-1)?.phaseType).toBe('COMPLETED')
    const lines = view.lines()
    expect(lines.at(-2)).toMatch(/^\[Container\] .* Phase complete: BUILD State: STOPPED$/)
    expect(lines.filter(l => l.startsWith('task line')).length).toBeLessThan(100)
    expect(env.s.callsOf('StopBuild')).toHaveLength(1)
    expect(view.stopRequestedAt).not.toBeNull()

    const again = await errorOf(env.cb.send(new StopBuildCommand({ id })))
    expect(again.name).toBe('InvalidInputException')
    const unknown = await errorOf(env.cb.send(new StopBuildCommand({ id: 'p:00000000-0000-4000-8000-000000000000' })))
    expect(unknown.name).toBe('ResourceNotFoundException')
  })
})

describe('projects and listings', () => {
  test('BatchGetProjects returns known projects and lists unknown names in projectsNotFound', async () => {
    const env = await setup({ projects: [project('p'), { name: 'plain' }] })
    const out = await env.cb.send(
      new BatchGetProjectsCommand({ names: ['p', 'missing', 'arn:aws:codebuild:us-east-1:123456789012:project/plain'] })
    )
    expect(out.projects?.map(p => p.name)).toEqual(['p', 'plain'])
    expect(out.projectsNotFound).toEqual(['missing'])
    const p = out.projects?.[0]
    expect(p?.vpcConfig?.subnets?.length).toBeGreaterThan(0)
    expect(p?.environment?.privilegedMode).toBe(true)
    expect(p?.environment?.environmentVariables?.map(v => v.name)).toEqual(['IMAGE_URI', 'DATABASE_URL'])
    expect(p?.logsConfig?.cloudWatchLogs?.status).toBe('ENABLED')
    expect(p?.created).toBeInstanceOf(Date)
    expect(out.projects?.[1]?.vpcConfig).toBeUndefined()
  })

  test('ListBuildsForProject: newest first, ASCENDING on request, pages of 100', async () => {
    const env = await setup({ projects: [project('p', { pastBuilds: 150 })] })
    const first = await env.cb.send(new StartBuildCommand({ projectName: 'p' }))
    const page1 = await env.cb.send(new ListBuildsForProjectCommand({ projectName: 'p' }))
    expect(page1.ids).toHaveLength(100)
    expect(page1.ids?.[0]).toBe(first.build?.id)
    expect(page1.nextToken).toBeDefined()
    const page2 = await env.cb.send(new ListBuildsForProjectCommand({ projectName: 'p', nextToken: page1.nextToken }))
    expect(page2.ids).toHaveLength(51)
    expect(page2.nextToken).toBeUndefined()
    const all = [...(page1.ids ?? []), ...(page2.ids ?? [])]
    expect(new Set(all).size).toBe(151)
    expect(all).toEqual(
      env.s
        .buildsOf('p')
        .map(b => b.id)
        .reverse()
    )
    const asc = await env.cb.send(new ListBuildsForProjectCommand({ projectName: 'p', sortOrder: 'ASCENDING' }))
    expect(asc.ids?.[0]).toBe(env.s.buildsOf('p')[0]?.id)
    const nf = await errorOf(env.cb.send(new ListBuildsForProjectCommand({ projectName: 'nope' })))
    expect(nf.name).toBe('ResourceNotFoundException')
    const bg = await env.cb.send(new BatchGetBuildsCommand({ ids: [all[150] as string, 'p:nope'] }))
    expect(bg.builds?.[0]?.buildStatus).toBe('SUCCEEDED')
    expect(bg.buildsNotFound).toEqual(['p:nope'])
  })

  test('a build already running when the stand-in starts, finishing at a given offset', async () => {
    // Far enough ahead that two calls on a loaded machine still see it running (the stand-in's clock runs 10x).
    const env = await setup({ projects: [project('p', { running: [{ finishAtMs: 5_000 }] })] })
    const list = await env.cb.send(new ListBuildsForProjectCommand({ projectName: 'p' }))
    expect(list.ids).toHaveLength(1)
    const other = await getBuild(env.cb, list.ids?.[0] as string)
    expect(other.buildStatus).toBe('IN_PROGRESS')
    expect(other.currentPhase).toBe('BUILD')
    expect(other.initiator).toBe('another-user')
    expect(env.s.fromEpoch((other.startTime as Date).getTime())).toBeLessThan(env.s.now() - 30_000)
    const view = env.s.buildsOf('p')[0] as BuildView
    expect(view.endsAt).toBeGreaterThan(4_980)
    expect(view.endsAt).toBeLessThan(5_020)
    await env.s.waitForEnd(view)
    expect((await getBuild(env.cb, view.id)).buildStatus).toBe('SUCCEEDED')
    expect(env.s.startedBuilds()).toHaveLength(0)
  })

  test('a running build that never ends by itself can be stopped', async () => {
    const env = await setup({ projects: [project('p', { running: [{}] })], stopDelayMs: 50 })
    const view = env.s.buildsOf('p')[0] as BuildView
    await env.cb.send(new StopBuildCommand({ id: view.id }))
    await env.s.waitForEnd(view)
    expect(view.status).toBe('STOPPED')
  })
})

describe('CloudWatch Logs GetLogEvents', () => {
  test('ResourceNotFoundException before the stream exists, for an unknown group, and events once it does', async () => {
    const env = await setup({ projects: [project('p', { builds: [presets.lateStream({ streamAtMs: 5_000 })] })] })
    const { id } = (await env.cb.send(new StartBuildCommand({ projectName: 'p' }))).build as { id: string }
    const view = env.s.build(id) as BuildView
    const before = await errorOf(
      env.logs.send(new GetLogEventsCommand({ logGroupName: '/aws/codebuild/p', logStreamName: view.logStream, startFromHead: true }))
    )
    expect(before.name).toBe('ResourceNotFoundException')
    expect(before.message).toBe('The specified log stream does not exist.')
    expect(before.$metadata?.httpStatusCode).toBe(400)
    const group = await errorOf(
      env.logs.send(new GetLogEventsCommand({ logGroupName: '/aws/codebuild/other', logStreamName: 'x', startFromHead: true }))
    )
    expect(group.message).toBe('The specified log group does not exist.')

    await env.s.waitFor(() => view.streamExists)
    const page = await env.logs.send(
      new GetLogEventsCommand({ logGroupName: '/aws/codebuild/p', logStreamName: view.logStream, startFromHead: true })
    )
    expect(page.nextForwardToken).toMatch(/^f\/\d{56}$/)
    expect(page.nextBackwardToken).toMatch(/^b\/\d{56}$/)
    for (const e of page.events ?? []) {
      expect(typeof e.timestamp).toBe('number')
      expect(e.ingestionTime as number).toBeGreaterThanOrEqual(e.timestamp as number)
    }
  })

  test('paging a 30,000-line burst with a limit: every line once, in order; same token back when nothing new', async () => {
    const env = await setup({ projects: [project('p', { builds: [presets.burst({ count: 30_000, taskOnly: true })] })] })
    const { id } = (await env.cb.send(new StartBuildCommand({ projectName: 'p' }))).build as { id: string }
    const view = env.s.build(id) as BuildView
    await env.s.waitForEnd(view)
    const sizes: number[] = []
    const lines = await readAll(env, view, { limit: 7_000, onPage: p => sizes.push(p.events?.length ?? 0) })
    expect(lines).toEqual(taskLineTexts(30_000).map(l => `${l}\n`))
    expect(sizes.slice(0, 4)).toEqual([7_000, 7_000, 7_000, 7_000])

    const last = await env.logs.send(
      new GetLogEventsCommand({
        logGroupName: view.logGroup,
        logStreamName: view.logStream,
        startFromHead: true,
        limit: 7_000,
        nextToken: undefined
      })
    )
    let token = last.nextForwardToken
    for (;;) {
      const p = await env.logs.send(
        new GetLogEventsCommand({ logGroupName: view.logGroup, logStreamName: view.logStream, startFromHead: true, nextToken: token })
      )
      if ((p.events ?? []).length === 0) {
        expect(p.nextForwardToken).toBe(token)
        break
      }
      token = p.nextForwardToken
    }
  })

  test('without a limit a page holds at most 10,000 events', async () => {
    const env = await setup({ projects: [project('p', { builds: [presets.burst({ count: 25_000, taskOnly: true })] })] })
    const { id } = (await env.cb.send(new StartBuildCommand({ projectName: 'p' }))).build as { id: string }
    const view = await env.s.waitForEnd(env.s.build(id) as BuildView)
    const sizes: number[] = []
    const lines = await readAll(env, view, { onPage: p => sizes.push(p.events?.length ?? 0) })
    expect(sizes.slice(0, 3)).toEqual([10_000, 10_000, 5_000])
    expect(lines).toHaveLength(25_000)
  })

  test('pages stop at 1 MB (message bytes + 26 per event); 250 KB lines come through whole', async () => {
    const env = await setup({
      projects: [project('p', { builds: [presets.bigLines({ bytes: 250_000, count: 9, taskOnly: true })] })]
    })
    const { id } = (await env.cb.send(new StartBuildCommand({ projectName: 'p' }))).build as { id: string }
    const view = await env.s.waitForEnd(env.s.build(id) as BuildView)
    const pageBytes: number[] = []
    const lines = await readAll(env, view, {
      onPage: p => pageBytes.push((p.events ?? []).reduce((n, e) => n + Buffer.byteLength(e.message ?? '') + 26, 0))
    })
    expect(lines).toHaveLength(11)
    expect(lines.map(l => l.length)).toEqual([17, ...Array<number>(9).fill(250_001), 17])
    expect(pageBytes.filter(n => n > 0).length).toBeGreaterThanOrEqual(3)
    for (const n of pageBytes) expect(n).toBeLessThanOrEqual(MAX_PAGE_BYTES)
  })

  test('startFromHead absent: the latest events first (a backward page), then b/ tokens go back', async () => {
    const env = await setup({ projects: [project('p', { builds: [presets.burst({ count: 50, taskOnly: true })] })] })
    const { id } = (await env.cb.send(new StartBuildCommand({ projectName: 'p' }))).build as { id: string }
    const view = await env.s.waitForEnd(env.s.build(id) as BuildView)
    const tail = await env.logs.send(new GetLogEventsCommand({ logGroupName: view.logGroup, logStreamName: view.logStream, limit: 20 }))
    expect(tail.events?.map(e => e.message)).toEqual(
      taskLineTexts(50)
        .slice(30)
        .map(l => `${l}\n`)
    )
    const back = await env.logs.send(
      new GetLogEventsCommand({ logGroupName: view.logGroup, logStreamName: view.logStream, limit: 20, nextToken: tail.nextBackwardToken })
    )
    expect(back.events?.map(e => e.message)).toEqual(
      taskLineTexts(50)
        .slice(10, 30)
        .map(l => `${l}\n`)
    )
  })

  test('events are returned only once readable (timestamp + ingestion delay); late-ingested last lines', async () => {
    const env = await setup({
      projects: [
        project('p', {
          builds: [presets.lateTail({ lines: 40, everyMs: 10, ingestionDelayMs: 120, tailLines: 2, tailDelayMs: 600, taskOnly: true })]
        })
      ]
    })
    const { id } = (await env.cb.send(new StartBuildCommand({ projectName: 'p' }))).build as { id: string }
    const view = env.s.build(id) as BuildView
    const events = view.allEvents()
    expect(events).toHaveLength(40)
    for (const e of events.slice(0, 38)) expect(e.readableAtEpochMs - e.timestamp).toBeGreaterThanOrEqual(120)
    expect(
      (events[39] as (typeof events)[number]).readableAtEpochMs - (events[39] as (typeof events)[number]).timestamp
    ).toBeGreaterThanOrEqual(600)
    // the last lines become readable after the build ended
    expect((events[39] as (typeof events)[number]).readableAt).toBeGreaterThan(view.endsAt)

    await env.s.waitFor(() => view.streamExists)
    let token: string | undefined
    const seen: string[] = []
    while (seen.length < 40) {
      const p = await env.logs.send(
        new GetLogEventsCommand({ logGroupName: view.logGroup, logStreamName: view.logStream, startFromHead: true, nextToken: token })
      )
      const call = env.s.callsOf('GetLogEvents').at(-1)
      if (!call) throw new Error('no call recorded')
      // every event returned was readable when the request was answered; none readable at arrival was held back
      const readableAtAnswer = events.filter(e => e.readableAt <= call.answeredAt).length
      const readableAtArrival = events.filter(e => e.readableAt <= call.at).length
      for (const e of p.events ?? []) {
        expect(env.s.fromEpoch(e.ingestionTime as number)).toBeLessThanOrEqual(call.answeredAt + 1)
        expect(e.ingestionTime as number).toBeGreaterThanOrEqual((e.timestamp as number) + 120)
      }
      const total = seen.length + (p.events?.length ?? 0)
      expect(total).toBeLessThanOrEqual(readableAtAnswer)
      expect(total).toBeGreaterThanOrEqual(readableAtArrival)
      for (const e of p.events ?? []) seen.push((e.message ?? '').trimEnd())
      token = p.nextForwardToken
      await sleep(15)
    }
    expect(seen).toEqual(taskLineTexts(40))
  })

  test('logGroupIdentifier (ARN) works; invalid tokens and limits are InvalidParameterException', async () => {
    const env = await setup({ projects: [project('p', { builds: [presets.success({ lines: 3 })] })] })
    const { id } = (await env.cb.send(new StartBuildCommand({ projectName: 'p' }))).build as { id: string }
    const view = await env.s.waitForEnd(env.s.build(id) as BuildView)
    const byArn = await env.logs.send(
      new GetLogEventsCommand({
        logGroupIdentifier: 'arn:aws:logs:us-east-1:123456789012:log-group:/aws/codebuild/p:*',
        logStreamName: view.logStream,
        startFromHead: true
      })
    )
    expect(byArn.events?.length).toBe(view.events().length)
    const badToken = await errorOf(
      env.logs.send(new GetLogEventsCommand({ logGroupName: view.logGroup, logStreamName: view.logStream, nextToken: 'garbage' }))
    )
    expect(badToken.name).toBe('InvalidParameterException')
    const badLimit = await errorOf(
      env.logs.send(new GetLogEventsCommand({ logGroupName: view.logGroup, logStreamName: view.logStream, limit: 10_001 }))
    )
    expect(badLimit.name).toBe('InvalidParameterException')
  })
})

describe('faults', () => {
  test('sequenced faults are parsed by the SDK with the right names and statuses; a reset is a network error', async () => {
    const env = await setup({
      projects: [project('p')],
      faults: { BatchGetProjects: { sequence: ['throttle', 'internal', 'unavailable', 'reset', 'ok'] } }
    })
    const send = (): Promise<unknown> => env.cb.send(new BatchGetProjectsCommand({ names: ['p'] }))
    const throttled = await errorOf(send())
    expect(throttled.name).toBe('ThrottlingException')
    expect(throttled.message).toBe('Rate exceeded')
    expect(throttled.$metadata?.httpStatusCode).toBe(400)
    const internal = await errorOf(send())
    expect(internal.name).toBe('InternalFailure')
    expect(internal.$metadata?.httpStatusCode).toBe(500)
    const unavailable = await errorOf(send())
    expect(unavailable.name).toBe('ServiceUnavailableException')
    expect(unavailable.$metadata?.httpStatusCode).toBe(503)
    const reset = await errorOf(send())
    expect(reset.$metadata?.httpStatusCode).toBeUndefined()
    expect(`${reset.name} ${reset.message} ${reset.code ?? ''}`).toMatch(/ECONNRESET|socket hang up|EPIPE/)
    await expect(send()).resolves.toBeDefined()
    expect(env.s.callsOf('BatchGetProjects').map(c => [c.status, c.errorType, c.injected])).toEqual([
      [400, 'ThrottlingException', 'throttle'],
      [500, 'InternalFailure', 'internal'],
      [503, 'ServiceUnavailableException', 'unavailable'],
      [0, undefined, 'reset'],
      [200, undefined, undefined]
    ])
  })

  test('GetLogEvents throttling is a ThrottlingException for the Logs client too', async () => {
    const env = await setup({ projects: [project('p')], faults: { GetLogEvents: { sequence: ['throttle'] } } })
    const err = await errorOf(env.logs.send(new GetLogEventsCommand({ logGroupName: 'g', logStreamName: 's' })))
    expect(err.name).toBe('ThrottlingException')
    expect(err.$metadata?.httpStatusCode).toBe(400)
  })

  test('fractions are drawn from the seed: the same seed gives the same outcomes; latency is added', async () => {
    const plan: FaultPlan = { '*': { throttle: 0.3, internal: 0.1, reset: 0.1 }, BatchGetProjects: { latencyMs: [5, 15] } }
    const outcomes: string[][] = []
    for (const seed of [7, 7, 8]) {
      const s = await startStandIn({ projects: [project('p')], seed, faults: plan, timeScale: TIME_SCALE })
      try {
        for (let i = 0; i < 40; i++) await rawCall(s, 'CodeBuild_20161006.BatchGetProjects', { names: ['p'] })
        outcomes.push(s.calls.map(c => `${c.status}${c.errorType ?? ''}`))
        const slow = s.calls.filter(c => c.status !== 0).every(c => c.answeredAt - c.at >= 4)
        expect(slow).toBe(true)
      } finally {
        await s.close()
      }
    }
    expect(outcomes[0]).toEqual(outcomes[1])
    expect(outcomes[0]).not.toEqual(outcomes[2])
    const kinds = new Set(outcomes[0])
    expect(kinds.has('400ThrottlingException')).toBe(true)
    expect(kinds.has('200')).toBe(true)
    expect(kinds.has('0')).toBe(true)
  })
})

describe('wire details', () => {
  test('responses carry the JSON 1.1 content type, a request id and x-amzn-ErrorType on errors; calls are recorded', async () => {
    const env = await setup({ projects: [project('p')] })
    const ok = await rawCall(env.s, 'CodeBuild_20161006.BatchGetProjects', { names: ['p'] })
    expect(ok.status).toBe(200)
    expect(ok.headers['content-type']).toBe('application/x-amz-json-1.1')
    expect(ok.headers['x-amzn-requestid']).toMatch(/^[0-9a-f-]{36}$/)
    const bad = await rawCall(env.s, 'Logs_20140328.GetLogEvents', { logGroupName: 'x', logStreamName: 'y' })
    expect(bad.status).toBe(400)
    expect(bad.headers['x-amzn-errortype']).toBe('ResourceNotFoundException')
    expect(JSON.parse(bad.body)).toEqual({ __type: 'ResourceNotFoundException', message: 'The specified log group does not exist.' })
    const unknown = await rawCall(env.s, 'Logs_20140328.PutLogEvents', {})
    expect((JSON.parse(unknown.body) as { __type: string }).__type).toBe('UnknownOperationException')
    const noAuth = await rawCall(env.s, 'CodeBuild_20161006.BatchGetProjects', { names: ['p'] }, false)
    expect((JSON.parse(noAuth.body) as { __type: string }).__type).toBe('MissingAuthenticationTokenException')

    await env.cb.send(new BatchGetProjectsCommand({ names: ['p'] }))
    const sdkCall = env.s.calls.at(-1)
    expect(sdkCall).toMatchObject({
      service: 'codebuild',
      operation: 'BatchGetProjects',
      request: { names: ['p'] },
      status: 200,
      accessKeyId: 'AKIDTEST',
      signedRegion: 'us-east-1',
      signedService: 'codebuild'
    })
    expect(env.s.calls.map(c => c.seq)).toEqual([0, 1, 2, 3, 4])
    expect(Math.abs(env.s.fromPerformanceNow(performance.now()) - env.s.now())).toBeLessThan(5)
  })
})

describe('child process', () => {
  test('a child process with only the stand-in env reaches it through AWS_ENDPOINT_URL', async () => {
    const env = await setup({ projects: [project('p', { builds: [presets.success({ lines: 2, taskOnly: true })] })] })
    const { id } = (await env.cb.send(new StartBuildCommand({ projectName: 'p' }))).build as { id: string }
    const view = await env.s.waitForEnd(env.s.build(id) as BuildView)
    const script = `
      import { CodeBuildClient, BatchGetBuildsCommand } from '@aws-sdk/client-codebuild'
      import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs'
      const cb = new CodeBuildClient({ maxAttempts: 1 })
      const logs = new CloudWatchLogsClient({ maxAttempts: 1 })
      const b = await cb.send(new BatchGetBuildsCommand({ ids: [${JSON.stringify(id)}] }))
      const l = await logs.send(new GetLogEventsCommand({ logGroupName: b.builds[0].logs.groupName, logStreamName: b.builds[0].logs.streamName, startFromHead: true }))
      console.log(JSON.stringify({ status: b.builds[0].buildStatus, lines: l.events.map((e) => e.message) }))
    `
    const childEnv: NodeJS.ProcessEnv = { PATH: process.env['PATH'], HOME: '/nonexistent', ...env.s.env }
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--input-type=module', '-e', script],
        { env: childEnv, cwd: process.cwd(), timeout: 20_000 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout))
      )
    })
    expect(JSON.parse(out)).toEqual({ status: 'SUCCEEDED', lines: [`${taskLine(0)}\n`, `${taskLine(1)}\n`] })
    expect(env.s.calls.filter(c => c.signedRegion === 'us-east-1').length).toBe(env.s.calls.length)
    expect(view.status).toBe('SUCCEEDED')
  })
})

describe('realistic paging (the default)', () => {
  const realistic = { logs: {} }

  test('partial pages of 250-300 events while more is readable; every line once, in order', async () => {
    const env = await setup({ ...realistic, projects: [project('p', { builds: [presets.burst({ count: 3_000, taskOnly: true })] })] })
    const { id } = (await env.cb.send(new StartBuildCommand({ projectName: 'p' }))).build as { id: string }
    const view = await env.s.waitForEnd(env.s.build(id) as BuildView)
    await env.s.waitFor(() => env.s.now() > (view.allEvents().at(-1)?.readableAt ?? Infinity))
    const sizes: number[] = []
    const lines = await readAll(env, view, { onPage: p => sizes.push(p.events?.length ?? 0) })
    expect(lines).toEqual(taskLineTexts(3_000).map(l => `${l}\n`))
    const full = sizes.slice(0, -2)
    expect(full.length).toBeGreaterThanOrEqual(10)
    for (const n of full) expect(n).toBeGreaterThanOrEqual(250)
    for (const n of full) expect(n).toBeLessThanOrEqual(300)
    expect(new Set(full).size).toBeGreaterThan(3)
  })

  test('at the live end each empty page has a new token that goes on from the same place; endTime past the end gives the same token', async () => {
    // The three reads at the live end must come before 'second': 2 s of real time apart even on a loaded machine.
    const env = await setup({
      ...realistic,
      timeScale: 2,
      projects: [project('p', { builds: [presets.success({ output: ['first', { atMs: 4_000, text: 'second' }], taskOnly: true })] })]
    })
    const { id } = (await env.cb.send(new StartBuildCommand({ projectName: 'p' }))).build as { id: string }
    const view = env.s.build(id) as BuildView
    await env.s.waitFor(() => view.readableEvents().length > 0)
    const req = { logGroupName: view.logGroup, logStreamName: view.logStream, startFromHead: true }
    const first = await env.logs.send(new GetLogEventsCommand(req))
    expect(first.events?.map(e => e.message)).toEqual(['first\n'])
    const tokens = [first.nextForwardToken]
    for (let i = 0; i < 3; i++) {
      const p = await env.logs.send(new GetLogEventsCommand({ ...req, nextToken: tokens.at(-1) }))
      expect(p.events).toEqual([])
      tokens.push(p.nextForwardToken)
    }
    expect(new Set(tokens).size).toBe(4)
    await env.s.waitForEnd(view)
    await env.s.waitFor(() => env.s.now() > (view.allEvents().at(-1)?.readableAt ?? Infinity))
    const later = await env.logs.send(new GetLogEventsCommand({ ...req, nextToken: tokens.at(-1) }))
    expect(later.events?.map(e => e.message)).toEqual(['second\n'])
    const endTime = (view.allEvents().at(-1)?.timestamp ?? 0) + 5_000
    const end = await env.logs.send(new GetLogEventsCommand({ ...req, nextToken: later.nextForwardToken, endTime }))
    expect(end.events).toEqual([])
    expect(end.nextForwardToken).toBe(later.nextForwardToken)
    const noEnd = await env.logs.send(new GetLogEventsCommand({ ...req, nextToken: later.nextForwardToken }))
    expect(noEnd.nextForwardToken).not.toBe(later.nextForwardToken)
  })

  test('ingestion delay by default: 0.3-1.5 s after the timestamp, varying', async () => {
    const env = await setup({
      ...realistic,
      projects: [project('p', { builds: [presets.success({ lines: 100, everyMs: 20, taskOnly: true })] })]
    })
    const { id } = (await env.cb.send(new StartBuildCommand({ projectName: 'p' }))).build as { id: string }
    const view = env.s.build(id) as BuildView
    const delays = view.allEvents().map(e => e.readableAt - env.s.fromEpoch(e.timestamp))
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(300)
    expect(Math.max(...delays)).toBeLessThanOrEqual(1_500 + 1)
    expect(new Set(delays.map(d => Math.round(d / 100))).size).toBeGreaterThan(3)
  })
})

describe('unit: LogStore pages', () => {
  test('forward paging never skips nor repeats while events become readable', () => {
    const store = new LogStore()
    const n = 2_000
    for (let i = 0; i < n; i++) store.append(1_000 + i, `e${i}\n`, (i * 37) % 50, 1_000)
    let token: ReturnType<typeof parseToken>
    const seen: string[] = []
    for (let now = 1_000; seen.length < n; now += 7) {
      const page = store.page({ token, startFromHead: true, limit: 13, now })
      for (let i = page.first; i < page.end; i++) {
        expect(store.readable[i] as number).toBeLessThanOrEqual(now)
        seen.push(store.messages[i] as string)
      }
      token = parseToken(page.nextForwardToken)
    }
    expect(seen).toEqual(Array.from({ length: n }, (_, i) => `e${i}\n`))
  })
})

describe('realistic scenario', () => {
  test('the demo scenario runs to SUCCEEDED with docker pull layers and applied migrations', async () => {
    const opts = realisticMigrationScenario({ timeScale: 0.05 })
    const env = await setup(opts)
    const { id } = (await env.cb.send(new StartBuildCommand({ projectName: 'db-migrate' }))).build as { id: string }
    const view = await env.s.waitForEnd(env.s.build(id) as BuildView)
    expect(view.status).toBe('SUCCEEDED')
    const out = view.outputLines()
    expect(out).toContain('Login Succeeded')
    expect(out.some(l => /: Pull complete$/.test(l))).toBe(true)
    expect(out.filter(l => / migrated \(/.test(l))).toHaveLength(6)
    expect(out.at(-1)).toBe('migrate: done, 6 migrations applied')
  })
})

// ---------------------------------------------------------------------------------------------------------------

/** A raw HTTP call (SigV4-looking header unless `auth` is false). */
function rawCall(
  s: StandIn,
  target: string,
  body: unknown,
  auth = true
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise(resolve => {
    const data = JSON.stringify(body)
    const headers: Record<string, string> = {
      'Content-Type': 'application/x-amz-json-1.1',
      'X-Amz-Target': target,
      'Content-Length': String(Buffer.byteLength(data))
    }
    if (auth) {
      headers['Authorization'] =
        'AWS4-HMAC-SHA256 Credential=AKIDTEST/20261125/us-east-1/codebuild/aws4_request, SignedHeaders=host, Signature=0'
    }
    const req = http.request(`${s.endpoint}/`, { method: 'POST', headers, agent: false }, res => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', () => resolve({ status: 0, headers: {}, body: '' }))
    })
    req.on('error', () => resolve({ status: 0, headers: {}, body: '' }))
    req.end(data)
  })
}

describe('exported variables', () => {
  const BUILDSPEC = [
    'version: 0.2',
    'env:',
    '  exported-variables:',
    '    - TASK_OUTPUTS',
    'phases:',
    '  pre_build:',
    '    commands:',
    '      - docker pull app',
    '  build:',
    '    commands:',
    '      - docker run app',
    '  post_build:',
    '    commands:',
    '      - export TASK_OUTPUTS=…',
    ''
  ].join('\n')
  const carrier = { command: /export TASK_OUTPUTS/, exports: { TASK_OUTPUTS: 'YT0xCg==', UNDECLARED: 'x' } }

  test('are returned once the build is complete, after post_build (a failed build included), declared ones only', async () => {
    const env = await setup({
      projects: [
        project('p', {
          buildspec: BUILDSPEC,
          builds: [presets.failure({ lines: 2, taskMs: 3_000, postBuild: [carrier] }), presets.pullFailure({ postBuild: [carrier] })]
        })
      ]
    })
    const { id } = (await env.cb.send(new StartBuildCommand({ projectName: 'p' }))).build as { id: string }
    expect((await getBuild(env.cb, id)).exportedEnvironmentVariables).toBeUndefined()
    const view = await env.s.waitForEnd(env.s.build(id) as BuildView, { timeoutMs: 5000 })
    const ended = await getBuild(env.cb, id)
    expect(ended.buildStatus).toBe('FAILED')
    // Not in the answer that first shows the end: from DEFAULT_EXPORTED_VARIABLES_LAG_MS after it.
    expect(ended.exportedEnvironmentVariables).toBeUndefined()
    await env.s.waitFor(() => env.s.now() >= (view.endedAt as number) + DEFAULT_EXPORTED_VARIABLES_LAG_MS)
    expect((await getBuild(env.cb, id)).exportedEnvironmentVariables).toEqual([{ name: 'TASK_OUTPUTS', value: 'YT0xCg==' }])
    // A failure in PRE_BUILD skips post_build: nothing is exported.
    const second = (await env.cb.send(new StartBuildCommand({ projectName: 'p' }))).build as { id: string }
    await env.s.waitForEnd(env.s.build(second.id) as BuildView, { timeoutMs: 5000 })
    expect((await getBuild(env.cb, second.id)).exportedEnvironmentVariables).toBeUndefined()
  })

  test('with the end when the lag is 0; the bundled carrier that no script claims reports no outputs (!none)', async () => {
    const env = await setup({
      projects: [project('p', { buildspec: BUILDSPEC, builds: [presets.success({ lines: 2 })] })],
      exportedVariablesLagMs: 0
    })
    const { id } = (await env.cb.send(new StartBuildCommand({ projectName: 'p' }))).build as { id: string }
    await env.s.waitForEnd(env.s.build(id) as BuildView, { timeoutMs: 5000 })
    expect((await getBuild(env.cb, id)).exportedEnvironmentVariables).toEqual([{ name: 'TASK_OUTPUTS', value: '!none' }])
  })

  test('are none for a build stopped before post_build ended', async () => {
    const env = await setup({
      projects: [
        project('p', { buildspec: BUILDSPEC, builds: [presets.longRunning({ runMs: 10_000, everyMs: 20, postBuild: [carrier] })] })
      ],
      stopDelayMs: 50
    })
    const { id } = (await env.cb.send(new StartBuildCommand({ projectName: 'p' }))).build as { id: string }
    const view = env.s.build(id) as BuildView
    await env.s.waitFor(() => view.events().some(e => e.text === taskLine(1)))
    await env.cb.send(new StopBuildCommand({ id }))
    await env.s.waitForEnd(view, { timeoutMs: 5000 })
    const b = await getBuild(env.cb, id)
    expect(b.buildStatus).toBe('STOPPED')
    expect(b.exportedEnvironmentVariables).toBeUndefined()
  })
})
