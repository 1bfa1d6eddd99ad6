/**
 * The faults that take minutes of the action's waiting, end to end through the bundle on Node 24 against the
 * stand-in: StartBuild answers lost for minutes, status calls failing until the give-up limit, bounded waits for
 * another build. Split from faults.test.ts (same helpers, same rules: a fault in watching never stops the build)
 * so that the two files run side by side.
 */
import type { StandIn } from '../standin/index.js'
import { GARBLED_ID_SUFFIX, presets, taskLine } from '../standin/index.js'
import { POST } from '../fixtures/bundle.js'
import { LONG_WAIT_TIME_SCALE, PROJECT, afterVirtual, expectHealthy, failureOf, run, standIn } from '../fixtures/e2e.js'

let s: StandIn | undefined
afterEach(async () => {
  await s?.close()
  s = undefined
})

describe('StartBuild', () => {
  it('every answer lost for 4 minutes: retried with one token, then the build is found by its token and watched; one build', async () => {
    s = await standIn([presets.success({ lines: 20, everyMs: 5 })], {
      faults: { StartBuild: { lost: 1 } },
      timeScale: LONG_WAIT_TIME_SCALE
    })
    const r = await run(s, {}, { timeoutMs: 60_000 })
    const starts = s.callsOf('StartBuild')
    expect(starts.length).toBeGreaterThan(4)
    expect(new Set(starts.map(c => c.request.idempotencyToken)).size).toBe(1)
    expectHealthy(r, s)
    expect(r.outputs['build-id']).toBe(s.startedBuilds(PROJECT)[0]?.id)
  }, 70_000)

  it('no answer and no build: the error says a build may have started and how to tell; nothing to stop', async () => {
    s = await standIn([presets.success()], { faults: { StartBuild: { reset: 1 } }, timeScale: LONG_WAIT_TIME_SCALE })
    const r = await run(s, {}, { timeoutMs: 60_000 })
    expect(r.code).toBe(1)
    expect(s.startedBuilds(PROJECT)).toHaveLength(0)
    expect(failureOf(r)).toMatch(
      /StartBuild for app-migrations got no usable answer .*no build carrying TASK_RUN_TOKEN=[0-9a-f]{40} was found: a build may have started/
    )
    expect(r.stdout).not.toMatch(/Unexpected error/)
  }, 70_000)

  it('every build id CodeBuild answers is garbled: no id is used; the step fails saying the answer was malformed; no output, no workflow command', async () => {
    // StartBuild's answers and the lookups by token (ListBuildsForProject, BatchGetBuilds) all carry garbled ids.
    const garbled = { garbledId: 1 }
    s = await standIn([presets.success({ lines: 5, everyMs: 5 })], {
      faults: { StartBuild: garbled, ListBuildsForProject: garbled, BatchGetBuilds: garbled },
      timeScale: LONG_WAIT_TIME_SCALE
    })
    const r = await run(s, {}, { timeoutMs: 60_000 })
    expect(r.code).toBe(1)
    const starts = s.callsOf('StartBuild')
    expect(starts.length).toBeGreaterThan(4)
    expect(new Set(starts.map(c => c.request.idempotencyToken)).size).toBe(1)
    expect(s.startedBuilds(PROJECT)).toHaveLength(1)
    expect(failureOf(r)).toMatch(
      /StartBuild for app-migrations got no usable answer \(MalformedAnswerError: StartBuild answered with a build id that is not of the form <project-name>:<uuid>\), and no build carrying TASK_RUN_TOKEN=[0-9a-f]{40} was found: a build may have started/
    )
    expect(r.outputs['build-id']).toBeUndefined()
    expect(r.state['build-id']).toBeUndefined()
    for (const text of [r.stdout, r.files.output, r.files.state, r.summary]) expect(text).not.toContain(GARBLED_ID_SUFFIX.trim())
  }, 70_000)

  it('a hung StartBuild honours SIGINT: the build it may have started is found by its token and stopped', async () => {
    s = await standIn([presets.longRunning({ runMs: 60_000 })], { faults: { StartBuild: { hang: 1 } } })
    const st = s
    let action: { kill?: (s: string) => void } | undefined
    let signalled = false
    // 200 ms after the first StartBuild arrived (a hung call is recorded on arrival).
    const off = st.onCall(call => {
      if (call.operation !== 'StartBuild' || signalled) return
      signalled = true
      afterVirtual(200, () => action?.kill?.('SIGINT'))
    })
    const r = await run(
      st,
      {},
      {
        timeoutMs: 30_000,
        onSpawn: child => (action = child as typeof action)
      }
    )
    off()
    expect(r.signal).toBeNull()
    expect(r.code).toBe(1)
    const [build] = st.startedBuilds(PROJECT)
    expect(st.callsOf('StopBuild').map(c => c.request.id)).toEqual([build?.id])
    expect(r.outputs['build-status']).toBe('STOPPED')
    expect(failureOf(r)).toMatch(/Stopped build .* because the workflow was cancelled/)
  }, 40_000)
})

describe('watching that keeps failing', () => {
  it('gives up after 5 minutes of failed status calls: says the build goes on, IN_PROGRESS, never stopped, post leaves it', async () => {
    s = await standIn([presets.longRunning({ runMs: 600_000, everyMs: 500 })], { timeScale: LONG_WAIT_TIME_SCALE })
    const st = s
    const r = await run(
      st,
      {},
      {
        timeoutMs: 60_000,
        onLine: line => {
          if (line.text === taskLine(1)) st.setFaults({ BatchGetBuilds: { internal: 1 } })
        }
      }
    )
    expect(r.code).toBe(1)
    const message = failureOf(r)
    expect(message).toMatch(
      /Gave up watching build app-migrations:[0-9a-f-]+: CodeBuild could not be asked for its status for 5m 0s \(last error: InternalFailure[^)]*\)/
    )
    expect(message).toMatch(/The build goes on \(it is not stopped\): https:\/\//)
    expect(r.outputs['build-status']).toBe('IN_PROGRESS')
    expect(st.callsOf('StopBuild')).toHaveLength(0)
    expect(st.startedBuilds(PROJECT)[0]?.status).toBe('IN_PROGRESS')
    const post = await run(st, {}, { entry: POST, state: r.state })
    expect(post.code).toBe(0)
    expect(st.callsOf('StopBuild')).toHaveLength(0)
  }, 70_000)
})

describe('every wait is bounded', () => {
  it('if-running: wait gives up after if-running-timeout-minutes, naming the build it waited for; nothing starts', async () => {
    s = await standIn([presets.success()], { timeScale: LONG_WAIT_TIME_SCALE }, { running: [{ startedAgoMs: 120_000 }] })
    const r = await run(s, { 'if-running-timeout-minutes': '1' }, { timeoutMs: 30_000 })
    expect(r.code).toBe(1)
    expect(failureOf(r)).toMatch(
      /Waited 1m 0s for another build of app-migrations to finish: build #\d+ app-migrations:[0-9a-f-]+ .*Nothing was started \(if-running-timeout-minutes\)/
    )
    expect(s.callsOf('StartBuild')).toHaveLength(0)
  }, 40_000)

  it('queued-timeout-minutes is sent as the build’s queued timeout', async () => {
    s = await standIn([presets.success({ lines: 5 })])
    const r = await run(s, { 'queued-timeout-minutes': '45' })
    expect(r.code).toBe(0)
    expect(s.callsOf('StartBuild')[0]?.request.queuedTimeoutInMinutesOverride).toBe(45)
  })

  it('refuses a queued timeout outside CodeBuild’s range before any call', async () => {
    s = await standIn([presets.success()])
    const r = await run(s, { 'queued-timeout-minutes': '481' })
    expect(r.code).toBe(1)
    expect(failureOf(r)).toBe("Input 'queued-timeout-minutes' must be a whole number of minutes from 5 to 480, got '481'")
    expect(s.calls).toHaveLength(0)
  })
})
