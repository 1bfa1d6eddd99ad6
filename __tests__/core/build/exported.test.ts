import type { Build } from '@aws-sdk/client-codebuild'
import { EXPORTED_REREAD_PAUSES_MS, EXPORTED_WAIT_SECONDS, awaitExportedVariable } from '../../../src/core/build/exported.js'
import { ManualClock } from '../../fixtures/clock.js'
import { FakeClient, awsError } from '../../fixtures/fake-aws.js'

const ENDED: Build = { id: 'p:uuid', buildStatus: 'SUCCEEDED' }
const CARRIED = [{ name: 'TASK_OUTPUTS', value: 'YT0xCg==' }]

/** A CodeBuild whose answers show the exported variables from the `from`-th read on (0-based). */
function codebuild(from: number, answer: (n: number) => Build = () => ENDED) {
  let reads = 0
  return new FakeClient({
    BatchGetBuilds: () => {
      const n = reads++
      return { builds: [{ ...answer(n), ...(n >= from ? { exportedEnvironmentVariables: CARRIED } : {}) }] }
    }
  })
}

describe('awaitExportedVariable', () => {
  it('reads again at once, then at 0.5, 1, 2, 3, 5, 7 and 10 s: eight calls at most', () => {
    expect(EXPORTED_REREAD_PAUSES_MS).toEqual([0, 500, 500, 1_000, 1_000, 2_000, 2_000, 3_000])
    expect(EXPORTED_WAIT_SECONDS).toBe(10)
  })

  it('returns the build with the variables as soon as an answer has them; says it waits only when it does', async () => {
    const clock = new ManualClock(0)
    const signal = new AbortController().signal
    let said = 0
    const at = (client: FakeClient) =>
      awaitExportedVariable({ codebuild: client.codebuild, clock, signal }, ENDED, 'TASK_OUTPUTS', () => said++)
    const atOnce = codebuild(0)
    expect((await at(atOnce)).exportedEnvironmentVariables).toEqual(CARRIED)
    expect(atOnce.count('BatchGetBuilds')).toBe(1)
    expect([said, clock.now()]).toEqual([0, 0])
    const client = codebuild(2)
    expect(await at(client)).toEqual({ ...ENDED, exportedEnvironmentVariables: CARRIED })
    expect([said, clock.now()]).toEqual([1, 1_000])
    expect(client.calls.map(c => c.input)).toEqual(Array(3).fill({ ids: ['p:uuid'] }))
  })

  it('gives up after the last pause with the build as it was', async () => {
    const clock = new ManualClock(0)
    const client = codebuild(Infinity)
    const waited = await awaitExportedVariable(
      { codebuild: client.codebuild, clock, signal: new AbortController().signal },
      ENDED,
      'TASK_OUTPUTS'
    )
    expect(waited).toBe(ENDED)
    expect(client.count('BatchGetBuilds')).toBe(8)
    expect(clock.now()).toBe(10_000)
  })

  it('takes the variables only from an answer about the same build', async () => {
    const clock = new ManualClock(0)
    const client = codebuild(0, n => (n === 0 ? { id: 'p:other' } : ENDED))
    const waited = await awaitExportedVariable(
      { codebuild: client.codebuild, clock, signal: new AbortController().signal },
      ENDED,
      'TASK_OUTPUTS'
    )
    expect(client.count('BatchGetBuilds')).toBe(2)
    expect(waited.exportedEnvironmentVariables).toEqual(CARRIED)
  })

  it('ends the wait, never throwing, on a refused call or a cancel', async () => {
    const clock = new ManualClock(0)
    const refused = new FakeClient({
      BatchGetBuilds: () => {
        throw awsError('ExpiredTokenException', 400, 'The security token included in the request is expired')
      }
    })
    const signal = new AbortController().signal
    expect(await awaitExportedVariable({ codebuild: refused.codebuild, clock, signal }, ENDED, 'TASK_OUTPUTS')).toBe(ENDED)
    expect(refused.count('BatchGetBuilds')).toBe(1)

    const cancel = new AbortController()
    const client = codebuild(Infinity)
    const waiting = awaitExportedVariable({ codebuild: client.codebuild, clock, signal: cancel.signal }, ENDED, 'TASK_OUTPUTS')
    await new Promise(resolve => setImmediate(resolve))
    cancel.abort()
    expect(await waiting).toBe(ENDED)
    expect(client.count('BatchGetBuilds')).toBeLessThan(8)
  })
})
