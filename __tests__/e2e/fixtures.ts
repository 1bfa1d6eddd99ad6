/** Shared set-up of the end-to-end tests: a stand-in with one project, and the bundle run against it. */
import type { BuildScriptSource, ProjectConfig, RecordedCall, StandIn, StandInOptions } from '../standin/index.js'
import { startStandIn } from '../standin/index.js'
import { runAction } from '../fixtures/bundle.js'
import { readWorkflowLog, shown } from '../fixtures/workflow.js'
import type { ActionRun, RunOptions } from '../fixtures/bundle.js'

/**
 * How many times faster than real time every e2e test runs: the stand-in's clock (`standIn()`) and the action's
 * (`run()`, scaled-time.mjs) both, around the same origin, so they agree on the time. Every time in an e2e test is
 * virtual (on that clock): read the stand-in's clock (`s.now()`, `s.fromPerformanceNow(t)`), and use
 * `virtualMs` / `afterVirtual` for the test's own durations and delays. CPU time is not scaled: a process start or a
 * 30,000-line burst costs its real time, which is `TIME_SCALE` times as long in virtual time. `E2E_TIME_SCALE=1`
 * runs the suite in real time; `npm run bench` always does.
 */
export const TIME_SCALE = Number(process.env.E2E_TIME_SCALE ?? '10')

/**
 * For the few tests whose subject is minutes of the action's waiting (a give-up limit, a retry window, an
 * if-running timeout): both clocks run this many times faster, so that 5 minutes pass in 5 s (the action's 15 s
 * call limit is then 250 ms of real time). Only for those: the faster the clock, the longer the CPU time of each
 * call looks.
 */
export const LONG_WAIT_TIME_SCALE = TIME_SCALE * 6

/**
 * For a test whose scenario has little time to spare between two of the action's calls (less than the CPU time of a
 * few calls times `TIME_SCALE`): a slower clock, so that the CPU time does not decide the scenario.
 */
export const TIGHT_TIME_SCALE = Math.min(TIME_SCALE, 3)

/** A real duration (e.g. between two `performance.now()` readings of this process) in virtual ms. */
export const virtualMs = (realMs: number): number => realMs * TIME_SCALE

/** Calls `fn` after `ms` of virtual time (at `TIME_SCALE`). */
export function afterVirtual(ms: number, fn: () => void): void {
  setTimeout(fn, ms / TIME_SCALE)
}

export const PROJECT = 'app-migrations'
export const IMAGE = `123456789012.dkr.ecr.us-east-1.amazonaws.com/app-backend@sha256:${'ab'.repeat(32)}`

export function vpcProject(builds: BuildScriptSource[], extra: Partial<ProjectConfig> = {}): ProjectConfig {
  return {
    name: PROJECT,
    vpcConfig: true,
    privilegedMode: true,
    environmentVariables: [{ name: 'DATABASE_URL', value: 'prod/database-url:DATABASE_URL', type: 'SECRETS_MANAGER' }],
    builds,
    ...extra
  }
}

export async function standIn(
  builds: BuildScriptSource[],
  options: StandInOptions = {},
  project: Partial<ProjectConfig> = {}
): Promise<StandIn> {
  return startStandIn({ seed: 7, timeScale: TIME_SCALE, projects: [vpcProject(builds, project)], ...options })
}

/** The build's log as lines (an event may hold several). */
export function logLines(build: { lines(): string[] } | undefined): string[] {
  return (build?.lines() ?? []).flatMap(l => l.split('\n'))
}

/**
 * The task's last output lines the action quotes under a failure: not the agent's lines (`[Container]` or
 * `[Instance]`, nor the bare continuation lines of a multi-line command it echoes), as the stand-in wrote them.
 */
export function lastOutputLines(build: { outputLines(): string[] } | undefined, count = 5): string[] {
  return (build?.outputLines() ?? [])
    .flatMap(l => l.split('\n'))
    .filter(l => l.trim() !== '')
    .map(l => l.trimEnd())
    .slice(-count)
}

/** What the failure annotation adds after CodeBuild's message. */
export function lastLinesSuffix(build: { outputLines(): string[] } | undefined): string {
  const lines = lastOutputLines(build)
  return lines.length > 0 ? `\nLast lines of the output:\n${lines.join('\n')}` : ''
}

export const BASE_INPUTS = { 'project-name': PROJECT, task: 'migrate', 'image-uri': IMAGE }

export interface E2ERun extends ActionRun {
  /** Lines the action streamed from the build's log (inside stop-commands spans). */
  streamed: string[]
  commands: ReturnType<typeof readWorkflowLog>['commands']
  errors: string[]
  warnings: string[]
}

/** The options that run the action on the stand-in's clock (or on `TIME_SCALE` without one). */
export function sameClock(s: Partial<Pick<StandIn, 'timeScale' | 'clockOrigin'>>): Pick<RunOptions, 'timeScale' | 'timeOrigin'> {
  return s.clockOrigin === undefined ? { timeScale: TIME_SCALE } : { timeScale: s.timeScale, timeOrigin: s.clockOrigin }
}

export async function run(s: StandIn, inputs: Record<string, string> = {}, options: Partial<RunOptions> = {}): Promise<E2ERun> {
  const result = await runAction({
    endpoint: s.endpoint,
    ...sameClock(s),
    compileCache: true,
    ...options,
    inputs: { ...BASE_INPUTS, ...inputs }
  })
  const log = readWorkflowLog(result.stdout)
  return {
    ...result,
    streamed: log.guarded,
    commands: log.commands,
    errors: log.commands.filter(c => c.command === 'error').map(c => `${c.properties}::${c.message}`),
    warnings: log.commands.filter(c => c.command === 'warning').map(c => c.message)
  }
}

/** The `::error` messages, as the runner shows them (the action escapes %, CR and LF), one per line. */
export const failureOf = (r: E2ERun): string =>
  shown(
    r.commands
      .filter(c => c.command === 'error')
      .map(c => c.message)
      .join('\n')
  )

/** A healthy build: it succeeded, every line was shown once and in order, and the action never stopped it. */
export function expectHealthy(r: E2ERun, st: StandIn): void {
  const builds = st.startedBuilds(PROJECT)
  expect(builds).toHaveLength(1)
  const [build] = builds
  expect(r.code).toBe(0)
  expect(build?.status).toBe('SUCCEEDED')
  expect(r.outputs['build-status']).toBe('SUCCEEDED')
  expect(r.streamed).toEqual(logLines(build))
  expect(st.callsOf('StopBuild')).toHaveLength(0)
}

/** The variables a StartBuild call set (its environmentVariablesOverride), by name. */
export function envOf(call: RecordedCall | undefined): Record<string, string> {
  const vars = (call?.request.environmentVariablesOverride ?? []) as Array<{ name: string; value: string }>
  return Object.fromEntries(vars.map(v => [v.name, v.value]))
}
