/**
 * Writing the build's log into the workflow log. Build output is untrusted text: it is written between
 * `::stop-commands::<token>` and `::<token>::` with a fresh unguessable token, so a line such as
 * `::add-mask::…` or `##[error]…` is shown as text and never taken by the runner as a command.
 * The action's own commands (groups) are only issued outside those spans.
 */
import { randomBytes } from 'node:crypto'
import type { OutputLogEvent } from '@aws-sdk/client-cloudwatch-logs'
import { PHASE_ORDER, parseAgentLine } from '../core/watch/index.js'
import { logLine } from '../core/support/index.js'

export type Write = (text: string) => void

/** Phases folded into a collapsible group: the build's own setup, not the task. */
const GROUPED: Record<string, string> = {
  SUBMITTED: 'CodeBuild: provisioning',
  DOWNLOAD_SOURCE: 'CodeBuild: DOWNLOAD_SOURCE phase',
  INSTALL: 'CodeBuild: INSTALL phase',
  PRE_BUILD: 'CodeBuild: PRE_BUILD phase'
}

function newStopToken(): string {
  return `cbvta-${randomBytes(16).toString('hex')}`
}

/**
 * Writes text that is not the action's own (a build's log, a user's buildspec) so that the runner takes none of
 * it as a workflow command: commands are off between `::stop-commands::<token>` and `::<token>::`, with a fresh
 * unguessable token each time.
 */
export function writeVerbatim(write: Write, lines: readonly string[], token: () => string = newStopToken): void {
  if (lines.length === 0) return
  const t = token()
  write(`::stop-commands::${t}\n${lines.join('\n')}\n::${t}::\n`)
}

/**
 * Groups follow the phases of the build, which only move forward: an agent line entering a phase the build has
 * already reached or passed (or a phase CodeBuild does not have) is text, not a phase change. So once the task runs
 * (BUILD), nothing it prints, however much it looks like the agent's `[Container] … Entering phase PRE_BUILD`, can
 * open a group and fold the rest of its output away.
 */
export class BuildLogPrinter {
  private group: string | undefined
  private started = false
  /** Index in PHASE_ORDER of the furthest phase the log has entered. */
  private reached = -1
  lines = 0

  constructor(
    private readonly write: Write,
    private readonly options: { groups: boolean; token?: () => string } = { groups: true }
  ) {}

  /** Prints one page of events, in order, each once; commands are off while build text is written. */
  print(events: readonly OutputLogEvent[]): void {
    let chunk: string[] = []
    const flush = (): void => {
      writeVerbatim(this.write, chunk, this.options.token)
      chunk = []
    }
    for (const event of events) {
      const line = logLine(event.message)
      if (this.options.groups) {
        const title = this.groupFor(line)
        if (title !== this.group) {
          flush()
          this.setGroup(title)
        }
      }
      chunk.push(line)
      this.lines++
    }
    flush()
  }

  /** Closes an open group; call once the build's log is complete. */
  end(): void {
    this.setGroup(undefined)
  }

  private groupFor(line: string): string | undefined {
    const event = parseAgentLine(line)
    if (!this.started) {
      this.started = true
      if (event?.kind !== 'enter' || !this.enter(event.phase)) {
        this.reached = 0
        return GROUPED.SUBMITTED
      }
      return GROUPED[event.phase]
    }
    if (event?.kind !== 'enter' || !this.enter(event.phase)) return this.group
    return GROUPED[event.phase]
  }

  /** Moves to `phase` when it lies ahead of the furthest phase reached; false for a phase already reached or unknown. */
  private enter(phase: string): boolean {
    const index = (PHASE_ORDER as readonly string[]).indexOf(phase)
    if (index <= this.reached) return false
    this.reached = index
    return true
  }

  private setGroup(title: string | undefined): void {
    if (title === this.group) return
    let text = ''
    if (this.group !== undefined) text += '::endgroup::\n'
    if (title !== undefined) text += `::group::${title}\n`
    this.group = title
    if (text) this.write(text)
  }
}
