/**
 * `npx tsx scripts/simulate-share.ts`: the bench's throttling scenarios in virtual time with the real
 * watch loop (`watchBuild` and its LogPacer) on a manual clock, for trying log pacing (issue 16) in seconds:
 *
 * - many: K runs at once whose GetLogEvents share one account-wide token bucket (Q a second, burst Q), each build a
 *   line every 100 ms for 30 s (the bench's `manyRuns`); throttled share, median of the runs' median latency, the
 *   worst run's median, the median run's time from the build's end to the end of watching;
 * - random: one run, every call throttled at random 40% (GetLogEvents; BatchGetBuilds too, retried as the SDK does),
 *   a line every 20 ms for 20 s (the bench's "throttled 40%" runs), 3 runs per seed;
 * - steady: one run, no throttling.
 *
 * What it leaves out: the CPU contention of 12 Node processes on 2 cores (calls get a random latency of 5-40 ms, the
 * runs start up to `--stagger` ms apart, 2000 by default), HTTP, the process's own exit after watching (tens of
 * ms alone, more under contention), the stand-in's build phases. Calibration, the watch loop without fair-share pacing, 10 seeds: 64% throttled, a median of
 * medians of 4.5 s on average and a worst median up to 18 s for many runs (the bench, 2026-11-28: 66%, 1.4-2.5 s, 14-15 s:
 * the sim's runs lock in step with the bucket more than real ones); 30 random-throttling runs: a p50 of 0.67 s on
 * average (the bench: 0.62-0.72 s).
 *
 * Options: --seeds N (10), --first N (the first random seed), --k K (12), --q Q (5), --lines N (300), --stagger ms,
 * --only many|random|steady, --share key=value,... (below). TIMELINE=1 prints, per seed, the calls and
 * throttles of each 2 s and each run's calls (T: throttled); TRACE=<run> prints one run's calls as they happen.
 */
import { ManualClock } from '../__tests__/fixtures/clock.js'
import { FakeClient, awsError } from '../__tests__/fixtures/fake-aws.js'
import { FakeStream } from '../__tests__/fixtures/fake-stream.js'
import { Prng } from '../__tests__/standin/index.js'
import type { Build } from '@aws-sdk/client-codebuild'
import { watchBuild } from '../src/core/watch/watch.js'
import type { WatchOptions } from '../src/core/watch/watch.js'

const T0 = 1_764_331_200_000
const arg = (name: string): string | undefined => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined)
const seeds = Number(arg('--seeds') ?? 10)
const only = arg('--only')
const shareArg = arg('--share')
const share: Record<string, number> = {}
for (const kv of shareArg ? shareArg.split(',') : []) {
  const [k, v] = kv.split('=')
  share[k as string] = Number(v)
}

/**
 * `--share` goes to the watch loop as `fairShare`: numbers of `ShareTiming` (src/core/watch/log-pacing.ts) to try instead of
 * the defaults. RETRY / RETRY_CAP (ms) replace the loop's back-off after a failed log read.
 */
const watchOptions = {
  showLogs: true,
  ...(Object.keys(share).length > 0 ? { fairShare: share } : {}),
  ...(process.env.RETRY
    ? { timing: { logRetryBaseMs: Number(process.env.RETRY), logRetryCapMs: Number(process.env.RETRY_CAP ?? process.env.RETRY) } }
    : {})
} as WatchOptions

const prng = (seed: number): (() => number) => new Prng(seed).next

const agent = (text: string): string => `[Container] 2026/11/25 12:00:00.123456 ${text}`
const quantile = (values: number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN
}

interface Call {
  at: number
  run: number
  throttled: boolean
}

interface RunResult {
  p50: number
  p95: number
  exitAfterEnd: number
  lost: number
  repeated: number
  logCalls: number
}

interface World {
  clock: ManualClock
  random: () => number
  calls: Call[]
  /** Whether a GetLogEvents arriving now is throttled. */
  throttle(now: number): boolean
  /** Whether one BatchGetBuilds attempt is throttled (the SDK retries it). */
  statusThrottle(): boolean
}

/** One run of the action: a build of `lines` lines every `everyMs`, watched by the real watch loop. */
async function oneRun(world: World, run: number, startAt: number, lines: number, everyMs: number): Promise<RunResult> {
  const { clock, random } = world
  if (startAt > clock.now()) await clock.sleep(startAt - clock.now())
  const start = clock.now()
  const streamAt = start + 100 + random() * 200
  const first = streamAt + 500
  const stream = new FakeStream(() => clock.now())
  stream.add(agent('Entering phase BUILD'), first - 100)
  for (let i = 0; i < lines; i++) stream.add(`task line ${String(i).padStart(6, '0')}`, first + i * everyMs)
  const last = first + (lines - 1) * everyMs
  stream.add(agent('Phase complete: BUILD State: SUCCEEDED'), last + 50)
  stream.add(agent('Phase context status code:  Message: '), last + 50)
  stream.add(agent('Entering phase POST_BUILD'), last + 60)
  stream.add(agent('Phase complete: POST_BUILD State: SUCCEEDED'), last + 70)
  stream.add(agent('Phase context status code:  Message: '), last + 70)
  const endAt = last + 300
  const build = (): Build => {
    const t = clock.now()
    const ended = t >= endAt
    const b: Build = {
      id: `p:run${run}`,
      buildStatus: ended ? 'SUCCEEDED' : 'IN_PROGRESS',
      currentPhase: ended ? 'COMPLETED' : t >= streamAt ? 'BUILD' : 'PROVISIONING',
      phases: [{ phaseType: 'SUBMITTED', phaseStatus: 'SUCCEEDED' }],
      ...(ended ? { endTime: new Date(endAt) } : {})
    }
    if (t >= streamAt) b.logs = { groupName: '/aws/codebuild/p', streamName: `run${run}`, cloudWatchLogs: { status: 'ENABLED' } }
    if (ended)
      b.phases?.push(
        { phaseType: 'BUILD', phaseStatus: 'SUCCEEDED' },
        { phaseType: 'POST_BUILD', phaseStatus: 'SUCCEEDED' },
        { phaseType: 'COMPLETED' }
      )
    return b
  }
  const latency = (): Promise<void> => clock.sleep(5 + random() * 35)
  const client = new FakeClient({
    BatchGetBuilds: async () => {
      // The CodeBuild client's standard retry mode: up to 3 attempts, exponential back-off with jitter.
      for (let attempt = 0; ; attempt++) {
        await latency()
        if (!world.statusThrottle()) return { builds: [build()] }
        if (attempt === 2) throw awsError('ThrottlingException', 400, 'Rate exceeded')
        await clock.sleep(random() * 100 * 2 ** attempt)
      }
    },
    GetLogEvents: async (input: { nextToken?: string }) => {
      const throttled = world.throttle(clock.now())
      world.calls.push({ at: clock.now(), run, throttled })
      if (process.env.TRACE === String(run)) process.stdout.write(`${((clock.now() - T0) / 1000).toFixed(2)}${throttled ? 'T' : '.'} `)
      await latency()
      if (throttled) throw awsError('ThrottlingException', 400, 'Rate exceeded')
      stream.exists = clock.now() >= streamAt
      return stream.getLogEvents(input)
    }
  })
  const seen = new Map<string, number>()
  let repeated = 0
  const result = await watchBuild(
    { codebuild: client.codebuild, logs: client.logs, clock, random },
    { id: `p:run${run}`, buildStatus: 'IN_PROGRESS', currentPhase: 'SUBMITTED' },
    {
      onEvents: events => {
        for (const e of events) {
          const text = (e.message ?? '').trim()
          if (!text.startsWith('task line')) continue
          if (seen.has(text)) repeated++
          else seen.set(text, clock.now())
        }
      }
    },
    watchOptions
  )
  const latencies: number[] = []
  let lost = 0
  for (const e of stream.events) {
    const text = (e.message ?? '').trim()
    if (!text.startsWith('task line')) continue
    const at = seen.get(text)
    if (at === undefined) lost++
    else latencies.push(at - e.readableAt)
  }
  return {
    p50: quantile(latencies, 0.5),
    p95: quantile(latencies, 0.95),
    exitAfterEnd: clock.now() - endAt,
    lost,
    repeated,
    logCalls: result.logCalls
  }
}

const stagger = Number(arg('--stagger') ?? 2_000)
const lines = Number(arg('--lines') ?? 300)
async function many(
  seed: number,
  k: number,
  q: number
): Promise<{ share: number; medOfMed: number; worst: number; exit: number; lostRep: number; rate: number }> {
  const clock = new ManualClock(T0)
  const random = prng(seed)
  let tokens = q
  let at = T0
  const world: World = {
    clock,
    random,
    calls: [],
    throttle: now => {
      tokens = Math.min(q, tokens + ((now - at) / 1000) * q)
      at = now
      if (tokens < 1) return true
      tokens -= 1
      return false
    },
    statusThrottle: () => false
  }
  const runs = await Promise.all(Array.from({ length: k }, (_, i) => oneRun(world, i, T0 + random() * stagger, lines, 100)))
  const throttled = world.calls.filter(c => c.throttled).length
  if (process.env.TIMELINE) {
    const t0 = world.calls[0]!.at
    const rows: string[] = []
    for (let b = 0; ; b++) {
      const inB = world.calls.filter(c => c.at >= t0 + b * 2000 && c.at < t0 + (b + 1) * 2000)
      if (inB.length === 0) break
      rows.push(`${b * 2}s:${inB.length}/${inB.filter(c => c.throttled).length}`)
    }
    console.log(`seed ${seed}: ` + rows.join(' '))
    for (let r = 0; r < k; r++) {
      const mine = world.calls.filter(c => c.run === r)
      console.log(`run ${r}: ` + mine.map(c => `${((c.at - t0) / 1000).toFixed(1)}${c.throttled ? 'T' : ''}`).join(' '))
    }
  }
  const span = (world.calls[world.calls.length - 1]!.at - world.calls[0]!.at) / 1000
  return {
    share: throttled / world.calls.length,
    medOfMed: quantile(
      runs.map(r => r.p50),
      0.5
    ),
    worst: Math.max(...runs.map(r => r.p50)),
    exit: quantile(
      runs.map(r => r.exitAfterEnd),
      0.5
    ),
    lostRep: runs.reduce((n, r) => n + r.lost + r.repeated, 0),
    rate: world.calls.length / span
  }
}

async function single(seed: number, p: number, lines: number, everyMs: number): Promise<RunResult & { share: number }> {
  const clock = new ManualClock(T0)
  const random = prng(seed)
  const world: World = { clock, random, calls: [], throttle: () => random() < p, statusThrottle: () => random() < p }
  const r = await oneRun(world, 0, T0, lines, everyMs)
  return { ...r, share: world.calls.filter(c => c.throttled).length / world.calls.length }
}

const s = (ms: number): string => (ms / 1000).toFixed(2)
const pct = (x: number): string => `${(100 * x).toFixed(1)}%`
if (!only || only === 'many') {
  const k = Number(arg('--k') ?? 12)
  const q = Number(arg('--q') ?? 5)
  const rows = []
  for (let seed = 1; seed <= seeds; seed++) rows.push(await many(seed, k, q))
  for (const r of rows)
    console.log(
      `many ${k}x${q}/s: throttled ${pct(r.share)} med-of-med ${s(r.medOfMed)} worst ${s(r.worst)} exit ${s(r.exit)} lost+rep ${r.lostRep} rate ${r.rate.toFixed(2)}/s`
    )
  console.log(
    `MANY  throttled mean ${pct(rows.reduce((a, r) => a + r.share, 0) / rows.length)} max ${pct(Math.max(...rows.map(r => r.share)))} | med-of-med mean ${s(rows.reduce((a, r) => a + r.medOfMed, 0) / rows.length)} max ${s(Math.max(...rows.map(r => r.medOfMed)))} | worst max ${s(Math.max(...rows.map(r => r.worst)))} | exit max ${s(Math.max(...rows.map(r => r.exit)))}`
  )
}
if (!only || only === 'random') {
  const rows = []
  const first = Number(arg('--first') ?? 1)
  for (let seed = first; seed < first + seeds * 3; seed++) rows.push(await single(1000 + seed, 0.4, 1000, 20))
  console.log(
    `RANDOM 40%: p50 mean ${s(rows.reduce((a, r) => a + r.p50, 0) / rows.length)} max ${s(Math.max(...rows.map(r => r.p50)))} | p95 mean ${s(rows.reduce((a, r) => a + r.p95, 0) / rows.length)} max ${s(Math.max(...rows.map(r => r.p95)))} | exit max ${s(Math.max(...rows.map(r => r.exitAfterEnd)))} | lost+rep ${rows.reduce((n, r) => n + r.lost + r.repeated, 0)}`
  )
  console.log(`  p50s ${rows.map(r => s(r.p50)).join(' ')}`)
  console.log(`  p95s ${rows.map(r => s(r.p95)).join(' ')}`)
}
if (!only || only === 'steady') {
  const r = await single(7, 0, 300, 100)
  console.log(`STEADY: p50 ${s(r.p50)} p95 ${s(r.p95)} exit ${s(r.exitAfterEnd)} calls/min ${((r.logCalls / 35) * 60).toFixed(0)}`)
}
