/**
 * The events of one log stream, stored column-wise, with the page logic of CloudWatch Logs GetLogEvents.
 *
 * Readability: event i becomes readable at readable[i] = max(timestamp[i] + its ingestion delay, the moment the
 * stream appeared, readable[i-1]). The running max keeps the readable events a prefix of the stream, so a forward
 * token (an index) can never skip an event that becomes readable later, nor return one twice.
 */

/** CloudWatch Logs counts each event as its UTF-8 message bytes plus 26 bytes. */
export const EVENT_OVERHEAD_BYTES = 26
/** GetLogEvents returns at most 1 MB per page ... */
export const MAX_PAGE_BYTES = 1_048_576
/** ... and at most 10,000 events. */
export const MAX_PAGE_EVENTS = 10_000

const TOKEN_DIGITS = 56

export interface PageRequest {
  /** Position parsed from a token, or undefined. */
  token?: { direction: 'f' | 'b'; position: number }
  startFromHead: boolean
  limit: number
  /** Epoch ms, inclusive. */
  startTime?: number
  /** Epoch ms, exclusive. */
  endTime?: number
  /** Epoch ms: the time of the request. */
  now: number
}

export interface Page {
  first: number
  /** exclusive */
  end: number
  nextForwardToken: string
  nextBackwardToken: string
}

export function formatToken(direction: 'f' | 'b', position: number): string {
  return `${direction}/${String(position).padStart(TOKEN_DIGITS, '0')}`
}

export function parseToken(token: string): { direction: 'f' | 'b'; position: number } | undefined {
  const m = /^([fb])\/(\d{1,56})$/.exec(token)
  if (!m || m[1] === undefined || m[2] === undefined) return undefined
  const position = Number(m[2])
  if (!Number.isSafeInteger(position)) return undefined
  return { direction: m[1] as 'f' | 'b', position }
}

export class LogStore {
  /** Epoch ms (integers), non-decreasing. */
  readonly timestamps: number[] = []
  /** Epoch ms at which the event is readable (= its ingestionTime), non-decreasing. */
  readonly readable: number[] = []
  /** Messages, each ending with "\n". */
  readonly messages: string[] = []
  /** UTF-8 bytes of the message + 26. */
  readonly sizes: number[] = []
  /** The ingestion delay the event was given (before the running max). */
  readonly delays: number[] = []

  get length(): number {
    return this.messages.length
  }

  /**
   * Appends an event. `streamAt` (epoch ms) is when the stream appears (events are buffered until then).
   * Timestamps are kept non-decreasing.
   */
  append(timestamp: number, message: string, ingestionDelayMs: number, streamAt: number): void {
    const n = this.messages.length
    const prevTs = n > 0 ? (this.timestamps[n - 1] as number) : -Infinity
    const ts = Math.max(Math.floor(timestamp), prevTs)
    const prevReadable = n > 0 ? (this.readable[n - 1] as number) : -Infinity
    const readable = Math.max(ts + ingestionDelayMs, streamAt, prevReadable)
    this.timestamps.push(ts)
    this.readable.push(Math.ceil(readable))
    this.messages.push(message)
    this.sizes.push(Buffer.byteLength(message, 'utf8') + EVENT_OVERHEAD_BYTES)
    this.delays.push(ingestionDelayMs)
  }

  /** Drops events from index n on (only events not yet readable may be dropped; the caller guarantees it). */
  truncate(n: number): void {
    this.timestamps.length = n
    this.readable.length = n
    this.messages.length = n
    this.sizes.length = n
    this.delays.length = n
  }

  /** Re-derives readability from index `from` on, with new delays (used for the late-ingested tail). */
  redelay(from: number, delayOf: (i: number) => number, streamAt: number): void {
    for (let i = from; i < this.messages.length; i++) {
      const d = delayOf(i)
      this.delays[i] = d
      const prev = i > 0 ? (this.readable[i - 1] as number) : -Infinity
      this.readable[i] = Math.ceil(Math.max((this.timestamps[i] as number) + d, streamAt, prev))
    }
  }

  /** Number of events readable at `now` (epoch ms): the length of the readable prefix. */
  readableCount(now: number): number {
    return upperBound(this.readable, now)
  }

  /** First index whose timestamp is >= t. */
  firstAtOrAfter(t: number): number {
    return lowerBound(this.timestamps, t)
  }

  /** Index of the first event with offset >= `epochMs` (for cutting a build at a time). */
  firstIndexFrom(epochMs: number): number {
    return lowerBound(this.timestamps, Math.ceil(epochMs))
  }

  /** Computes one GetLogEvents page. O(log n + page size). */
  page(req: PageRequest): Page {
    const lo = req.startTime !== undefined ? this.firstAtOrAfter(req.startTime) : 0
    const hiByTime = req.endTime !== undefined ? this.firstAtOrAfter(req.endTime) : this.length
    const hi = Math.max(lo, Math.min(hiByTime, this.readableCount(req.now)))
    const forward = req.token ? req.token.direction === 'f' : req.startFromHead

    if (forward) {
      const start = Math.min(Math.max(req.token ? req.token.position : lo, lo), Math.max(hi, lo))
      let end = start
      let bytes = 0
      while (end < hi && end - start < req.limit) {
        const size = this.sizes[end] as number
        if (end > start && bytes + size > MAX_PAGE_BYTES) break
        bytes += size
        end++
      }
      const fwd = req.token && end === start ? formatToken('f', req.token.position) : formatToken('f', end)
      return { first: start, end, nextForwardToken: fwd, nextBackwardToken: formatToken('b', start) }
    }

    const end = Math.max(Math.min(req.token ? req.token.position : hi, hi), lo)
    let first = end
    let bytes = 0
    while (first > lo && end - first < req.limit) {
      const size = this.sizes[first - 1] as number
      if (first < end && bytes + size > MAX_PAGE_BYTES) break
      bytes += size
      first--
    }
    const back = req.token && first === end ? formatToken('b', req.token.position) : formatToken('b', first)
    return { first, end, nextForwardToken: formatToken('f', end), nextBackwardToken: back }
  }
}

/** First index i with a[i] >= x (a non-decreasing). */
export function lowerBound(a: readonly number[], x: number): number {
  let lo = 0
  let hi = a.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((a[mid] as number) < x) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** First index i with a[i] > x (a non-decreasing). */
export function upperBound(a: readonly number[], x: number): number {
  let lo = 0
  let hi = a.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((a[mid] as number) <= x) lo = mid + 1
    else hi = mid
  }
  return lo
}
