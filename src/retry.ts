/** The one place that decides what is transient, and how the action's own loops back off. */
import { isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry'

type SdkErrorLike = Parameters<typeof isTransientError>[0]

/** Throttling, 5xx, timeouts and dropped connections: worth trying again later, never a reason to fail. */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  const e = error as unknown as SdkErrorLike
  if (isThrottlingError(e) || isTransientError(e) || isServerError(e)) return true
  const code = (error as { code?: string }).code
  return code !== undefined && ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED', 'UND_ERR_SOCKET'].includes(code)
}

export function isThrottling(error: unknown): boolean {
  return error instanceof Error && isThrottlingError(error as unknown as SdkErrorLike)
}

/** Exponential back-off with full jitter; `reset()` after a success recovers the normal pace at once. */
export class Backoff {
  private failures = 0
  constructor(
    private readonly baseMs: number,
    private readonly capMs: number,
    private readonly random: () => number = Math.random
  ) {}
  get attempts(): number {
    return this.failures
  }
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

export function errorText(error: unknown): string {
  if (error instanceof Error) return error.name && !error.message.startsWith(error.name) ? `${error.name}: ${error.message}` : error.message
  return String(error)
}
