/**
 * The hardening features end to end, through the bundle on Node 24 against the stand-in: cancellation (SIGINT,
 * SIGTERM, stop-on-cancel), the post step after a killed main step, throttling and transient faults (and a lost
 * StartBuild answer), log injection, secrets in env-vars, concurrent runs (if-running), preflight and dry run.
 */
import type { RecordedCall, StandIn } from '../standin/index.js'
import { presets, taskLine } from '../standin/index.js'
import { unitFor } from '../standin/prng.js'
import { POST } from '../fixtures/bundle.js'
import { errorsOf, readWorkflowLog, shown } from '../fixtures/workflow.js'
import type { StdoutLine } from '../fixtures/bundle.js'
import { PROJECT, envOf, logLines, run, standIn } from '../fixtures/e2e.js'
import type { E2ERun } from '../fixtures/e2e.js'

let s: StandIn | undefined
afterEach(async () => {
  await s?.close()
  s = undefined
})

const REGION = 'us-east-1'
const consoleBase = (id: string): string =>
  `https://${REGION}.console.aws.amazon.com/codesuite/codebuild/123456789012/projects/${PROJECT}/build/${encodeURIComponent(id)}`
const buildLink = (id: string): string => `${consoleBase(id)}/?region=${REGION}`
const logsLink = (id: string): string => `${consoleBase(id)}/log?region=${REGION}`

type EnvVar = { name: string; value: string; type?: string }
const overrides = (call: RecordedCall | undefined): EnvVar[] => (call?.request.environmentVariablesOverride ?? []) as EnvVar[]
/** Lines of stdout, exactly as written. */
const stdoutLines = (r: { stdout: string }): string[] => r.stdout.split('\n')

/** The lines the action streamed are the build's log from its start, each once, in order (a prefix when cut short). */
function expectStreamedPrefix(r: E2ERun, all: string[]): void {
  expect(r.streamed).toEqual(all.slice(0, r.streamed.length))
}

// ---------------------------------------------------------------------------------------------------------------
// 1. Cancellation
// ---------------------------------------------------------------------------------------------------------------

/** What main saves before StartBuild, so the post step can find a build whose start answer never came. */
const START_STATE = { 'project-name': 'app-migrations', 'start-token': expect.stringMatching(/^[0-9a-f]{40}$/) as unknown as string }

describe('cancellation by signal', () => {
  /**
   * Runs a long build and sends `signal` to the action when `trigger` matches a stdout line. Returns the run and
   * the moment the signal was sent, on the stand-in's clock.
   */
  async function cancelled(
    signal: NodeJS.Signals,
    trigger: (line: StdoutLine) => boolean,
    inputs: Record<string, string> = {}
  ): Promise<{ r: E2ERun; sentAt: number }> {
    s = await standIn([presets.longRunning({ everyMs: 50, runMs: 60_000 })])
    let sentAt: number | undefined
    const r = await run(s, inputs, {
      timeoutMs: 30_000,
      onLine: (line, child) => {
        if (sentAt !== undefined || !trigger(line)) return
        sentAt = performance.now()
        child.kill(signal)
      }
    })
    expect(sentAt).toBeDefined()
    return { r, sentAt: s.fromPerformanceNow(sentAt as number) }
  }

  const firstTaskLine = (line: StdoutLine): boolean => line.text === taskLine(0)
  const startedLine = (line: StdoutLine): boolean => line.text.startsWith('Started migrate build #')

  for (const [signal, when, trigger] of [
    ['SIGINT', 'the first task line', firstTaskLine],
    ['SIGTERM', 'the Started line', startedLine]
  ] as const) {
    it(`${signal} (sent on ${when}) stops the build within 2 s, reports STOPPED and exits 1`, async () => {
      const { r, sentAt } = await cancelled(signal, trigger)
      const st = s as StandIn
      const [build] = st.startedBuilds(PROJECT)
      const id = build?.id as string
      expect(r.signal).toBeNull()
      expect(r.code).toBe(1)
      expect(r.stderr).toBe('')
      // StopBuild for this build, promptly.
      const stops = st.callsOf('StopBuild')
      expect(stops.map(c => c.request.id)).toEqual([id])
      expect(stops[0]?.status).toBe(200)
      expect((stops[0]?.at as number) - sentAt).toBeGreaterThanOrEqual(0)
      expect((stops[0]?.at as number) - sentAt).toBeLessThan(2_000)
      expect(build?.stopRequestedAt).not.toBeNull()
      await st.waitForEnd(build as NonNullable<typeof build>)
      expect(build?.status).toBe('STOPPED')
      // What the step says, outputs and state.
      expect(stdoutLines(r)).toContain(`Received ${signal}: the workflow was cancelled or the step timed out. Stopping build ${id}…`)
      expect(errorsOf(r)).toEqual([`Stopped build ${id} because the workflow was cancelled.`])
      expect(r.outputs).toEqual({
        'build-id': id,
        'build-number': String(build?.buildNumber),
        'logs-url': logsLink(id),
        'build-status': 'STOPPED',
        'task-outputs': '{}'
      })
      expect(r.state).toEqual({ 'build-id': id, region: REGION, 'stop-on-cancel': 'true', ...START_STATE, settled: 'true' })
      // One StartBuild; the lines shown before the signal are the log's first lines, each once.
      expect(st.callsOf('StartBuild')).toHaveLength(1)
      expectStreamedPrefix(r, logLines(build))
      if (signal === 'SIGINT') expect(r.streamed).toContain(taskLine(0))
    })
  }

  it('with stop-on-cancel: false, leaves the build running and says so (no StopBuild)', async () => {
    const { r } = await cancelled('SIGINT', firstTaskLine, { 'stop-on-cancel': 'false' })
    const st = s as StandIn
    const [build] = st.startedBuilds(PROJECT)
    const id = build?.id as string
    expect(r.signal).toBeNull()
    expect(r.code).toBe(1)
    expect(st.callsOf('StopBuild')).toHaveLength(0)
    expect(build?.stopRequestedAt).toBeNull()
    expect(build?.status).toBe('IN_PROGRESS')
    expect(stdoutLines(r)).toContain(
      `Received SIGINT: the workflow was cancelled or the step timed out. Leaving build ${id} running (stop-on-cancel: false).`
    )
    expect(r.stdout).not.toContain('Stopping build')
    expect(errorsOf(r)).toEqual([
      `Stopped watching build ${id} because the workflow was cancelled; it goes on running (stop-on-cancel: false): ${buildLink(id)}`
    ])
    expect(r.outputs['build-status']).toBe('IN_PROGRESS')
    expect(r.outputs['build-id']).toBe(id)
    expect(r.state).toEqual({ 'build-id': id, region: REGION, 'stop-on-cancel': 'false', ...START_STATE, settled: 'true' })
    expectStreamedPrefix(r, logLines(build))
    expect(r.streamed).toContain(taskLine(0))
  })
})

// ---------------------------------------------------------------------------------------------------------------
// 2. The post step
// ---------------------------------------------------------------------------------------------------------------

describe('the post step', () => {
  /** A long build whose main step is SIGKILLed once the build has started (its id is in the state file by then). */
  async function killedMain(inputs: Record<string, string> = {}): Promise<E2ERun> {
    s = await standIn([presets.longRunning({ everyMs: 50, runMs: 60_000 })])
    const r = await run(s, inputs, {
      timeoutMs: 30_000,
      onLine: (line, child) => {
        if (line.text.startsWith('Started migrate build #')) child.kill('SIGKILL')
      }
    })
    expect(r.signal).toBe('SIGKILL')
    expect(s.callsOf('StopBuild')).toHaveLength(0)
    return r
  }

  it('stops the build a killed main step left running, and says so', async () => {
    const main = await killedMain()
    const st = s as StandIn
    const [build] = st.startedBuilds(PROJECT)
    const id = build?.id as string
    expect(main.state).toEqual({ 'build-id': id, region: REGION, 'stop-on-cancel': 'true', ...START_STATE })
    expect(build?.status).toBe('IN_PROGRESS')
    const before = st.calls.length
    const post = await run(st, {}, { entry: POST, state: main.state, timeoutMs: 30_000 })
    expect(post.code).toBe(0)
    expect(post.stderr).toBe('')
    const calls = st.calls.slice(before)
    expect(calls.map(c => [c.operation, c.status])).toEqual([
      ['BatchGetBuilds', 200],
      ['StopBuild', 200]
    ])
    expect(calls[0]?.request.ids).toEqual([id])
    expect(calls[1]?.request.id).toBe(id)
    expect(post.warnings).toEqual([`Stopped build ${id}: it was still running after the main step ended (cancelled or killed).`])
    expect(post.errors).toEqual([])
    await st.waitForEnd(build as NonNullable<typeof build>)
    expect(build?.status).toBe('STOPPED')
  })

  it('does nothing after a normal successful run (settled)', async () => {
    s = await standIn([presets.success({ lines: 10, everyMs: 5 })])
    const main = await run(s)
    expect(main.code).toBe(0)
    const [build] = s.startedBuilds(PROJECT)
    expect(main.state).toEqual({ 'build-id': build?.id, region: REGION, 'stop-on-cancel': 'true', ...START_STATE, settled: 'true' })
    const before = s.calls.length
    const post = await run(s, {}, { entry: POST, state: main.state })
    expect(post.code).toBe(0)
    expect(post.stdout).toBe('')
    expect(post.stderr).toBe('')
    expect(s.calls.slice(before)).toEqual([])
  })

  it('leaves the build running when main was killed with stop-on-cancel: false, and says so', async () => {
    const main = await killedMain({ 'stop-on-cancel': 'false' })
    const st = s as StandIn
    const [build] = st.startedBuilds(PROJECT)
    const id = build?.id as string
    expect(main.state).toEqual({ 'build-id': id, region: REGION, 'stop-on-cancel': 'false', ...START_STATE })
    const before = st.calls.length
    const post = await run(st, { 'stop-on-cancel': 'false' }, { entry: POST, state: main.state })
    expect(post.code).toBe(0)
    expect(st.calls.slice(before)).toEqual([])
    expect(stdoutLines(post)).toContain(`Build ${id} may still be running; leaving it (stop-on-cancel: false).`)
    expect(post.errors).toEqual([])
    expect(build?.status).toBe('IN_PROGRESS')
  })
})

// ---------------------------------------------------------------------------------------------------------------
// 3. Throttling and transient faults
// ---------------------------------------------------------------------------------------------------------------

describe('throttling and transient faults', () => {
  /**
   * A seed whose fault draws (keyed by seed, operation and n-th call of it) let the first call of each operation
   * before the build through and hit the first log reads and a later status read: the faults then land while
   * lines are streamed, whatever the timing of the run.
   */
  function seedHittingTheLogReads(fraction: number): number {
    const hit = (seed: number, op: string, n: number): boolean => unitFor(seed, 'fault', op, n) < fraction
    for (let seed = 1; seed < 10_000; seed++) {
      const clearStart = ['BatchGetProjects', 'ListBuildsForProject', 'StartBuild', 'BatchGetBuilds'].every(op => !hit(seed, op, 0))
      // One fault on a status read, not a run of them: the CodeBuild client's adaptive retry mode slows every call
      // to one per 2 s after repeated throttles, which would only make the test longer.
      const oneStatusFault = hit(seed, 'BatchGetBuilds', 1) && !hit(seed, 'BatchGetBuilds', 2) && !hit(seed, 'BatchGetBuilds', 3)
      if (clearStart && oneStatusFault && hit(seed, 'GetLogEvents', 0) && hit(seed, 'GetLogEvents', 1)) return seed
    }
    throw new Error('no seed')
  }

  /** A longer build with steady output: 200 lines over about 3 s. */
  const steady = (): ReturnType<typeof presets.success> => presets.success({ lines: 200, everyMs: 15 })

  function expectCleanRun(r: E2ERun): void {
    const st = s as StandIn
    expect(r.code).toBe(0)
    expect(r.errors).toEqual([])
    const builds = st.startedBuilds(PROJECT)
    expect(builds).toHaveLength(1)
    const [build] = builds
    expect(build?.status).toBe('SUCCEEDED')
    expect(r.streamed).toEqual(logLines(build))
    expect(r.streamed.filter(l => l.startsWith('task line '))).toHaveLength(200)
    expect(r.outputs).toEqual({
      'build-id': build?.id,
      'build-number': String(build?.buildNumber),
      'logs-url': logsLink(build?.id as string),
      'build-status': 'SUCCEEDED',
      'task-exit-code': '0',
      'task-outputs': '{}'
    })
    expect(st.callsOf('StopBuild')).toHaveLength(0)
  }

  it('a third of all calls throttled: succeeds with every line once, in order', async () => {
    s = await standIn([steady()], { seed: seedHittingTheLogReads(0.34), faults: { '*': { throttle: 0.34 } } })
    const r = await run(s, {}, { timeoutMs: 60_000 })
    expectCleanRun(r)
    const throttled = s.calls.filter(c => c.injected === 'throttle')
    expect(throttled.length).toBeGreaterThan(0)
    expect(new Set(throttled.map(c => c.operation)).size).toBeGreaterThan(1)
    expect(s.callsOf('GetLogEvents').filter(c => c.injected === 'throttle').length).toBeGreaterThanOrEqual(2)
  })

  it('500s and 503s on a share of calls: succeeds with every line once, in order', async () => {
    s = await standIn([steady()], { seed: seedHittingTheLogReads(0.3), faults: { '*': { internal: 0.2, unavailable: 0.1 } } })
    const r = await run(s, {}, { timeoutMs: 60_000 })
    expectCleanRun(r)
    const injected = s.calls.filter(c => c.injected === 'internal' || c.injected === 'unavailable')
    expect(injected.length).toBeGreaterThan(0)
    expect(injected.every(c => c.status >= 500)).toBe(true)
    expect(s.callsOf('GetLogEvents').filter(c => c.injected !== undefined).length).toBeGreaterThanOrEqual(2)
  })

  it('StartBuild processed but its answer lost: the retry carries the same idempotency token, one build starts', async () => {
    s = await standIn([presets.success({ lines: 20, everyMs: 5 })], { faults: { StartBuild: { sequence: ['lost'] } } })
    const r = await run(s)
    expect(r.code).toBe(0)
    const starts = s.callsOf('StartBuild')
    expect(starts.map(c => [c.status, c.injected])).toEqual([
      [200, 'lost'],
      [200, undefined]
    ])
    const token = starts[0]?.request.idempotencyToken
    expect(typeof token).toBe('string')
    expect(token).toMatch(/^[0-9a-f]{40}$/)
    expect(starts[1]?.request.idempotencyToken).toBe(token)
    expect(starts[1]?.request).toEqual(starts[0]?.request)
    const builds = s.startedBuilds(PROJECT)
    expect(builds).toHaveLength(1)
    const [build] = builds
    expect(r.outputs['build-id']).toBe(build?.id)
    expect(r.outputs['build-status']).toBe('SUCCEEDED')
    expect(r.streamed).toEqual(logLines(build))
    expect(r.stdout.split(`Started migrate build #`).length - 1).toBe(1)
  })
})

// ---------------------------------------------------------------------------------------------------------------
// 4. Log injection
// ---------------------------------------------------------------------------------------------------------------

describe('log injection', () => {
  const HOSTILE = [
    '::error::pwned',
    '::warning::pwned',
    '::add-mask::hunter2',
    '::set-output name=build-status::SUCCEEDED',
    '::set-env name=X::1',
    '::stop-commands::abc',
    '::abc::',
    '::group::fake',
    '::endgroup::',
    '##[error]pwned',
    '##[add-mask]x',
    '::debug::x',
    '  ::error::indented',
    '::cbvta-0000::'
  ]

  it('build output that looks like workflow commands is shown as text, each line once, in order', async () => {
    // The build fails after the hostile lines, so the real build-status differs from the injected one.
    s = await standIn([presets.failure({ output: ['before', ...HOSTILE, 'after'] })])
    const r = await run(s)
    expect(r.code).toBe(1)
    const [build] = s.startedBuilds(PROJECT)
    const id = build?.id as string
    // Every line of the build's log is shown once, in order, inside stop-commands spans.
    expect(r.streamed).toEqual(logLines(build))
    const log = readWorkflowLog(r.stdout)
    const positions = HOSTILE.map(line => log.text.indexOf(line))
    for (const [i, line] of HOSTILE.entries()) {
      expect(log.text.filter(t => t === line)).toEqual([line])
      expect(log.guarded.filter(t => t === line)).toEqual([line])
      if (i > 0) expect(positions[i]).toBeGreaterThan(positions[i - 1] as number)
    }
    expect(log.text.indexOf('before')).toBeLessThan(positions[0] as number)
    expect(log.text.indexOf('after')).toBeGreaterThan(positions.at(-1) as number)
    // The only commands are the action's own: groups, stop-commands spans and its own errors.
    expect(new Set(log.commands.map(c => c.command))).toEqual(new Set(['group', 'endgroup', 'stop-commands', 'error']))
    const tokens = log.commands.filter(c => c.command === 'stop-commands').map(c => c.message)
    for (const token of tokens) expect(token).toMatch(/^cbvta-[0-9a-f]{32}$/)
    expect(new Set(tokens).size).toBe(tokens.length)
    // The failure's annotation quotes the task's last lines as its own text (one escaped line, no command);
    // no other command carries anything of the build's output.
    const [failure, ...rest] = log.commands.filter(c => c.command === 'error')
    expect(
      shown(failure?.message ?? '')
        .split('\n')
        .slice(-6)
    ).toEqual(['Last lines of the output:', '##[add-mask]x', '::debug::x', '  ::error::indented', '::cbvta-0000::', 'after'])
    for (const c of [...log.commands.filter(c => c.command !== 'error'), ...rest])
      expect(`${c.properties} ${c.message}`).not.toMatch(/pwned|hunter2|indented|fake|name=X/)
    expect(r.errors).toHaveLength(2)
    expect(r.errors[0]).toMatch(/^title=migrate FAILED in phase BUILD::Build /)
    expect(r.errors[1]).toMatch(/^::migrate FAILED: see the errors above/)
    expect(r.warnings).toEqual([])
    const groups = log.commands.filter(c => c.command === 'group').map(c => c.message)
    expect(groups.length).toBeGreaterThan(0)
    for (const g of groups) expect(g).toMatch(/^CodeBuild: /)
    expect(log.commands.filter(c => c.command === 'endgroup')).toHaveLength(groups.length)
    // The outputs are the real ones.
    expect(r.outputs).toEqual({
      'build-id': id,
      'build-number': String(build?.buildNumber),
      'logs-url': logsLink(id),
      'build-status': 'FAILED',
      'task-exit-code': '1',
      'task-outputs': '{}'
    })
  })
})

// ---------------------------------------------------------------------------------------------------------------
// 5. Secrets in env-vars
// ---------------------------------------------------------------------------------------------------------------

describe('secret-looking env-vars', () => {
  const SECRETS: Array<[string, string]> = [
    ['DB_PASSWORD', 'hunter2-secret'],
    ['API_TOKEN', 'tok-123'],
    ['REPLICA_URL', 'postgres://admin:pw-999@db:5432/app']
  ]
  /** What is registered with the runner: each value, and the password of the URL on its own. */
  const MASKS = [...SECRETS.map(([, v]) => v), 'pw-999']
  const ENV_VARS = [...SECRETS.map(([n, v]) => `${n}=${v}`), 'LOG_LEVEL=debug'].join('\n')
  const warning = (name: string): string =>
    `env-vars: ${name} looks like a secret. Its value is masked here, but it is sent as PLAINTEXT and shown in the CodeBuild console: move it to secret-env-vars (Secrets Manager) or parameter-env-vars.`

  function expectMaskedEverywhere(r: E2ERun): void {
    expect(r.commands.filter(c => c.command === 'add-mask').map(c => c.message)).toEqual(MASKS)
    expect(r.warnings).toEqual(SECRETS.map(([n]) => warning(n)))
    for (const [, value] of SECRETS) {
      expect(stdoutLines(r).filter(l => l.includes(value))).toEqual([`::add-mask::${value}`])
      expect(r.stderr).not.toContain(value)
      expect(r.summary).not.toContain(value)
      expect(JSON.stringify([r.outputs, r.state])).not.toContain(value)
    }
    // Nor a part of the URL's credentials.
    expect(stdoutLines(r).filter(l => l.includes('pw-999'))).toEqual([`::add-mask::${SECRETS[2]?.[1]}`, '::add-mask::pw-999'])
    expect(r.summary).not.toContain('pw-999')
    expect(r.summary).not.toContain('hunter2')
  }

  it('masks each secret value, warns once per variable, and shows the value nowhere else', async () => {
    s = await standIn([presets.success({ lines: 10, everyMs: 5 })])
    const r = await run(s, { 'env-vars': ENV_VARS })
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    expectMaskedEverywhere(r)
    // Each value is masked first thing, before anything else is printed.
    expect(stdoutLines(r).slice(0, MASKS.length + SECRETS.length)).toEqual([
      ...MASKS.map(v => `::add-mask::${v}`),
      ...SECRETS.map(([n]) => `::warning::${warning(n)}`)
    ])
    // Sent as PLAINTEXT, as documented, under the names they travel with to the container.
    const [start] = s.callsOf('StartBuild')
    const env = envOf(start)
    for (const [name, value] of [...SECRETS, ['LOG_LEVEL', 'debug'] as [string, string]]) {
      expect(env[`CBVT_VAR_${name}`]).toBe(value)
      expect(overrides(start).find(v => v.name === `CBVT_VAR_${name}`)?.type).toBe('PLAINTEXT')
    }
    expect(env.TASK_ENV_NAMES).toBe('DB_PASSWORD API_TOKEN REPLICA_URL LOG_LEVEL')
    expect(r.outputs['build-status']).toBe('SUCCEEDED')
  })

  it('in a dry run too: the printed request shows *** for them', async () => {
    s = await standIn([])
    const r = await run(s, { 'env-vars': ENV_VARS, 'dry-run': 'true' })
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    expectMaskedEverywhere(r)
    const request = dryRunRequest(r)
    const env = Object.fromEntries(((request.environmentVariablesOverride ?? []) as EnvVar[]).map(v => [v.name, v.value]))
    expect(env).toMatchObject({
      CBVT_VAR_DB_PASSWORD: '***',
      CBVT_VAR_API_TOKEN: '***',
      CBVT_VAR_REPLICA_URL: '***',
      CBVT_VAR_LOG_LEVEL: 'debug'
    })
    expect(summaryRequest(r)).toEqual(request)
    expect(s.callsOf('StartBuild')).toHaveLength(0)
  })
})

// ---------------------------------------------------------------------------------------------------------------
// 6. Concurrent runs (if-running)
// ---------------------------------------------------------------------------------------------------------------

describe('another build of the project in progress', () => {
  /** A project with a build that was started a minute ago and runs until something ends it. */
  async function busyProject(): Promise<{ other: ReturnType<StandIn['buildsOf']>[number] }> {
    s = await standIn([presets.success({ lines: 10, everyMs: 5 })], {}, { running: [{ startedAgoMs: 60_000 }] })
    const [other] = s.buildsOf(PROJECT)
    expect(other?.status).toBe('IN_PROGRESS')
    return { other: other as NonNullable<typeof other> }
  }
  const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  /** How the action names the other build: number, id, how long it has been running (about a minute), link. */
  const otherBuild = (id: string): string => `build #1 ${escape(id)} \\(in progress for 1m \\d+s, ${escape(buildLink(id))}\\)`

  it('if-running: wait waits for it to finish (naming it), then starts', async () => {
    const { other } = await busyProject()
    const st = s as StandIn
    let endedBy: number | undefined
    const r = await run(
      st,
      { 'if-running': 'wait' },
      {
        onLine: line => {
          // The other build ends shortly after the action has said it waits for it.
          if (endedBy === undefined && line.text.startsWith('Waiting for another build')) {
            other.stop()
            endedBy = other.endsAt
          }
        }
      }
    )
    expect(r.code).toBe(0)
    expect(endedBy).toBeDefined()
    const waiting = stdoutLines(r).filter(l => l.startsWith('Waiting for another build'))
    expect(waiting).toHaveLength(1)
    expect(waiting[0]).toMatch(new RegExp(`^Waiting for another build of ${PROJECT} to finish: ${otherBuild(other.id)}\\.$`))
    const starts = st.callsOf('StartBuild')
    expect(starts).toHaveLength(1)
    expect(starts[0]?.at).toBeGreaterThanOrEqual(other.endsAt)
    expect(other.status).toBe('STOPPED')
    // It looked again after the other build ended before starting.
    const lists = st.callsOf('ListBuildsForProject')
    expect(lists.length).toBeGreaterThanOrEqual(2)
    expect(lists.at(-1)?.at).toBeGreaterThanOrEqual(other.endsAt)
    const [mine] = st.startedBuilds(PROJECT)
    expect(r.outputs['build-id']).toBe(mine?.id)
    expect(r.outputs['build-status']).toBe('SUCCEEDED')
    expect(r.streamed).toEqual(logLines(mine))
  })

  it('a cancellation while waiting starts nothing and stops nothing (the other build is not ours)', async () => {
    const { other } = await busyProject()
    const st = s as StandIn
    let sentAt: number | undefined
    const r = await run(
      st,
      { 'if-running': 'wait' },
      {
        onLine: (line, child) => {
          if (sentAt === undefined && line.text.startsWith('Waiting for another build')) {
            sentAt = performance.now()
            child.kill('SIGINT')
          }
        }
      }
    )
    expect(sentAt).toBeDefined()
    expect(r.code).toBe(1)
    // It was sleeping between two looks: the signal ends that sleep at once.
    expect(st.fromPerformanceNow(r.exitedAt) - st.fromPerformanceNow(sentAt as number)).toBeLessThan(5_000)
    expect(stdoutLines(r)).toContain('Received SIGINT: the workflow was cancelled or the step timed out.')
    expect(errorsOf(r)).toEqual(['Cancelled before a build was started.'])
    expect(st.callsOf('StartBuild')).toHaveLength(0)
    expect(st.callsOf('StopBuild')).toHaveLength(0)
    expect(other.status).toBe('IN_PROGRESS')
    expect(other.stopRequestedAt).toBeNull()
    expect(r.outputs).toEqual({})
    expect(r.state).toEqual({})
    // Nor does the post step.
    const before = st.calls.length
    const post = await run(st, {}, { entry: POST, state: r.state })
    expect(post.code).toBe(0)
    expect(post.stdout).toBe('')
    expect(st.calls.slice(before)).toEqual([])
  })

  it('if-running: fail exits 1 naming the running build and its link, and starts nothing', async () => {
    const { other } = await busyProject()
    const st = s as StandIn
    const r = await run(st, { 'if-running': 'fail' })
    expect(r.code).toBe(1)
    expect(errorsOf(r)).toHaveLength(1)
    expect(errorsOf(r)[0]).toMatch(
      new RegExp(`^Another build of ${PROJECT} is in progress: ${otherBuild(other.id)}\\. Not starting \\(if-running: fail\\)\\.$`)
    )
    expect(st.callsOf('StartBuild')).toHaveLength(0)
    expect(st.callsOf('ListBuildsForProject')).toHaveLength(1)
    expect(r.outputs).toEqual({})
    expect(r.state).toEqual({})
    expect(other.status).toBe('IN_PROGRESS')
  })

  it('if-running: start starts at once with a notice', async () => {
    const { other } = await busyProject()
    const st = s as StandIn
    const r = await run(st, { 'if-running': 'start' })
    expect(r.code).toBe(0)
    const notice = new RegExp(
      `^Another build of ${PROJECT} is in progress: ${otherBuild(other.id)}\\. Starting anyway \\(if-running: start\\)\\.$`
    )
    expect(stdoutLines(r).filter(l => notice.test(l))).toHaveLength(1)
    const starts = st.callsOf('StartBuild')
    expect(starts).toHaveLength(1)
    expect(st.callsOf('ListBuildsForProject')).toHaveLength(1)
    // Started while the other one was (and still is) running.
    expect(other.status).toBe('IN_PROGRESS')
    expect(other.stopRequestedAt).toBeNull()
    const [mine] = st.startedBuilds(PROJECT)
    expect(r.outputs['build-id']).toBe(mine?.id)
    expect(r.outputs['build-status']).toBe('SUCCEEDED')
    expect(r.streamed).toEqual(logLines(mine))
  })
})

// ---------------------------------------------------------------------------------------------------------------
// 7. Preflight
// ---------------------------------------------------------------------------------------------------------------

const notFound = (project: string): string =>
  `CodeBuild project '${project}' was not found in region ${REGION}. Check project-name, region and the account of the credentials.`

describe('preflight', () => {
  it('an unknown project fails naming the project and region; nothing is started', async () => {
    s = await standIn([])
    const r = await run(s, { 'project-name': 'no-such-project' })
    expect(r.code).toBe(1)
    expect(errorsOf(r)).toEqual([notFound('no-such-project')])
    expect(s.callsOf('BatchGetProjects').map(c => c.request.names)).toEqual([['no-such-project']])
    expect(s.callsOf('StartBuild')).toHaveLength(0)
    expect(r.outputs).toEqual({})
  })

  it('a project outside any VPC and not privileged gets both warnings, and still runs', async () => {
    s = await standIn([presets.success({ lines: 10, everyMs: 5 })], {}, { vpcConfig: false, privilegedMode: false })
    const r = await run(s)
    expect(r.code).toBe(0)
    expect(r.warnings).toHaveLength(2)
    expect(r.warnings[0]).toMatch(new RegExp(`^Project '${PROJECT}' has no VPC configuration: `))
    expect(r.warnings[1]).toMatch(
      new RegExp(
        `^Project '${PROJECT}' is not privileged but the buildspec runs Docker: .*Cannot connect to the Docker daemon.*privilegedMode`
      )
    )
    expect(s.callsOf('BatchGetProjects')).toHaveLength(1)
    expect(s.callsOf('StartBuild')).toHaveLength(1)
    const [build] = s.startedBuilds(PROJECT)
    expect(r.outputs['build-status']).toBe('SUCCEEDED')
    expect(r.streamed).toEqual(logLines(build))
  })
})

// ---------------------------------------------------------------------------------------------------------------
// 8. Dry run
// ---------------------------------------------------------------------------------------------------------------

/** The JSON request a dry run prints after its "Dry run:" line. */
function dryRunRequest(r: E2ERun): Record<string, unknown> {
  // As the workflow log shows it: the request is printed with commands off, so it is plain text.
  const log = readWorkflowLog(r.stdout)
  const lines = log.text
  expect(log.guarded).toContain('{')
  const at = lines.findIndex(l => l.startsWith('Dry run: nothing is started. The StartBuild request that would be sent to '))
  expect(at).toBeGreaterThanOrEqual(0)
  expect(lines[at + 1]).toBe('{')
  const end = lines.indexOf('}', at + 1)
  expect(end).toBeGreaterThan(at)
  return JSON.parse(lines.slice(at + 1, end + 1).join('\n')) as Record<string, unknown>
}

/**
 * The request in the summary's JSON code block, as it renders: the block is HTML, so its text must be escaped (a raw
 * `<bundled buildspec …>` would be taken as a tag and vanish).
 */
function summaryRequest(r: E2ERun): unknown {
  const block = /<pre lang="json"><code>([\s\S]*?)<\/code><\/pre>/.exec(r.summary)?.[1]
  expect(block).toBeDefined()
  expect(block).not.toMatch(/[<>]/)
  const entities: Record<string, string> = { '&quot;': '"', '&lt;': '<', '&gt;': '>', '&amp;': '&' }
  const text = (block as string).replace(/&#(\d+);|&quot;|&lt;|&gt;|&amp;/g, (m, code: string | undefined) =>
    code ? String.fromCharCode(Number(code)) : (entities[m] as string)
  )
  return JSON.parse(text)
}

describe('dry run', () => {
  it('prints the request, writes it to the summary, does the preflight, starts nothing', async () => {
    s = await standIn([])
    const r = await run(s, { 'dry-run': 'true', 'env-vars': 'LOG_LEVEL=debug\nSESSION_SECRET=s3cr3t-value' })
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    const request = dryRunRequest(r)
    expect(request.projectName).toBe(PROJECT)
    expect(request.buildspecOverride).toMatch(/^<bundled buildspec buildspecs\/migrate\.yml, \d+ lines>$/)
    expect(request.idempotencyToken).toMatch(/^[0-9a-f]{40}$/)
    const env = Object.fromEntries(((request.environmentVariablesOverride ?? []) as EnvVar[]).map(v => [v.name, v.value]))
    expect(env).toMatchObject({
      TASK: 'migrate',
      RUN_MIGRATIONS: 'true',
      TASK_ENV_NAMES: 'LOG_LEVEL SESSION_SECRET',
      CBVT_VAR_LOG_LEVEL: 'debug',
      CBVT_VAR_SESSION_SECRET: '***'
    })
    expect(stdoutLines(r).filter(l => l.includes('s3cr3t-value'))).toEqual(['::add-mask::s3cr3t-value'])
    // Preflight done, nothing started.
    expect(s.callsOf('BatchGetProjects').map(c => c.request.names)).toEqual([[PROJECT]])
    expect(s.calls.map(c => c.operation)).toEqual(['BatchGetProjects'])
    expect(r.outputs).toEqual({})
    expect(r.state).toEqual({})
    // The summary holds the same request.
    expect(r.summary).toContain('DRY RUN')
    expect(summaryRequest(r)).toEqual(request)
    expect(r.summary).not.toContain('s3cr3t-value')
  })

  it('an unknown project still fails in a dry run', async () => {
    s = await standIn([])
    const r = await run(s, { 'project-name': 'no-such-project', 'dry-run': 'true' })
    expect(r.code).toBe(1)
    expect(errorsOf(r)).toEqual([notFound('no-such-project')])
    expect(s.calls.map(c => c.operation)).toEqual(['BatchGetProjects'])
    expect(stdoutLines(r).some(l => l.startsWith('Dry run:'))).toBe(false)
  })
})
