/**
 * The pace of GetLogEvents calls across one run: every call (pages of a drain, retries and the drain after the
 * build's end included) waits for its slot. Two rules set the gap between calls:
 * - the cap (`max-log-requests-per-minute`): never more calls in a minute than that;
 * - fair sharing of the account's quota (additive increase, multiplicative decrease of the rate): throttled twice
 *   in a row means the quota, which every run of the account shares, is exhausted, so the gap grows by a quarter; each
 *   call that goes through shrinks it a little. Runs that share a quota each back off until together they fit in
 *   it, then creep back. A single scattered throttle (random faults are not a quota) only costs a quick retry.
 */
import type { Clock } from './clock.js'

export interface PacingTiming {
  /** The gap after throttling in a row: grows by this factor (never below `minGapMs`)... */
  growth: number
  minGapMs: number
  /** ...up to this... */
  maxGapMs: number
  /** ...and shrinks by this much after each call that went through. */
  shrinkMs: number
}

const DEFAULT_PACING: PacingTiming = { growth: 1.25, minGapMs: 1_500, maxGapMs: 5_000, shrinkMs: 100 }

export class LogPacer {
  private lastCallAt = -Infinity
  private throttledInARow = 0
  /** The fair-share gap; 0 while the account's quota has room. */
  private shareGapMs = 0

  constructor(
    /** From `max-log-requests-per-minute`: the least gap between two calls. */
    private readonly capGapMs = 0,
    private readonly t: PacingTiming = DEFAULT_PACING
  ) {}

  /** The least time between two calls now. */
  gapMs(): number {
    return Math.max(this.capGapMs, this.shareGapMs)
  }

  /** Waits until the next call may go out, and counts it as sent. */
  async slot(clock: Clock, signal?: AbortSignal): Promise<void> {
    const wait = this.lastCallAt + this.gapMs() - clock.now()
    if (wait > 0) await clock.sleep(wait, signal)
    this.lastCallAt = clock.now()
  }

  /** What the call's answer says about the quota. */
  observe(throttled: boolean): void {
    if (!throttled) {
      this.throttledInARow = 0
      this.shareGapMs = Math.max(0, this.shareGapMs - this.t.shrinkMs)
      return
    }
    if (++this.throttledInARow >= 2) this.shareGapMs = Math.min(this.t.maxGapMs, Math.max(this.t.minGapMs, this.shareGapMs * this.t.growth))
  }
}
