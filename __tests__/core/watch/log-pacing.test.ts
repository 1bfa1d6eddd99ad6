import { DEFAULT_SHARE_TIMING, FairShare, LogPacer } from '../../../src/core/watch/log-pacing.js'
import { ManualClock } from '../../fixtures/clock.js'
import { Prng } from '../../standin/prng.js'

/** Wall-clock times: T0 is a multiple of the re-test period, so re-tests fall at T0 + 20 s, T0 + 40 s... */
const T0 = 1_764_331_200_000
const t = DEFAULT_SHARE_TIMING

/** Feeds outcomes ('T' throttled, '.' answered) to a rule at the given times (ms after T0). */
function feed(share: FairShare, outcomes: Array<[number, 'T' | '.']>): void {
  for (const [at, o] of outcomes) share.record(o === 'T', T0 + at)
}

describe('FairShare, as policy: given the outcomes, the least gap before the next log read', () => {
  it('keeps the loop’s own pace until a throttle; then retries at once and reads every 2.6 s after an answer', () => {
    const share = new FairShare(t, () => 0.5)
    feed(share, [
      [0, '.'],
      [1_000, '.']
    ])
    expect([share.pace, share.gapMs()]).toEqual(['own', 0])
    feed(share, [[2_000, 'T']])
    // The retry is the loop's own short back-off: a streak of throttles never becomes a streak of long waits.
    expect([share.pace, share.gapMs()]).toEqual(['slow', 0])
    feed(share, [[2_300, '.']])
    expect(share.gapMs()).toBe(2_600)
  })

  it('a quota: throttles while the other runs slow down (the first 4 s) are not judged, and the slow pace stays', () => {
    const share = new FairShare(t, () => 0.5)
    feed(share, [
      [0, 'T'],
      [300, 'T'],
      [900, 'T'],
      [1_900, '.'],
      [3_900, 'T'],
      [4_200, '.'],
      [6_800, '.'],
      [9_400, '.'],
      [12_000, 'T'],
      [12_300, '.'],
      [14_900, '.']
    ])
    expect([share.pace, share.gapMs()]).toEqual(['slow', 2_600])
  })

  it('scattered throttles: two of the last three reads still throttled at the slow pace, and it reads at its own pace', () => {
    const share = new FairShare(t, () => 0.5)
    feed(share, [
      [0, 'T'],
      [300, '.'],
      [2_900, '.'],
      [5_500, 'T'],
      [5_800, '.'],
      [8_400, 'T']
    ])
    expect([share.pace, share.gapMs()]).toEqual(['scattered', 0])
    feed(share, [[8_700, '.']])
    expect(share.gapMs()).toBe(1_000)
  })

  it('retries a throttle on the loop’s own back-off while settling; then the first two of a row after a short fixed 0.25 s', () => {
    const share = new FairShare(t, () => 0.5)
    feed(share, [[0, 'T']])
    expect(share.retryAfterThrottleMs(T0 + 300)).toBeUndefined()
    feed(share, [
      [300, '.'],
      [2_900, '.'],
      [5_500, 'T']
    ])
    expect(share.retryAfterThrottleMs(T0 + 5_500)).toBe(250)
    feed(share, [
      [5_750, '.'],
      [8_350, 'T']
    ])
    expect([share.pace, share.retryAfterThrottleMs(T0 + 8_350)]).toEqual(['scattered', 250])
    // The second in a row too; from the third on, the loop's own back-off: a quota too small for the pace is not hammered.
    feed(share, [[8_600, 'T']])
    expect(share.retryAfterThrottleMs(T0 + 8_600)).toBe(250)
    feed(share, [[8_850, 'T']])
    expect(share.retryAfterThrottleMs(T0 + 8_850)).toBeUndefined()
    feed(share, [
      [9_000, '.'],
      [10_500, 'T']
    ])
    expect(share.retryAfterThrottleMs(T0 + 10_500)).toBe(250)
  })

  it('re-tests at the same wall-clock moments in every run: slows down again at the next multiple of 20 s', () => {
    const early = new FairShare(t, () => 0.5)
    const late = new FairShare(t, () => 0.5)
    feed(early, [
      [0, 'T'],
      [300, '.'],
      [4_000, 'T'],
      [4_300, 'T']
    ])
    feed(late, [
      [3_000, 'T'],
      [3_300, '.'],
      [7_100, 'T'],
      [7_400, 'T']
    ])
    expect([early.pace, late.pace]).toEqual(['scattered', 'scattered'])
    feed(early, [[19_900, '.']])
    feed(late, [[19_950, '.']])
    expect([early.pace, late.pace]).toEqual(['scattered', 'scattered'])
    feed(early, [[20_100, '.']])
    feed(late, [[20_050, '.']])
    expect([early.pace, early.gapMs(), late.pace, late.gapMs()]).toEqual(['slow', 2_600, 'slow', 2_600])
    // After a re-test every run slows down at once: 2.5 s of settling, then judged again.
    feed(early, [
      [22_700, 'T'],
      [23_000, '.'],
      [25_600, 'T']
    ])
    expect(early.pace).toBe('scattered')
    feed(late, [
      [22_700, '.'],
      [25_300, '.'],
      [27_900, '.']
    ])
    expect(late.pace).toBe('slow')
  })

  it('tries the own pace again after 60-120 s without a throttle; a try throttled within 5 reads waits twice as long', () => {
    // random() = 0: the wait is exactly 60 s, then 120 s after a failed try.
    const share = new FairShare(t, () => 0)
    feed(share, [[0, 'T']])
    for (let at = 2_600; at < 60_000; at += 2_600) feed(share, [[at, '.']])
    expect(share.pace).toBe('slow')
    feed(share, [[60_000, '.']])
    expect([share.pace, share.gapMs()]).toEqual(['own', 0])
    feed(share, [
      [61_000, '.'],
      [62_000, 'T']
    ])
    expect(share.pace).toBe('slow')
    for (let at = 64_600; at < 62_000 + 120_000; at += 2_600) feed(share, [[at, '.']])
    expect(share.pace).toBe('slow')
    feed(share, [[182_000, '.']])
    expect(share.pace).toBe('own')
    // A try that lasted (more than 5 reads) resets the wait to 60 s.
    for (let i = 1; i <= 10; i++) feed(share, [[182_000 + i * 1_000, '.']])
    feed(share, [[193_000, 'T']])
    for (let at = 195_600; at < 253_000; at += 2_600) feed(share, [[at, '.']])
    feed(share, [[253_000, '.']])
    expect(share.pace).toBe('own')
  })
})

describe('LogPacer', () => {
  it('keeps the cap: never two calls closer than 60 s / max-log-requests-per-minute', async () => {
    const clock = new ManualClock(0)
    const pacer = new LogPacer(60_000 / 12)
    const at: number[] = []
    for (let i = 0; i < 4; i++) {
      await pacer.slot(clock)
      at.push(clock.now())
    }
    expect(at).toEqual([0, 5_000, 10_000, 15_000])
  })

  it('adds the fair-share gap (±0.15 s at random) to the cap, and urgent reads (the drain after the end) keep only the cap', async () => {
    const clock = new ManualClock(T0)
    // Draws: the first gap's spread (0: -0.15 s), the slowed run's try-own-pace factor, the second gap's spread (1: +0.15 s).
    const draws = [0, 0.5, 1]
    const pacer = new LogPacer(2_000, t, () => draws.shift() ?? 0.5)
    await pacer.slot(clock)
    pacer.record(true)
    pacer.record(false)
    // The gap after an answer: 2.6 s - 0.15 s.
    expect(pacer.readyAt() - clock.now()).toBe(2_450)
    expect(pacer.readyAt(true) - clock.now()).toBe(2_000)
    await pacer.slot(clock)
    expect(pacer.readyAt() - clock.now()).toBe(2_750)
  })
})

/**
 * The rule against the two kinds of throttling it must tell apart, in a few lines of virtual time: runs sharing a
 * token bucket of 5 requests a second, and one run throttled at random 40% of the time.
 */
describe('FairShare against a shared quota and against scattered throttles', () => {
  const prng = (seed: number): (() => number) => new Prng(seed).next

  /**
   * Runs `k` readers for `ms`; `throttle(at)` says whether a read at `at` is throttled. Each reader reads every second
   * (±10%) while it can and retries a throttle on the loop's back-off (0.4 s doubling to 1 s, full jitter), as the watch
   * loop does; with `rule`, FairShare sets the least gap and the retries it decides. Returns each reader's reads.
   */
  function run(
    k: number,
    ms: number,
    random: () => number,
    throttle: (at: number) => boolean,
    rule = true
  ): Array<Array<{ at: number; throttled: boolean; pace: string }>> {
    const readers = Array.from({ length: k }, () => ({
      share: new FairShare(t, random),
      next: T0 + random() * 2_000,
      inARow: 0,
      reads: [] as Array<{ at: number; throttled: boolean; pace: string }>
    }))
    for (;;) {
      const r = readers.reduce((a, b) => (b.next < a.next ? b : a))
      if (r.next >= T0 + ms) break
      const at = r.next
      const throttled = throttle(at)
      r.reads.push({ at, throttled, pace: r.share.pace })
      r.inARow = throttled ? r.inARow + 1 : 0
      if (rule) r.share.record(throttled, at)
      const backoff = random() * Math.min(1_000, 400 * 2 ** (r.inARow - 1))
      const gap = rule ? r.share.gapMs() : 0
      r.next = throttled
        ? at + ((rule ? r.share.retryAfterThrottleMs(at) : undefined) ?? backoff)
        : at + Math.max(t.paceMs * (0.9 + 0.2 * random()), gap > 0 ? gap + (random() - 0.5) * 600 : 0)
    }
    return readers.map(r => r.reads)
  }

  /** A token bucket of `perSecond` requests a second (burst `perSecond`), shared by every reader. */
  function quota(perSecond: number): (at: number) => boolean {
    let tokens = perSecond
    let last = T0
    return at => {
      tokens = Math.min(perSecond, tokens + ((at - last) / 1000) * perSecond)
      last = at
      if (tokens < 1) return true
      tokens--
      return false
    }
  }

  const throttledShare = (reads: Array<{ throttled: boolean }>): number => reads.filter(r => r.throttled).length / reads.length

  it('a quota shared by 12 runs: after the first seconds, few reads are throttled and every run still reads', () => {
    for (const seed of [1, 2, 3]) {
      const reads = run(12, 60_000, prng(seed), quota(5))
      const all = reads.flat()
      expect(throttledShare(all.filter(r => r.at >= T0 + 10_000))).toBeLessThan(0.1)
      expect(throttledShare(all)).toBeLessThan(0.2)
      // Without the rule, most reads are throttled.
      expect(throttledShare(run(12, 60_000, prng(seed), quota(5), false).flat())).toBeGreaterThan(0.5)
      // No run starves: each reads at least once every 4 s on average after the start.
      for (const mine of reads) expect(mine.filter(r => !r.throttled && r.at >= T0 + 10_000).length).toBeGreaterThan(50 / 4)
    }
  })

  it('a quota shared by more runs than the slow pace allows for (24 on 5/s): no more reads throttled than without the rule', () => {
    for (const seed of [1, 2, 3]) {
      const withRule = throttledShare(run(24, 60_000, prng(seed), quota(5)).flat())
      const without = throttledShare(run(24, 60_000, prng(seed), quota(5), false).flat())
      expect(withRule).toBeLessThanOrEqual(without + 0.01)
    }
  })

  it('scattered throttles (40% at random): a run judges them so, and reads at the slow pace less than half the time', () => {
    const slowShares = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(seed => {
      const random = prng(100 + seed)
      const [mine = []] = run(1, 60_000, random, () => random() < 0.4)
      expect(mine.some(r => r.pace === 'scattered')).toBe(true)
      return mine.filter(r => r.pace === 'slow').length / mine.length
    })
    // Re-tests every 20 s make it read slowly a while each time: about 40% of the reads, 21-65% in these ten draws.
    expect(slowShares.reduce((a, b) => a + b) / slowShares.length).toBeLessThan(0.5)
  })
})
