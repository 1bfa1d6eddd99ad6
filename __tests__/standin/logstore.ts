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
/** A token's digits: the position, then a counter that makes each empty page's token new (see `Page`). */
const NONCE_DIGITS = 16

/**
 * How GetLogEvents pages: 'ideal' (pages full up to the limits; the same forward token back at the end of the stream)
 * or as real accounts answer (see the README's fidelity notes): partial pages of varying size while more is readable,
 * and at the live end an empty page with a new forward token each time.
 */
export interface Paging {
  /** The most events and bytes this page may hold (drawn per call by the caller; at least one event is returned). */
  maxEvents: number
  maxBytes: number
  /** Give a new token on an empty page at the live end (a counter, so every token is new). */
  newTokenAt?: number
}

export interface PageRequest {
  /** Position parsed from a token, or undefined. */
  token?: Token
  startFromHead: boolean
  limit: number
  /** Epoch ms, inclusive. */
  startTime?: number
  /** Epoch ms, exclusive. */
  endTime?: number
  /** Epoch ms: the time of the request. */
  now: number
  /** Realistic paging (absent: ideal pages). */
  paging?: Paging
  /** No event with a timestamp before `endTime` can be added any more (the build has ended). */
  streamEnded?: boolean
}

export interface Page {
  first: number
  /** exclusive */
  end: number
  nextForwardToken: string
  nextBackwardToken: string
}

/** A token: the position (and, for the new token of an empty page, a counter in the last 16 digits). */
export function formatToken(direction: 'f' | 'b', position: number, nonce = 0): string {
  return `${direction}/${String(position).padStart(TOKEN_DIGITS - NONCE_DIGITS, '0')}${String(nonce).padStart(NONCE_DIGITS, '0')}`
}

export interface Token {
  direction: 'f' | 'b'
  position: number
  /** The token as sent (given back unchanged at the end of the stream). */
  text: string
}

export function parseToken(token: string): Token | undefined {
  const m = /^([fb])\/(\d{17,56})$/.exec(token)
  if (!m || m[1] === undefined || m[2] === undefined) return undefined
  const position = Number(m[2].slice(0, -NONCE_DIGITS))
  if (!Number.isSafeInteger(position)) return undefined
  return { direction: m[1] as 'f' | 'b', position, text: token }
}

export class LogStore {
  /** @param jitter extra ingestion delay of an event with this timestamp (realistic ingestion; absent: none) */
  constructor(private readonly jitter?: (timestamp: number) => number) {}

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
    const delay = ingestionDelayMs + (this.jitter?.(ts) ?? 0)
    const readable = Math.max(ts + delay, streamAt, prevReadable)
    this.timestamps.push(ts)
    this.readable.push(Math.ceil(readable))
    this.messages.push(message)
    this.sizes.push(Buffer.byteLength(message, 'utf8') + EVENT_OVERHEAD_BYTES)
    this.delays.push(delay)
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
      const maxEvents = Math.min(req.limit, req.paging?.maxEvents ?? Infinity)
      const maxBytes = Math.min(MAX_PAGE_BYTES, req.paging?.maxBytes ?? Infinity)
      let end = start
      let bytes = 0
      while (end < hi && end - start < maxEvents) {
        const size = this.sizes[end] as number
        if (end > start && bytes + size > maxBytes) break
        bytes += size
        end++
      }
      // At the end of what is readable: the same token back (ideal), or a new one for the same position unless the
      // request's endTime is past the stream's end (every event before it is readable and no more can come).
      const atStreamEnd = req.endTime !== undefined && req.streamEnded === true && hiByTime <= this.readableCount(req.now)
      const fresh = req.paging?.newTokenAt !== undefined && !atStreamEnd
      const fwd =
        end === start && fresh
          ? formatToken('f', start, (req.paging?.newTokenAt as number) + 1)
          : req.token && end === start
            ? req.token.text
            : formatToken('f', end)
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
    const back = req.token && first === end ? req.token.text : formatToken('b', first)
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
