/** Tailing a CloudWatch Logs stream with GetLogEvents forward tokens: every event once, in order. */
import { GetLogEventsCommand, ResourceNotFoundException } from '@aws-sdk/client-cloudwatch-logs'
import type { CloudWatchLogsClient, OutputLogEvent } from '@aws-sdk/client-cloudwatch-logs'
import { MalformedAnswerError } from './aws-errors.js'

/** GetLogEvents answers at most 10,000 events or 1 MB; a page near either limit may have more behind it. */
const PAGE_EVENTS = 10_000
const PAGE_BYTES = 1_048_576
const MAX_EVENT_BYTES = 262_144
const EVENT_OVERHEAD = 26
/** Empty pages with a new token are followed, but only this many in a row per drain. */
const MAX_EMPTY_PAGES = 5

export interface DrainResult {
  events: number
  calls: number
  /** The stream does not exist yet (normal while the build starts). */
  notFound: boolean
}

/** Runs one call with a signal (the watch loop's time limit and cancellation). */
export type Caller = <T>(call: (signal: AbortSignal | undefined) => Promise<T>) => Promise<T>

const direct: Caller = call => call(undefined)

export class LogTail {
  private token: string | undefined
  /** Largest delay seen between an event's timestamp and its ingestion: how late CloudWatch delivers. */
  maxIngestionLagMs = 0

  constructor(
    private readonly client: CloudWatchLogsClient,
    readonly group: string,
    readonly stream: string,
    private readonly onEvents: (events: OutputLogEvent[]) => void
  ) {}

  /**
   * Reads everything readable now, following full pages without pause. A page that fails throws, with every event
   * before it delivered and the token kept: the next drain goes on from there, nothing lost or repeated.
   */
  async drain(caller: Caller = direct): Promise<DrainResult> {
    const result: DrainResult = { events: 0, calls: 0, notFound: false }
    let emptyPages = 0
    for (;;) {
      const sent = this.token
      let page
      try {
        result.calls++
        page = await caller(signal =>
          this.client.send(
            new GetLogEventsCommand({ logGroupName: this.group, logStreamName: this.stream, startFromHead: true, nextToken: sent }),
            { abortSignal: signal }
          )
        )
      } catch (error) {
        if (error instanceof ResourceNotFoundException) {
          result.notFound = true
          return result
        }
        throw error
      }
      if (!isPage(page)) throw new MalformedAnswerError('GetLogEvents')
      const events = page.events ?? []
      if (events.length > 0) {
        this.observe(events)
        this.onEvents(events)
        result.events += events.length
        emptyPages = 0
      } else emptyPages++
      const next = page.nextForwardToken
      if (next === undefined || next === sent) return result
      this.token = next
      if (!mayHaveMore(events) || emptyPages >= MAX_EMPTY_PAGES) return result
    }
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

/** A page that hit either limit, or an empty page with a new token, may have more behind it. */
export function mayHaveMore(events: readonly OutputLogEvent[]): boolean {
  if (events.length === 0 || events.length >= PAGE_EVENTS) return true
  let bytes = 0
  for (const e of events) bytes += Buffer.byteLength(e.message ?? '', 'utf8') + EVENT_OVERHEAD
  return bytes > PAGE_BYTES - MAX_EVENT_BYTES - EVENT_OVERHEAD
}
