/**
 * The cap on GetLogEvents calls of one run (`max-log-requests-per-minute`): every call waits for its slot, the pages
 * of a drain, the retries and the drain after the build's end included, so the cap bounds every request the run makes
 * to CloudWatch Logs (its client makes one attempt per call).
 */
import type { Clock } from './clock.js'

export class LogPacer {
  private lastCallAt = -Infinity

  constructor(
    /** The least gap between two calls: 60 s / max-log-requests-per-minute, 0 without a cap. */
    private readonly gapMs = 0
  ) {}

  /** Waits until the next call may go out, and counts it as sent. */
  async slot(clock: Clock, signal?: AbortSignal): Promise<void> {
    const wait = this.lastCallAt + this.gapMs - clock.now()
    if (wait > 0) await clock.sleep(wait, signal)
    this.lastCallAt = clock.now()
  }
}
