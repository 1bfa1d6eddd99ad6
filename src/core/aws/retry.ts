/** How the action's own loops wait between tries, and how long one call may take. */
import { abortReason } from '../support/index.js'
import type { Clock } from '../support/index.js'

/** Exponential back-off with full jitter; `reset()` after a success recovers the normal pace at once. */
export class Backoff {
  private failures = 0
  constructor(
    private readonly baseMs: number,
    private readonly capMs: number,
    private readonly random: () => number = Math.random
  ) {}
  /** The delay before the next try after one more failure. */
  next(): number {
    const ceiling = Math.min(this.capMs, this.baseMs * 2 ** this.failures)
    this.failures++
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2)
  }
  reset(): void {
    this.failures = 0
  }
}

/** A call abandoned by the action because it took longer than its time limit (not a cancellation). */
class CallTimeoutError extends Error {
  override name = 'CallTimeoutError'
  constructor(readonly ms: number) {
    super(`no answer within ${Math.round(ms / 1000)} s`)
  }
}

/**
 * Runs `call` with a signal that aborts when `parent` aborts (cancellation: its reason is kept) or when `ms` have
 * passed on `clock` (a CallTimeoutError). Written by hand rather than with AbortSignal.timeout so the limit runs
 * on the injected clock in tests.
 */
export async function withTimeLimit<T>(
  clock: Clock,
  ms: number,
  parent: AbortSignal | undefined,
  call: (signal: AbortSignal) => Promise<T>
): Promise<T> {
  parent?.throwIfAborted()
  const controller = new AbortController()
  const timer = new AbortController()
  const onParentAbort = (): void => controller.abort(abortReason(parent))
  parent?.addEventListener('abort', onParentAbort, { once: true })
  clock.sleep(ms, timer.signal).then(
    () => controller.abort(new CallTimeoutError(ms)),
    () => undefined
  )
  const abandoned = new Promise<never>((_, reject) => {
    controller.signal.addEventListener('abort', () => reject(abortReason(controller.signal)), { once: true })
  })
  abandoned.catch(() => undefined)
  try {
    // The race also covers a call that ignores its signal: the action moves on either way.
    return await Promise.race([call(controller.signal), abandoned])
  } finally {
    timer.abort()
    parent?.removeEventListener('abort', onParentAbort)
  }
}
