/**
 * Tailing a CloudWatch Logs stream with GetLogEvents forward tokens: every event once, in order, whatever the size of
 * the pages AWS answers.
 *
 * How the log is read (the README's "How the log is read" says the same):
 *
 * - The size of a page says nothing about what is behind it. GetLogEvents answers partly full pages while more is
 *   readable (real accounts report ~250-300 events / ~80 KB), and at the live end an empty page with a new forward
 *   token each time; its reference: "partially full or empty pages don't necessarily mean that pagination is
 *   finished". A forward token always goes on from where the last page ended, so the tail only has to keep reading:
 *   nothing is skipped or repeated, whatever a drain's rule for stopping. The rule decides cost and latency only.
 * - During the build, a drain (one poll) reads a page and follows it at once, without waiting for the next poll, when
 *   it looks like a backlog: it holds at least `FOLLOW_EVENTS` events or `FOLLOW_BYTES` bytes (a busy stream: one
 *   call more per hundreds of lines), or its last event was already ingested when the previous page was answered (it
 *   was left behind then: the tail is behind, whatever the page's size). An empty page, or a short fresh one, ends the drain: a new
 *   token on every empty page then costs nothing more than the poll it came with.
 * - After the build's end, pages are asked with `endTime` (the build's end plus a margin): every non-empty page is
 *   followed at once, and the stream is read to its end when an empty page gives back the token it was asked with.
 */
import { GetLogEventsCommand, ResourceNotFoundException } from '@aws-sdk/client-cloudwatch-logs'
import type { CloudWatchLogsClient, OutputLogEvent } from '@aws-sdk/client-cloudwatch-logs'
import { MalformedAnswerError } from '../errors/index.js'

/**
 * A page of at least this many events, or bytes (UTF-8 message + 26 each, as CloudWatch counts), is followed at once:
 * real accounts cut pages at about 250-300 events or 80 KB, so a cut page is busy (and a smaller cut is caught by age).
 */
export const FOLLOW_EVENTS = 200
const FOLLOW_BYTES = 32 * 1024
const EVENT_OVERHEAD = 26
/** An event ingested this long before the previous answer was readable then (CloudWatch's own delay to show it). */
const VISIBILITY_MARGIN_MS = 250

export interface DrainResult {
  events: number
  calls: number
  /** The stream does not exist yet (normal while the build starts). */
  notFound: boolean
  /** Asked with an end time, the same token came back on an empty page: everything before it has been read. */
  reachedEnd: boolean
}

export interface DrainOptions {
  /** Epoch ms: read only events before it, to the stream's end (the drain after the build's end). */
  endTime?: number
  /** Checked before each follow-up call: true ends the drain there (the build has ended, the drain's time is up). */
  stop?: () => boolean
}

/** Runs one call with a signal; `followUp`: a call that follows a page at once (catching up), not a poll. */
export type Caller = <T>(call: (signal: AbortSignal | undefined) => Promise<T>, followUp?: boolean) => Promise<T>

const direct: Caller = call => call(undefined)

export class LogTail {
  private token: string | undefined
  /** Largest delay seen between an event's timestamp and its ingestion: how late CloudWatch delivers. */
  maxIngestionLagMs = 0
  /** When the last page was answered (this machine's clock). */
  private lastAnswerAt = -Infinity
  /**
   * This machine's clock minus CloudWatch's, as far as it shows (an event answered before it was ingested): 0 until
   * then. A clock ahead of CloudWatch's is not learnt (an old page would teach it): there, a page's last event may look
   * left behind when it is not, and the page is followed by one more call (a cost, never a loss).
   */
  private skewMs = 0

  constructor(
    private readonly client: CloudWatchLogsClient,
    readonly group: string,
    readonly stream: string,
    private readonly onEvents: (events: OutputLogEvent[]) => void,
    private readonly now: () => number = Date.now
  ) {}

  /**
   * Reads what is readable now by the rule above. A page that fails throws, with every event before it delivered
   * and the token kept: the next drain goes on from there, nothing lost or repeated.
   */
  async drain(caller: Caller = direct, options: DrainOptions = {}): Promise<DrainResult> {
    const result: DrainResult = { events: 0, calls: 0, notFound: false, reachedEnd: false }
    const { endTime } = options
    for (;;) {
      const sent = this.token
      let page
      try {
        const followUp = result.calls > 0
        result.calls++
        page = await caller(
          signal =>
            this.client.send(
              new GetLogEventsCommand({
                logGroupName: this.group,
                logStreamName: this.stream,
                startFromHead: true,
                nextToken: sent,
                ...(endTime !== undefined ? { endTime } : {})
              }),
              { abortSignal: signal }
            ),
          followUp
        )
      } catch (error) {
        if (error instanceof ResourceNotFoundException) {
          result.notFound = true
          return result
        }
        throw error
      }
      if (!isPage(page)) throw new MalformedAnswerError('GetLogEvents')
      const answeredBefore = this.lastAnswerAt
      this.lastAnswerAt = this.now()
      const events = page.events ?? []
      const next = page.nextForwardToken
      if (next !== undefined) this.token = next
      if (events.length === 0) {
        result.reachedEnd = endTime !== undefined && sent !== undefined && next === sent
        return result
      }
      this.observe(events)
      this.onEvents(events)
      result.events += events.length
      if (next === undefined) return result
      if (endTime === undefined && !this.isBacklog(events, answeredBefore)) return result
      if (options.stop?.()) return result
    }
  }

  /**
   * Whether a page read during the build may have more behind it now: a busy page, or one whose last event was
   * already in CloudWatch when the previous page was answered (it was left behind then: a backlog).
   */
  private isBacklog(events: readonly OutputLogEvent[], answeredBefore: number): boolean {
    const ingested = events.at(-1)?.ingestionTime
    if (ingested !== undefined) this.skewMs = Math.min(this.skewMs, this.now() - ingested)
    if (events.length >= FOLLOW_EVENTS) return true
    let bytes = 0
    for (const e of events) bytes += Buffer.byteLength(e.message ?? '', 'utf8') + EVENT_OVERHEAD
    if (bytes >= FOLLOW_BYTES) return true
    return ingested !== undefined && ingested + this.skewMs < answeredBefore - VISIBILITY_MARGIN_MS
  }

  private observe(events: OutputLogEvent[]): void {
    for (const e of events) {
      if (e.timestamp !== undefined && e.ingestionTime !== undefined) {
        this.maxIngestionLagMs = Math.max(this.maxIngestionLagMs, e.ingestionTime - e.timestamp)
      }
    }
  }
}

function isPage(page: { events?: unknown; nextForwardToken?: unknown }): boolean {
  const eventsOk = page.events === undefined || (Array.isArray(page.events) && page.events.every(e => typeof e === 'object' && e !== null))
  return eventsOk && (page.nextForwardToken === undefined || typeof page.nextForwardToken === 'string')
}
