/**
 * Network and AWS faults, end to end through the bundle on Node 24 against the stand-in: calls that never answer,
 * garbled and cut answers, a garbled build id, an unreachable endpoint, expired credentials, hostile error messages, and the post
 * step's own cancellation. The faults that take minutes (lost StartBuild answers, watching that keeps failing,
 * bounded waits) are in faults-waiting.test.ts.
 * A fault in watching never stops the build: every test that has a healthy build asserts no StopBuild.
 */
import net from 'node:net'
import type { StandIn } from '../standin/index.js'
import { GARBLED_ID_SUFFIX, presets, taskLine } from '../standin/index.js'
import { POST } from '../fixtures/bundle.js'
import { PROJECT, TIGHT_TIME_SCALE, afterVirtual, expectHealthy, failureOf, run, standIn, virtualMs } from '../fixtures/e2e.js'
import type { E2ERun } from '../fixtures/e2e.js'

let s: StandIn | undefined
afterEach(async () => {
  await s?.close()
  s = undefined
})

/** Seconds between the build's end and the action's exit, on the stand-in's clock. */
function exitLagMs(st: StandIn, r: E2ERun): number {
  const build = st.startedBuilds(PROJECT)[0]
  return st.fromPerformanceNow(r.exitedAt) - (build?.endedAt ?? NaN)
}

describe('a call that never answers', () => {
  it('one hung GetLogEvents: abandoned and retried; every line once, in order; exit within 30 s of the build', async () => {
    // The third read is the drain after the build's end only if the second came before it: 0.6 s to spare in real
    // time, less the CPU time of the first calls times the clock's scale. Hence a slower clock for this one.
    s = await standIn([presets.success({ lines: 120, everyMs: 20 })], {
      faults: { GetLogEvents: { sequence: ['ok', 'ok', 'hang'] } },
      timeScale: TIGHT_TIME_SCALE
    })
    const r = await run(s, {}, { timeoutMs: 60_000 })
    expectHealthy(r, s)
    expect(s.callsOf('GetLogEvents').filter(c => c.injected === 'hang')).toHaveLength(1)
    expect(exitLagMs(s, r)).toBeLessThanOrEqual(30_000)
  }, 70_000)

  it('one hung BatchGetBuilds: abandoned and retried; the build is never stopped; exit within 30 s of the build', async () => {
    // A second status read happens only if the first came before the build's end: 0.5 s to spare in real time.
    s = await standIn([presets.success({ lines: 60, everyMs: 20 })], {
      faults: { BatchGetBuilds: { sequence: ['ok', 'hang'] } },
      timeScale: TIGHT_TIME_SCALE
    })
    const r = await run(s, {}, { timeoutMs: 60_000 })
    expectHealthy(r, s)
    expect(s.callsOf('BatchGetBuilds').filter(c => c.injected === 'hang')).toHaveLength(1)
    expect(exitLagMs(s, r)).toBeLessThanOrEqual(30_000)
  }, 70_000)
})

describe('garbled answers', () => {
  it('malformed and empty 200 answers to BatchGetBuilds are retried: the build is not stopped', async () => {
    // As above: the second status read comes only if the first came before the build's end.
    s = await standIn([presets.success({ lines: 60, everyMs: 20 })], {
      faults: { BatchGetBuilds: { sequence: ['ok', 'garbled', 'empty', 'cut'] } },
      timeScale: TIGHT_TIME_SCALE
    })
    const r = await run(s, {}, { timeoutMs: 60_000 })
    expectHealthy(r, s)
    expect(
      s
        .callsOf('BatchGetBuilds')
        .map(c => c.injected)
        .slice(0, 4)
    ).toEqual([undefined, 'garbled', 'empty', 'cut'])
  })

  it('malformed, cut and empty GetLogEvents pages are retried: every line, no advice about permissions', async () => {
    s = await standIn([presets.success({ lines: 351, everyMs: 5 })], {
      faults: { GetLogEvents: { sequence: ['ok', 'garbled', 'ok', 'cut', 'empty', 'garbled'] } }
    })
    const r = await run(s, {}, { timeoutMs: 60_000 })
    expectHealthy(r, s)
    expect(r.streamed.filter(l => l.startsWith('task line '))).toHaveLength(351)
    expect(r.stdout).not.toMatch(/logs:GetLogEvents/)
    expect(r.warnings).toEqual([])
  })
})

describe('a garbled build id', () => {
  it("StartBuild's answer with a build id that is not CodeBuild's: asked again with the same token; the garbled text goes nowhere", async () => {
    s = await standIn([presets.success({ lines: 20, everyMs: 5 })], { faults: { StartBuild: { sequence: ['garbledId'] } } })
    const r = await run(s, {}, { timeoutMs: 60_000 })
    expectHealthy(r, s)
    const starts = s.callsOf('StartBuild')
    expect(starts.map(c => c.injected)).toEqual(['garbledId', undefined])
    expect(new Set(starts.map(c => c.request.idempotencyToken)).size).toBe(1)
    const [build] = s.startedBuilds(PROJECT)
    expect(r.outputs['build-id']).toBe(build?.id)
    expect(r.state['build-id']).toBe(build?.id)
    for (const text of [r.stdout, r.files.output, r.files.state, r.summary]) expect(text).not.toContain(GARBLED_ID_SUFFIX.trim())
    expect(r.commands.map(c => c.command)).not.toContain('error')
  })
})

describe('an unreachable endpoint', () => {
  it('a region whose endpoint has no DNS name: fails within 60 s naming the region and host; nothing starts', async () => {
    const r = await run({ endpoint: 'http://codebuild.us-east-7.invalid' } as StandIn, { region: 'us-east-7' }, { timeoutMs: 90_000 })
    expect(r.code).toBe(1)
    expect(virtualMs(r.exitedAt - r.startedAt)).toBeLessThan(60_000)
    expect(failureOf(r)).toMatch(
      /Could not reach CodeBuild in region us-east-7 at codebuild\.us-east-7\.invalid: .*ENOTFOUND.*Nothing was started/
    )
    expect(r.state).toEqual({})
  }, 90_000)

  it('a refused connection: fails within 60 s naming the address', async () => {
    const port = await closedPort()
    const r = await run({ endpoint: `http://127.0.0.1:${port}` } as StandIn, {}, { timeoutMs: 90_000 })
    expect(r.code).toBe(1)
    expect(virtualMs(r.exitedAt - r.startedAt)).toBeLessThan(60_000)
    expect(failureOf(r)).toMatch(new RegExp(`Could not reach CodeBuild in region us-east-1 at 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`))
  }, 90_000)
})

describe('expired credentials while watching', () => {
  it('are named, with how long it watched and how to get longer sessions; no StopBuild; the post step stays quiet', async () => {
    s = await standIn([presets.longRunning({ runMs: 60_000 })])
    const st = s
    const r = await run(
      st,
      {},
      {
        timeoutMs: 40_000,
        onLine: line => {
          if (line.text === taskLine(3)) st.setFaults({ '*': { expiredFromMs: st.now() } })
        }
      }
    )
    expect(r.code).toBe(1)
    const message = failureOf(r)
    expect(message).toMatch(
      /The AWS credentials have expired \(ExpiredTokenException: The security token included in the request is expired\) after \d+s of watching build app-migrations:[0-9a-f-]+/
    )
    expect(message).toMatch(/The build goes on \(it is not stopped\): https:\/\//)
    expect(message).toMatch(/role-duration-seconds/)
    expect(st.callsOf('StopBuild')).toHaveLength(0)
    expect(r.outputs['build-status']).toBe('IN_PROGRESS')
    expect(r.state.settled).toBe('true')
    const post = await run(st, {}, { entry: POST, state: r.state })
    expect(post.code).toBe(0)
    expect(post.errors).toEqual([])
    expect(st.callsOf('StopBuild')).toHaveLength(0)
  }, 60_000)
})

describe('outside text in the action’s own lines', () => {
  it('an AWS error message with line breaks and workflow commands is shown flattened, never as a command', async () => {
    s = await standIn([presets.success({ lines: 100, everyMs: 30 })], {
      faults: { GetLogEvents: { sequence: ['ok', 'internal'], message: 'boom\n::error::pwned\n##[warning]also pwned' } }
    })
    const r = await run(s, {}, { timeoutMs: 60_000 })
    expectHealthy(r, s)
    expect(r.commands.filter(c => /pwned/.test(c.message))).toEqual([])
    const lines = r.stdout.split('\n').filter(l => /pwned/.test(l))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(
      /^CloudWatch Logs answered InternalFailure: boom ::error::pwned # #\[warning\]also pwned; retrying in \d+\.\d s/
    )
  })
})

describe('the post step under cancellation', () => {
  it('finishes its StopBuild when it receives SIGINT itself', async () => {
    s = await standIn([presets.longRunning({ runMs: 60_000 })], { faults: { StopBuild: { latencyMs: 1_500 } } })
    const st = s
    const main = await run(
      st,
      {},
      {
        timeoutMs: 30_000,
        onLine: (line, child) => {
          if (line.text === taskLine(2)) child.kill('SIGKILL')
        }
      }
    )
    expect(main.signal).toBe('SIGKILL')
    // The post step asks for the status, then sends StopBuild, which takes 1.5 s to answer: SIGINT lands meanwhile,
    // 300 ms after the status answer (a moment taken from the calls, as the post step's start-up is CPU time).
    let postChild: { kill?: (s: string) => void } | undefined
    const off = st.onCall(call => {
      if (call.operation === 'BatchGetBuilds' && postChild) afterVirtual(300, () => postChild?.kill?.('SIGINT'))
    })
    const post = await run(
      st,
      {},
      {
        entry: POST,
        state: main.state,
        timeoutMs: 20_000,
        onSpawn: child => (postChild = child as typeof postChild)
      }
    )
    off()
    expect(post.signal).toBeNull()
    expect(post.code).toBe(0)
    expect(post.stdout).toMatch(/Received SIGINT: finishing the attempt to stop the build first/)
    expect(post.warnings.join('\n')).toMatch(/Stopped build .*: it was still running after the main step ended/)
    expect(st.callsOf('StopBuild')).toHaveLength(1)
  }, 40_000)
})

async function closedPort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise<void>(resolve => server.close(() => resolve()))
  return port
}
