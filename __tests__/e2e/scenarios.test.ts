/**
 * End-to-end scenarios: the committed bundle, run as the runner runs it, against the CodeBuild / CloudWatch Logs
 * stand-in. Each scenario checks the exit code, the build log as streamed (every line once, in order), the outputs
 * and what was sent to AWS.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { BuildView, RecordedCall, StandIn } from '../standin/index.js'
import { bigLine, presets, taskLine, taskLineTexts } from '../standin/index.js'
import { IMAGE, PROJECT, envOf, logLines, run, sameClock, standIn } from '../fixtures/e2e.js'
import type { E2ERun } from '../fixtures/e2e.js'
import { POST, runAction } from '../fixtures/bundle.js'
import { ROOT } from '../fixtures/root.js'

let s: StandIn | undefined
afterEach(async () => {
  await s?.close()
  s = undefined
})

/** Starts this test's stand-in (closed in afterEach). */
async function stand(...args: Parameters<typeof standIn>): Promise<StandIn> {
  s = await standIn(...args)
  return s
}

function logsUrl(build: BuildView): string {
  return `https://us-east-1.console.aws.amazon.com/codesuite/codebuild/123456789012/projects/${PROJECT}/build/${encodeURIComponent(build.id)}/log?region=us-east-1`
}

/** The one build the run started, after checking that exactly one StartBuild reached CodeBuild's handler. */
function onlyBuild(st: StandIn): BuildView {
  const started = st.startedBuilds(PROJECT)
  expect(started).toHaveLength(1)
  return started[0] as BuildView
}

function expectOutputs(r: E2ERun, build: BuildView, status: string, taskExitCode = status === 'SUCCEEDED' ? '0' : undefined): void {
  expect(r.outputs).toEqual({
    'build-id': build.id,
    'build-number': String(build.buildNumber),
    'build-status': status,
    'logs-url': logsUrl(build),
    ...(taskExitCode !== undefined ? { 'task-exit-code': taskExitCode } : {}),
    // A build that ended (or was stopped) has its task outputs: none here.
    ...(status !== 'IN_PROGRESS' ? { 'task-outputs': '{}' } : {})
  })
}

/** A run that succeeded: exit 0, one build, its whole log streamed once and in order (with `taskLines` task lines), the outputs, no error. */
function expectSucceeded(r: E2ERun, st: StandIn, taskLines?: number): BuildView {
  expect(r.code).toBe(0)
  const build = onlyBuild(st)
  expect(r.streamed).toEqual(logLines(build))
  if (taskLines !== undefined) expect(r.streamed).toEqual(expect.arrayContaining(taskLineTexts(taskLines)))
  expectOutputs(r, build, 'SUCCEEDED')
  expect(r.errors).toEqual([])
  return build
}

/** One StartBuild, no StopBuild; returns the StartBuild call. */
function expectOneStart(st: StandIn): RecordedCall {
  expect(st.callsOf('StartBuild')).toHaveLength(1)
  expect(st.callsOf('StopBuild')).toHaveLength(0)
  return st.callsOf('StartBuild')[0] as RecordedCall
}

/**
 * A short build costs a handful of calls: the adaptive schedule does not hammer the APIs. Counted as its policy,
 * on the stand-in's clock: the polls that find nothing (empty pages) are at most two plus one per 450 ms of the
 * reads' span (0.5 s after the end, less its jitter), whatever the machine's load; a page with lines is followed at
 * once, and a loaded machine, slower to ask, sees more lines become readable between pages (about 12 reads on an
 * idle machine, 16 seen under load): those reads bring lines, and their total is capped at twice the idle count.
 */
function expectSmallBudget(st: StandIn): void {
  expect(st.callsOf('BatchGetBuilds').length).toBeLessThanOrEqual(8)
  const reads = st.callsOf('GetLogEvents')
  const span = (reads.at(-1)?.at ?? 0) - (reads[0]?.at ?? 0)
  expect(reads.filter(c => c.events === 0).length).toBeLessThanOrEqual(2 + Math.ceil(span / 450))
  expect(reads.length).toBeLessThanOrEqual(24)
}

describe('failing final statuses', () => {
  it('FAILED: the command exits 1; exit 1, error titled with the phase, every line streamed', async () => {
    const st = await stand([presets.failure({ lines: 20, everyMs: 5 })])
    const r = await run(st)
    expect(r.code).toBe(1)
    const build = onlyBuild(st)
    expect(r.streamed).toEqual(logLines(build))
    expect(r.streamed).toEqual(expect.arrayContaining(taskLineTexts(20)))
    expectOutputs(r, build, 'FAILED', '1')
    expect(r.errors[0]).toMatch(
      /^title=migrate FAILED in phase BUILD::Build .* ended FAILED in phase BUILD: COMMAND_EXECUTION_ERROR: .*exit status 1/
    )
    expect(r.errors.at(-1)).toMatch(/^::migrate FAILED: see the errors above/)
    expectOneStart(st)
    expectSmallBudget(st)
  })

  it('FAULT: a fault in BUILD; exit 1, build-status FAULT, error names BUILD and the message', async () => {
    const st = await stand([
      {
        ...presets.success({ lines: 10, everyMs: 5 }),
        fault: {
          phase: 'BUILD',
          status: 'FAULT',
          statusCode: 'INTERNAL_ERROR',
          message: 'Internal service error: the build container stopped unexpectedly'
        }
      }
    ])
    const r = await run(st)
    expect(r.code).toBe(1)
    const build = onlyBuild(st)
    expect(build.status).toBe('FAULT')
    expect(r.streamed).toEqual(logLines(build))
    expect(r.streamed).toEqual(expect.arrayContaining(taskLineTexts(10)))
    expectOutputs(r, build, 'FAULT')
    expect(r.errors[0]).toMatch(
      /^title=migrate FAULT in phase BUILD::Build .* ended FAULT in phase BUILD: INTERNAL_ERROR: Internal service error: the build container stopped unexpectedly(%0ALast lines of the output:%0A.*)?$/
    )
    expect(r.errors.at(-1)).toMatch(/^::migrate FAULT: see the errors above/)
    expectOneStart(st)
    expectSmallBudget(st)
  })

  it('TIMED_OUT: exit 1, build-status TIMED_OUT, error names the phase that timed out', async () => {
    const st = await stand([presets.timedOut({ timeoutAtMs: 500, everyMs: 20 })])
    const r = await run(st)
    expect(r.code).toBe(1)
    const build = onlyBuild(st)
    expect(build.status).toBe('TIMED_OUT')
    expect(r.streamed).toEqual(logLines(build))
    expect(r.streamed).toContain(taskLine(0))
    expectOutputs(r, build, 'TIMED_OUT')
    expect(r.errors[0]).toMatch(/^title=migrate TIMED_OUT in phase BUILD::Build .* ended TIMED_OUT in phase BUILD: BUILD_TIMED_OUT/)
    expect(r.errors.at(-1)).toMatch(/^::migrate TIMED_OUT: see the errors above/)
    expectOneStart(st)
  })

  it('STOPPED from outside once the first task line was streamed: exit 1, build-status STOPPED, no StopBuild sent by the action', async () => {
    const st = await stand([presets.longRunning({ runMs: 30_000, everyMs: 20 })])
    let stopped = false
    const r = await run(
      st,
      {},
      {
        onLine: line => {
          if (!stopped && line.text === taskLine(0)) {
            stopped = st.startedBuilds(PROJECT)[0]?.stop() ?? false
          }
        }
      }
    )
    expect(stopped).toBe(true)
    expect(r.code).toBe(1)
    const build = onlyBuild(st)
    expect(build.status).toBe('STOPPED')
    expect(r.streamed).toEqual(logLines(build))
    expect(r.streamed).toContain(taskLine(0))
    expectOutputs(r, build, 'STOPPED')
    expect(r.errors[0]).toMatch(/^title=migrate STOPPED in phase BUILD::Build .* ended STOPPED in phase BUILD/)
    expect(r.errors.at(-1)).toMatch(/^::migrate STOPPED: see the errors above/)
    expectOneStart(st)
  })
})

describe('transient AWS errors on every operation', () => {
  const cases: Array<
    [
      string,
      'throttle' | 'internal' | 'unavailable' | 'reset',
      Record<string, number>,
      Array<'throttle' | 'internal' | 'unavailable' | 'reset'>
    ]
  > = [
    ['throttling (a third of all calls)', 'throttle', { throttle: 0.33 }, ['throttle']],
    ['500s and 503s', 'internal', { internal: 0.2, unavailable: 0.1 }, ['internal', 'unavailable']],
    ['connection resets', 'reset', { reset: 0.1 }, ['reset']]
  ]
  it.each(cases)('%s: succeeds, every line once and in order, one build started', async (_name, kind, fractions, firstCalls) => {
    // The first StartBuild and GetLogEvents attempts always fail, so the StartBuild retry (with the same
    // idempotency token) and a failed log read are exercised whatever the draws.
    const st = await stand([presets.success({ lines: 150, everyMs: 3 })], {
      faults: { '*': fractions, StartBuild: { ...fractions, sequence: firstCalls }, GetLogEvents: { ...fractions, sequence: firstCalls } }
    })
    const r = await run(st)
    expectSucceeded(r, st, 150)
    // Faults were injected on several operations; every StartBuild but the last failed, all with the same token.
    const faulted = new Set(st.calls.filter(c => c.injected === kind).map(c => c.operation))
    expect([...faulted]).toEqual(expect.arrayContaining(['StartBuild', 'GetLogEvents']))
    const starts = st.callsOf('StartBuild')
    expect(starts.length).toBeGreaterThan(firstCalls.length)
    expect(starts.slice(0, -1).every(c => c.injected !== undefined)).toBe(true)
    expect(starts.at(-1)?.status).toBe(200)
    const tokens = new Set(starts.map(c => c.request.idempotencyToken))
    expect(tokens.size).toBe(1)
    expect([...tokens][0]).toMatch(/^[0-9a-f]{40}$/)
    expect(st.callsOf('GetLogEvents').filter(c => c.status === 200).length).toBeGreaterThan(0)
    expect(st.callsOf('StopBuild')).toHaveLength(0)
  })
})

describe('slow starts and late lines', () => {
  it('a log stream that appears late, while the build already runs: every line, exit 0', async () => {
    const st = await stand([presets.lateStream({ streamAtMs: 800, lines: 40, everyMs: 20 })], { nullDeepLinkBeforeStream: true })
    const r = await run(st)
    expect(r.code).toBe(0)
    const build = onlyBuild(st)
    // The stream appeared while the task ran: lines were logged before it existed.
    const firstTaskLine = build.allEvents().find(e => e.text === taskLine(0))
    expect(st.fromEpoch(firstTaskLine?.timestamp ?? Infinity)).toBeLessThan(build.streamAt ?? -Infinity)
    expect(build.phases().find(p => p.type === 'BUILD')?.startedAt).toBeLessThan(build.streamAt ?? -Infinity)
    expect(r.streamed).toEqual(logLines(build))
    expect(r.streamed).toEqual(expect.arrayContaining(taskLineTexts(40)))
    expectOutputs(r, build, 'SUCCEEDED')
    expect(r.errors).toEqual([])
    expectOneStart(st)
    expectSmallBudget(st)
  })

  it('a build queued for a while: every line, exit 0', async () => {
    const st = await stand([presets.success({ lines: 30, everyMs: 5, queuedMs: 1_500 })])
    const r = await run(st)
    expectSucceeded(r, st, 30)
    expectOneStart(st)
    expectSmallBudget(st)
  })

  // Short builds: the status shows the end before the log does, so the action must not stop reading at the end.
  it('the last 20 lines ingested 2 s late, after the build ended: nothing lost, exit 0', async () => {
    const st = await stand([presets.lateTail({ lines: 30, everyMs: 5, tailLines: 20, tailDelayMs: 2_000 })])
    const r = await run(st)
    const build = expectSucceeded(r, st, 30)
    const events = build.allEvents()
    expect(events.at(-20)?.readableAt).toBeGreaterThan(build.endsAt)
    expect(r.streamed.at(-1)).toMatch(/Phase context status code/)
    expectOneStart(st)
  })

  it('every line ingested 2 s late and the last ones 2.5 s: nothing lost, exit 0', async () => {
    const st = await stand([presets.lateTail({ lines: 30, everyMs: 5, tailLines: 5, tailDelayMs: 2_500, ingestionDelayMs: 2_000 })])
    const r = await run(st)
    const build = expectSucceeded(r, st, 30)
    expect(build.allEvents()[0]?.readableAt).toBeGreaterThan(build.endsAt)
    expectOneStart(st)
  })
})

describe('chatty builds', () => {
  it('30,000 lines in one burst: every line once and in order', async () => {
    const st = await stand([presets.burst({ count: 30_000 })])
    const r = await run(st)
    // Lengths first: a 30,000-line mismatch is read from a count, not a diff.
    expect(r.streamed.length).toBeGreaterThan(30_000)
    expect(r.streamed.length).toBe(logLines(onlyBuild(st)).length)
    expectSucceeded(r, st)
    expectOneStart(st)
    // At most 10,000 events a page: at least 3 full pages were read.
    expect(st.callsOf('GetLogEvents').length).toBeGreaterThanOrEqual(4)
  })

  it('a single 250 KB line is printed whole', async () => {
    const st = await stand([presets.bigLines({ bytes: 250_000, count: 1 })])
    const r = await run(st)
    expectSucceeded(r, st)
    const big = bigLine(250_000, 'big line 0')
    expect(r.streamed.filter(l => l === big)).toHaveLength(1)
    expect(r.lines.filter(l => l.text === big)).toHaveLength(1)
    expect(r.streamed.indexOf(big)).toBe(r.streamed.indexOf(taskLine(0)) + 1)
    expect(r.streamed.indexOf(taskLine(1))).toBe(r.streamed.indexOf(big) + 1)
    expectOneStart(st)
  })
})

describe('failures before the task runs', () => {
  it('PROVISIONING fails and no log stream ever appears: exit 1 without waiting for one', async () => {
    const st = await stand([presets.provisioningFailure()])
    const r = await run(st, {}, { timeoutMs: 30_000 })
    expect(r.signal).toBeNull()
    expect(r.code).toBe(1)
    const build = onlyBuild(st)
    expect(build.streamAt).toBeNull()
    expect(r.streamed).toEqual([])
    expectOutputs(r, build, 'FAILED')
    expect(r.errors[0]).toMatch(
      /^title=migrate FAILED in phase PROVISIONING::Build .* ended FAILED in phase PROVISIONING: CLIENT_ERROR: VPC_CLIENT_ERROR: Unexpected EC2 error: UnauthorizedOperation/
    )
    expect(r.errors.at(-1)).toMatch(/^::migrate FAILED: see the errors above/)
    expectOneStart(st)
    expect(st.callsOf('GetLogEvents')).toHaveLength(0)
    // It ended right after the build did: a few status polls, no drain of a stream that never comes.
    expect(st.callsOf('BatchGetBuilds').length).toBeLessThanOrEqual(4)
    expect(st.fromPerformanceNow(r.exitedAt) - st.fromPerformanceNow(r.startedAt)).toBeLessThan(15_000)
  })

  it('an unknown project: exit 1, one error naming the project and region, nothing started', async () => {
    const st = await stand([presets.success()])
    const r = await run(st, { 'project-name': 'reports-backfill' })
    expect(r.code).toBe(1)
    expect(r.errors).toHaveLength(1)
    expect(r.errors[0]).toMatch(/^::.*'reports-backfill'.*us-east-1/)
    expect(r.outputs).toEqual({})
    expect(st.callsOf('BatchGetProjects')).toHaveLength(1)
    expect(st.callsOf('BatchGetProjects')[0]?.request).toEqual({ names: ['reports-backfill'] })
    expect(st.callsOf('StartBuild')).toHaveLength(0)
    expect(st.startedBuilds()).toHaveLength(0)
  })
})

describe('bad inputs', () => {
  const badInputs: Array<[string, Record<string, string>, string]> = [
    ['unknown task', { task: 'rollback' }, 'task'],
    ['malformed env-vars line', { 'env-vars': 'LOG_LEVEL=debug\nJUST_A_NAME' }, 'env-vars'],
    ['bad variable name', { 'env-vars': '1LOG_LEVEL=debug' }, 'env-vars'],
    ['timeout not a number', { 'timeout-minutes': 'ten' }, 'timeout-minutes'],
    ['timeout out of range', { 'timeout-minutes': '3000' }, 'timeout-minutes'],
    ['missing buildspec file', { buildspec: 'ops/no-such-buildspec.yml' }, 'buildspec'],
    ['bad boolean', { wait: 'yes' }, 'wait'],
    ['bad image URI', { 'image-uri': 'app backend:latest' }, 'image-uri'],
    ['bad if-running', { 'if-running': 'queue' }, 'if-running']
  ]
  it.concurrent.each(badInputs)('bad input (%s): one error naming the input, no AWS call at all', async (_name, inputs, input) => {
    // Concurrent (they start no build and wait on nothing): each has its own stand-in.
    const st = await standIn([presets.success()])
    const r = await run(st, inputs).finally(() => st.close())
    expect(r.code).toBe(1)
    expect(r.errors).toHaveLength(1)
    expect(r.errors[0]?.startsWith(`::Input '${input}' `)).toBe(true)
    expect(r.outputs).toEqual({})
    expect(r.streamed).toEqual([])
    expect(st.calls).toHaveLength(0)
    expect(st.startedBuilds()).toHaveLength(0)
  })
})

describe('wait and show-logs', () => {
  it('wait: false exits right after the start, leaves the build running, and the post step does not stop it', async () => {
    const st = await stand([presets.longRunning({ runMs: 60_000 })])
    const r = await run(st, { wait: 'false' })
    expect(r.code).toBe(0)
    const build = onlyBuild(st)
    expectOutputs(r, build, 'IN_PROGRESS')
    expect(r.errors).toEqual([])
    expect(r.streamed).toEqual([])
    expectOneStart(st)
    expect(st.callsOf('GetLogEvents')).toHaveLength(0)
    expect(st.callsOf('BatchGetBuilds')).toHaveLength(0)
    expect(build.status).toBe('IN_PROGRESS')
    expect(r.state).toMatchObject({ 'build-id': build.id, region: 'us-east-1', settled: 'true' })

    const post = await runAction({ entry: POST, state: r.state, endpoint: st.endpoint, inputs: {}, ...sameClock(st) })
    expect(post.code).toBe(0)
    expect(post.stdout).not.toMatch(/::error/)
    expect(st.callsOf('StopBuild')).toHaveLength(0)
    expect(build.stopRequestedAt).toBeNull()
    expect(build.status).toBe('IN_PROGRESS')
  })

  it('show-logs: false reads no log, streams nothing, and reports the final status', async () => {
    const st = await stand([presets.failure({ lines: 20, everyMs: 5 })])
    const r = await run(st, { 'show-logs': 'false' })
    expect(r.code).toBe(1)
    const build = onlyBuild(st)
    expect(build.status).toBe('FAILED')
    expect(r.streamed).toEqual([])
    expect(r.stdout).not.toContain(taskLine(0))
    expectOutputs(r, build, 'FAILED', '1')
    expect(r.errors[0]).toMatch(/^title=migrate FAILED in phase BUILD::/)
    expectOneStart(st)
    expect(st.callsOf('GetLogEvents')).toHaveLength(0)
    // A few status polls up to the one that saw the end; then, post_build having run, the reads for the task's
    // outputs, which the stand-in shows 1 s after the end: at once, 0.5 s and 1 s later.
    const polls = st.callsOf('BatchGetBuilds')
    const sawEnd = polls.findIndex(c => c.at >= (build.endedAt ?? Infinity)) + 1
    expect(sawEnd).toBeGreaterThan(0)
    expect(sawEnd).toBeLessThanOrEqual(4)
    expect(polls.length - sawEnd).toBeLessThanOrEqual(3)
  })
})

describe('what StartBuild carries', () => {
  it.each([
    ['seed', { TASK: 'seed', RUN_MIGRATIONS: 'false', RUN_SEED: 'true', TASK_ARGV: `'seed'` }],
    ['cleanup', { TASK: 'cleanup', RUN_MIGRATIONS: 'false', RUN_SEED: 'false', TASK_ARGV: `'cleanup'` }]
  ])('task %s: its variables and the bundled buildspecs/%s.yml', async (task, vars) => {
    const st = await stand([presets.success({ lines: 10, everyMs: 5 })])
    const r = await run(st, { task })
    expect(r.code).toBe(0)
    const build = onlyBuild(st)
    expect(r.streamed).toEqual(logLines(build))
    expect(r.streamed).toEqual(expect.arrayContaining(taskLineTexts(10)))
    expectOutputs(r, build, 'SUCCEEDED')
    expect(r.stdout).toContain(`Started ${task} build #${build.buildNumber} of ${PROJECT}: ${build.id}`)
    const start = expectOneStart(st)
    expect(envOf(start)).toMatchObject({ ...vars, IMAGE_URI: IMAGE })
    expect(start.request.buildspecOverride).toBe(readFileSync(path.join(ROOT, 'buildspecs', `${task}.yml`), 'utf8'))
    // The stand-in ran the bundled buildspec's task command.
    expect(build.commands().some(c => c.phase === 'BUILD' && /docker run/.test(c.command))).toBe(true)
  })

  it('empty image-uri with a project that has IMAGE_URI: no IMAGE_URI override, success', async () => {
    const projectImage = '123456789012.dkr.ecr.us-east-1.amazonaws.com/app-backend:2026.11.25-1'
    const st = await stand(
      [presets.success({ lines: 10, everyMs: 5 })],
      {},
      {
        environmentVariables: [
          { name: 'DATABASE_URL', value: 'prod/database-url:DATABASE_URL', type: 'SECRETS_MANAGER' },
          { name: 'IMAGE_URI', value: projectImage, type: 'PLAINTEXT' }
        ]
      }
    )
    const r = await run(st, { 'image-uri': '' })
    expect(r.code).toBe(0)
    const build = onlyBuild(st)
    expect(r.streamed).toEqual(logLines(build))
    expectOutputs(r, build, 'SUCCEEDED')
    expect(r.errors).toEqual([])
    const env = envOf(expectOneStart(st))
    expect(env).not.toHaveProperty('IMAGE_URI')
    expect(env).not.toHaveProperty('ECR_REGISTRY')
    expect(env).toMatchObject({ TASK: 'migrate', RUN_MIGRATIONS: 'true' })
  })

  it('empty image-uri with a project without IMAGE_URI: fails before starting, naming image-uri', async () => {
    const st = await stand([presets.success()])
    const r = await run(st, { 'image-uri': '' })
    expect(r.code).toBe(1)
    expect(r.errors).toHaveLength(1)
    expect(r.errors[0]).toMatch(/^::Input 'image-uri' .*IMAGE_URI/)
    expect(r.outputs).toEqual({})
    expect(st.callsOf('StartBuild')).toHaveLength(0)
    expect(st.startedBuilds()).toHaveLength(0)
  })

  it('a custom buildspec from the workspace is sent as buildspecOverride', async () => {
    const workspace = mkdtempSync(path.join(os.tmpdir(), 'scenario-ws-'))
    mkdirSync(path.join(workspace, 'ops'))
    const text = [
      'version: 0.2',
      '# Backfill of order totals, run by the action instead of the bundled buildspec.',
      'phases:',
      '  build:',
      '    commands:',
      '      - echo "backfilling order totals"',
      '      - ./bin/backfill --batch 500',
      ''
    ].join('\n')
    writeFileSync(path.join(workspace, 'ops', 'backfill.yml'), text)
    const st = await stand([
      {
        label: 'custom buildspec',
        build: [
          { command: 'echo "backfilling order totals"', output: ['backfilling order totals'] },
          { command: './bin/backfill --batch 500', output: ['batch 1: 500 rows', 'batch 2: 120 rows', 'done'] }
        ]
      }
    ])
    const r = await run(st, { buildspec: 'ops/backfill.yml' }, { workspace })
    expect(r.code).toBe(0)
    const build = onlyBuild(st)
    expect(r.streamed).toEqual(logLines(build))
    expect(r.streamed).toEqual(expect.arrayContaining(['backfilling order totals', 'batch 1: 500 rows', 'batch 2: 120 rows', 'done']))
    expectOutputs(r, build, 'SUCCEEDED')
    expect(r.errors).toEqual([])
    const start = expectOneStart(st)
    expect(start.request.buildspecOverride).toBe(text)
    expect(build.commands().map(c => c.command)).toEqual(['echo "backfilling order totals"', './bin/backfill --batch 500'])
  })

  it('a command with quoted arguments: TASK_ARGV gives the intended words back in bash', async () => {
    const command = `bin/migrate --label "two words" 'single '"'"'quoted'"'"'' --empty "" 'back\\slash' "dollar \\$HOME" 'star *' tab\\ sep`
    const words = [
      'bin/migrate',
      '--label',
      'two words',
      "single 'quoted'",
      '--empty',
      '',
      'back\\slash',
      'dollar $HOME',
      'star *',
      'tab sep'
    ]
    const st = await stand([presets.success({ lines: 5, everyMs: 5 })])
    const r = await run(st, { command })
    expect(r.code).toBe(0)
    const build = onlyBuild(st)
    expect(r.streamed).toEqual(logLines(build))
    expectOutputs(r, build, 'SUCCEEDED')
    const env = envOf(expectOneStart(st))
    expect(env.TASK_COMMAND).toBe(command)
    const argv = env.TASK_ARGV as string
    expect(typeof argv).toBe('string')
    const out = execFileSync('bash', ['-c', 'eval "set -- $TASK_ARGV"; printf "%s\\n" "$@"'], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent', TASK_ARGV: argv },
      encoding: 'utf8'
    })
    expect(out.split('\n').slice(0, -1)).toEqual(words)
  })
})
