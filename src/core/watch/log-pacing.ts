/**
 * How fast one run may call GetLogEvents, whose quota is shared by the whole account and region. Two rules, both
 * applied to every call (the pages of a drain and the retries included):
 *
 * - the cap (`max-log-requests-per-minute`): a fixed least gap between two calls, always;
 * - fair share (`FairShare`): once throttled, slow down, and find out whether slowing down helped.
 *
 * From its own answers alone a run cannot tell a quota shared with other runs from scattered throttles: under a quota
 * each run sees its calls throttled about at random, at the account's share, as under scattered throttling. What
 * differs is the response: when all the runs slow down, a quota's throttles stop and scattered ones do not. So the
 * rule slows down at the first throttle (every run that shares the quota is throttled within a second or two, so they
 * slow down together), gives the others a few seconds to do the same, and then looks: throttles that go on at the
 * slow pace are scattered, and the run goes back to a faster pace. A wrong verdict (a quota judged scattered) is
 * undone at the next re-test: every 20 s of wall-clock time, the same moments in every run, the runs that judged the
 * throttles scattered slow down again, together, and judge anew.
 */
import type { Clock } from '../support/index.js'

/** Every number of fair-share pacing, in one table. */
export interface ShareTiming {
  /** The loop's own pace while lines flow (`Timing.logFastMs`). */
  paceMs: number
  /**
   * Slow: the least gap before the call after an answer. 2.6 s lets 2.6 runs share each request a second of the
   * quota (12 runs on 5/s, 65 on 25/s) with room for the quota's own bursts. A retry after a throttle is not slowed
   * by it (see `retryAfterThrottleMs`), so a streak of scattered throttles does not become a streak of long waits.
   */
  slowGapMs: number
  /**
   * The first `settledRetries` retries after an answer, once settled at the slow pace or once the throttles were judged
   * scattered: short and fixed, so that scattered throttles cost little latency. (While settling, and for further
   * throttles in a row, the loop's own back-off, which doubles: a quota's overload is not hammered.)
   */
  settledRetryMs: number
  settledRetries: number
  /**
   * Scattered: the least gap once slowing down was shown not to help: the own pace, as throttles that slowing down
   * does not make rarer are no reason to read more slowly (2 s cost 0.2 s of median latency under 40% scattered
   * throttling, `npm run bench`). A wrong verdict is undone at the next re-test; with two of three judged reads
   * throttled it is rare (none in the many-runs bench or its simulation).
   */
  scatteredGapMs: number
  /** Answers in the first this-long at the slow pace are not judged: the other runs are slowing down too. */
  settleMs: number
  /** The same after a re-test, when every run that slows down does so at the same moment. */
  retestSettleMs: number
  /** At the slow pace, at least this many throttled among the last `notHelpedWindow` calls: slowing did not help. */
  notHelpedThrottles: number
  notHelpedWindow: number
  /** Runs that judged the throttles scattered slow down again at every multiple of this on the wall clock. */
  retestEveryMs: number
  /** Slow without a throttle for this long (times a random 1-2, drawn per run): try the own pace again... */
  tryOwnPaceAfterMs: number
  /** ...and when that try is throttled within this many calls, wait twice as long for the next, up to `tryOwnPaceMaxMs`. */
  tryOwnPaceCalls: number
  tryOwnPaceMaxMs: number
  /**
   * Each gap of a slowed run varies at random by up to this fraction of the pace, either way: runs that call in lock-step
   * with the quota's refills would otherwise see shares that are not the account's (one always lucky, one never).
   */
  jitter: number
}

export const DEFAULT_SHARE_TIMING: ShareTiming = {
  paceMs: 1_000,
  slowGapMs: 2_600,
  settledRetryMs: 250,
  settledRetries: 2,
  scatteredGapMs: 1_000,
  settleMs: 4_000,
  retestSettleMs: 2_500,
  notHelpedThrottles: 2,
  notHelpedWindow: 3,
  retestEveryMs: 20_000,
  tryOwnPaceAfterMs: 60_000,
  tryOwnPaceCalls: 5,
  tryOwnPaceMaxMs: 480_000,
  jitter: 0.15
}

/** `own`: the loop's own pace; `slow`: throttled, slowed down and judging; `scattered`: slowing down did not help. */
export type SharePace = 'own' | 'slow' | 'scattered'

/** The fair-share rule as a pure state machine: the outcome of each call in (with its time), the least gap out. */
export class FairShare {
  pace: SharePace = 'own'
  /** Throttles since the last answer (0: the last call was answered). */
  private throttlesInARow = 0
  private slowSince = 0
  private settleMs = 0
  /** Outcomes judged at the slow pace (after settling), the last `notHelpedWindow`. */
  private judged: boolean[] = []
  private retestAt = Infinity
  private lastThrottleAt = -Infinity
  private tryAfterMs: number
  private tryFactor = 1
  /** Calls since the own pace was tried again (Infinity: never slowed yet). */
  private ownCalls = Infinity

  constructor(
    readonly t: ShareTiming = DEFAULT_SHARE_TIMING,
    private readonly random: () => number = Math.random
  ) {
    this.tryAfterMs = t.tryOwnPaceAfterMs
  }

  /** The least gap between the last call and the next: none at the own pace, and none for a retry after a throttle. */
  gapMs(): number {
    if (this.throttlesInARow > 0 || this.pace === 'own') return 0
    return this.pace === 'slow' ? this.t.slowGapMs : this.t.scatteredGapMs
  }

  /**
   * The retry after a throttle at `at`, when the rule sets it; undefined: the loop's own back-off (0.2-1 s, doubling).
   * Settled at the slow pace, or once the throttles were judged scattered, the first two retries after an answer come
   * soon (a scattered throttle costs little); further ones in a row come on the loop's back-off, so that runs which
   * share a quota too small for the slow pace do not hammer it (three throttles in a row are rare when they are
   * scattered: 6.4% at 40%).
   */
  retryAfterThrottleMs(at: number): number | undefined {
    const settled = this.pace === 'scattered' || (this.pace === 'slow' && at >= this.slowSince + this.settleMs)
    return settled && this.throttlesInARow <= this.t.settledRetries ? this.t.settledRetryMs : undefined
  }

  /** What a call that went out at `at` got: throttled or an answer. Other failures say nothing about the quota. */
  record(throttled: boolean, at: number): void {
    const t = this.t
    this.throttlesInARow = throttled ? this.throttlesInARow + 1 : 0
    if (throttled) this.lastThrottleAt = at
    if (this.pace === 'own') {
      this.ownCalls++
      if (!throttled) return
      // A try of the own pace throttled soon: the next try waits twice as long; one that lasted resets the wait.
      this.tryAfterMs = this.ownCalls <= t.tryOwnPaceCalls ? Math.min(t.tryOwnPaceMaxMs, this.tryAfterMs * 2) : t.tryOwnPaceAfterMs
      this.slowDown(at, t.settleMs)
      return
    }
    if (this.pace === 'scattered') {
      if (at >= this.retestAt) this.slowDown(at, t.retestSettleMs)
      return
    }
    if (at - this.lastThrottleAt >= this.tryAfterMs * this.tryFactor) {
      this.pace = 'own'
      this.ownCalls = 0
      return
    }
    if (at < this.slowSince + this.settleMs) return
    this.judged.push(throttled)
    if (this.judged.length > t.notHelpedWindow) this.judged.shift()
    if (this.judged.filter(x => x).length >= t.notHelpedThrottles) {
      this.pace = 'scattered'
      this.retestAt = (Math.floor(at / t.retestEveryMs) + 1) * t.retestEveryMs
    }
  }

  private slowDown(at: number, settleMs: number): void {
    this.pace = 'slow'
    this.slowSince = at
    this.settleMs = settleMs
    this.judged = []
    this.tryFactor = 1 + this.random()
  }
}

export class LogPacer {
  private lastCallAt = -Infinity
  private extraMs = 0
  private readonly share: FairShare

  constructor(
    /** The least gap between two calls: 60 s / max-log-requests-per-minute, 0 without a cap. */
    private readonly capGapMs = 0,
    shareTiming: ShareTiming = DEFAULT_SHARE_TIMING,
    private readonly random: () => number = Math.random
  ) {
    this.share = new FairShare(shareTiming, random)
  }

  /**
   * When the next call may go out. `urgent` calls (catching up within a drain, and the drain after the build's end)
   * keep the cap but not the fair-share gap, so a backlog is read at once and the step ends soon after its build.
   */
  readyAt(urgent = false): number {
    const fair = urgent ? 0 : this.share.gapMs()
    return this.lastCallAt + Math.max(this.capGapMs, fair > 0 ? fair + this.extraMs : 0)
  }

  /** Waits until the next call may go out, and counts it as sent; returns how long it waited (ms). */
  async slot(clock: Clock, signal?: AbortSignal, urgent = false): Promise<number> {
    const wait = this.readyAt(urgent) - clock.now()
    if (wait > 0) await clock.sleep(wait, signal)
    this.lastCallAt = clock.now()
    const t = this.share.t
    this.extraMs = (this.random() - 0.5) * 2 * t.jitter * t.paceMs
    return Math.max(0, wait)
  }

  /** The retry after the last call, throttled: see `FairShare.retryAfterThrottleMs`. */
  retryAfterThrottleMs(): number | undefined {
    return this.share.retryAfterThrottleMs(this.lastCallAt)
  }

  /** What the call that took the last slot got. */
  record(throttled: boolean): void {
    this.share.record(throttled, this.lastCallAt)
  }
}
