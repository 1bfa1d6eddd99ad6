/**
 * One build per execution of the step, whatever the workflow's shape, end to end through the bundle: two legs of a
 * matrix have the same GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT, GITHUB_JOB and GITHUB_ACTION, and each must start, follow
 * and (in its post step) stop only its own build.
 */
import type { StandIn } from '../standin/index.js'
import { presets } from '../standin/index.js'
import { POST, runAction } from '../fixtures/bundle.js'
import { BASE_INPUTS, PROJECT, TIGHT_TIME_SCALE, logLines, run, sameClock, standIn } from '../fixtures/e2e.js'
import type { E2ERun } from '../fixtures/e2e.js'

let s: StandIn | undefined
afterEach(async () => {
  await s?.close()
  s = undefined
})

/** What every leg of one matrix job sees: one run, one attempt, one job, one step id (none set: `__run`). */
const legEnv = { GITHUB_RUN_ID: '9123456789', GITHUB_RUN_ATTEMPT: '1', GITHUB_JOB: 'migrate', GITHUB_ACTION: '__run' }

/** The TASK_RUN_TOKEN a StartBuild request gave its build. */
const tokenOf = (request: { environmentVariablesOverride?: unknown } | undefined): string | undefined =>
  ((request?.environmentVariablesOverride ?? []) as Array<{ name: string; value: string }>).find(v => v.name === 'TASK_RUN_TOKEN')?.value

/** Each leg followed its own build: its build-id, its log (every line once, in order), its result. */
function expectOwnBuild(st: StandIn, legs: E2ERun[]): void {
  const ids = legs.map(l => l.outputs['build-id'])
  expect(new Set(ids).size).toBe(legs.length)
  for (const leg of legs) {
    expect(leg.code).toBe(0)
    expect(leg.errors).toEqual([])
    const build = st.build(leg.outputs['build-id'] as string)
    expect(build?.status).toBe('SUCCEEDED')
    expect(leg.streamed).toEqual(logLines(build))
    expect(leg.outputs['build-status']).toBe('SUCCEEDED')
    // The token the leg saved for its post step is the one its build carries.
    expect(leg.state['start-token']).toBe(tokenOf(build?.request))
  }
}

describe('two legs of a matrix started together (same run, attempt, job and step)', () => {
  it('with different env-vars: two builds, no parameter-mismatch error, each leg follows its own', async () => {
    s = await standIn([presets.success({ lines: 5 }), presets.success({ lines: 9 })])
    const legs = await Promise.all(['blue', 'green'].map(colour => run(s as StandIn, { 'env-vars': `LEG=${colour}` }, { env: legEnv })))
    const starts = s.callsOf('StartBuild')
    expect(starts.map(c => [c.status, c.errorType])).toEqual([
      [200, undefined],
      [200, undefined]
    ])
    expect(new Set(starts.map(c => c.request.idempotencyToken)).size).toBe(2)
    expect(s.startedBuilds(PROJECT)).toHaveLength(2)
    expectOwnBuild(s, legs)
    // And each leg's build is the one with its variables.
    for (const [i, colour] of ['blue', 'green'].entries()) {
      const build = s.build(legs[i]?.outputs['build-id'] as string)
      const vars = (build?.request.environmentVariablesOverride ?? []) as Array<{ name: string; value: string }>
      expect(vars.find(v => v.name === 'CBVT_VAR_LEG')?.value).toBe(colour)
    }
  })

  it('with identical inputs: two builds (not one followed twice), each leg follows its own', async () => {
    s = await standIn([presets.success({ lines: 5 }), presets.success({ lines: 9 })])
    const legs = await Promise.all([run(s, {}, { env: legEnv }), run(s, {}, { env: legEnv })])
    expect(s.startedBuilds(PROJECT)).toHaveLength(2)
    expectOwnBuild(s, legs)
    expect(s.callsOf('StopBuild')).toHaveLength(0)
  })

  it("one leg's post step, after its main step was killed mid-StartBuild, stops its own build; the other leg's build runs on", async () => {
    // Both builds run until stopped; leg A's StartBuild (the second call) is processed but never answered. On the
    // slower clock, leg A is killed well within its 30 s limit on that call, however slowly its process starts.
    s = await standIn([presets.longRunning({ everyMs: 500, runMs: 3_600_000 }), presets.longRunning({ everyMs: 500, runMs: 3_600_000 })], {
      faults: { StartBuild: { sequence: ['ok', 'hang'] } },
      timeScale: TIGHT_TIME_SCALE
    })
    const st = s
    // Legs of a matrix that run at once on one project (say, one database each) start whatever else runs.
    const inputs = { 'if-running': 'start' }
    let killB: ((signal: NodeJS.Signals) => void) | undefined
    const legB = run(st, inputs, {
      env: legEnv,
      timeoutMs: 60_000,
      onSpawn: child => (killB = signal => (child as { kill(signal: NodeJS.Signals): void }).kill(signal))
    })
    const buildB = await st.waitForBuild(PROJECT, 1, { timeoutMs: 60_000 })
    let killA: (() => void) | undefined
    const legA = runAction({
      endpoint: st.endpoint,
      ...sameClock(st),
      compileCache: true,
      inputs: { ...BASE_INPUTS, ...inputs },
      env: legEnv,
      timeoutMs: 60_000,
      onSpawn: child => (killA = () => (child as { kill(signal: NodeJS.Signals): void }).kill('SIGKILL'))
    })
    const buildA = await st.waitForBuild(PROJECT, 2, { timeoutMs: 60_000 })
    killA?.()
    const mainA = await legA
    expect(mainA.signal).toBe('SIGKILL')
    expect(st.callsOf('StartBuild').map(c => c.injected)).toEqual([undefined, 'hang'])
    // The main step saved its token before StartBuild, and no build id: the post step must find the build by it.
    expect(mainA.state['build-id']).toBeUndefined()
    expect(mainA.state['start-token']).toBe(tokenOf(buildA.request))
    expect(mainA.state['start-token']).not.toBe(tokenOf(buildB.request))

    const postA = await run(st, inputs, { entry: POST, state: mainA.state, env: legEnv, timeoutMs: 30_000 })
    expect(postA.code).toBe(0)
    expect(postA.warnings).toEqual([`Stopped build ${buildA.id}: it was still running after the main step ended (cancelled or killed).`])
    expect(st.callsOf('StopBuild').map(c => c.request.id)).toEqual([buildA.id])
    await st.waitForEnd(buildA)
    expect(buildA.status).toBe('STOPPED')
    // Leg B's build was not touched: still running, still followed by leg B, which alone stops it when cancelled.
    expect(buildB.status).toBe('IN_PROGRESS')
    expect(buildB.stopRequestedAt).toBeNull()
    killB?.('SIGINT')
    const mainB = await legB
    expect(mainB.code).toBe(1)
    expect(mainB.outputs['build-id']).toBe(buildB.id)
    expect(mainB.outputs['build-status']).toBe('STOPPED')
    expect(st.callsOf('StopBuild').map(c => c.request.id)).toEqual([buildA.id, buildB.id])
    expect(mainB.streamed.length).toBeGreaterThan(0)
    expect(mainB.streamed).toEqual(logLines(buildB).slice(0, mainB.streamed.length))
  })
})
