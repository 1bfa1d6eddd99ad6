/**
 * The CodeBuild agent's own lines in a build log: `[Container] 2026/11/25 12:00:00.123456 Entering phase BUILD`, or
 * `[Instance] …` on EC2-compute builds. The one home of their format: the phases they report, and which lines of the
 * log are the agent's echo of a command rather than the task's output (AgentLineFilter).
 */
import { logLine } from '../support/index.js'

export type AgentEvent =
  | { kind: 'enter'; phase: string }
  | { kind: 'complete'; phase: string; state: string }
  | { kind: 'context'; statusCode: string; message: string }

/** Both prefixes the agent writes: `[Container]` in a build container, `[Instance]` on an EC2 instance (EC2 compute). */
const AGENT = /^\[(?:Container|Instance)\] \d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)? (.*)$/s
const ENTER = /^(?:Entering phase|Phase is) ([A-Z_]+)\s*$/
const COMPLETE = /^Phase complete: ([A-Z_]+) State: ([A-Z_]+)/
/** The status code may hold spaces: `Secrets Manager Error`, `Parameter Store Error`. */
const CONTEXT = /^Phase context status code: ?(.*?) Message: ?(.*)$/s

/** How the agent echoes a command before running it, and after it failed (`… <command> exit status N`). */
const RUNNING = 'Running command '
const NOT_SUCCESSFUL = 'Command did not exit successfully '
/** The phase context of a failed command: `Error while executing command: <command>. Reason: exit status N`. */
export const COMMAND_ERROR = 'Error while executing command: '
export const REASON = '. Reason: '
const EXIT_TAIL = / exit status -?\d+$/

/** The message of a well-formed agent line (after `[Container] <date> <time> `); undefined for any other line. */
export function agentMessage(line: string): string | undefined {
  return line.startsWith('[') ? AGENT.exec(line)?.[1] : undefined
}

export function parseAgentLine(line: string): AgentEvent | undefined {
  const body = agentMessage(line)
  if (body === undefined) return undefined
  let m = ENTER.exec(body)
  if (m) return { kind: 'enter', phase: m[1] as string }
  m = COMPLETE.exec(body)
  if (m) return { kind: 'complete', phase: m[1] as string, state: m[2] as string }
  m = CONTEXT.exec(body)
  if (m) return { kind: 'context', statusCode: m[1] as string, message: (m[2] as string).trim() }
  return undefined
}

/**
 * An agent line where a command starts or ends: `Running command <command>` (`running`: the command's first line),
 * `Command did not exit successfully …`, a phase line; undefined for any other line.
 */
export function commandBoundary(line: string): { running?: string } | undefined {
  const body = agentMessage(line)
  if (body === undefined) return undefined
  if (body.startsWith(RUNNING)) return { running: body.slice(RUNNING.length).trimEnd() }
  return body.startsWith(NOT_SUCCESSFUL) || parseAgentLine(line) !== undefined ? {} : undefined
}

/**
 * What a line of the build's log is: `task`, the task's output (what the build's commands print); `agent`, a line
 * the agent writes about the build (phases, their context, its own errors); `echo`, the agent's echo of a command
 * (`Running command <command>`, `Command did not exit successfully <command> exit status N`, and the continuation
 * lines of a multi-line command in them or in a phase context): the buildspec's text, never evidence of what happened.
 */
export type LineKind = 'task' | 'agent' | 'echo'

export interface LogLine {
  readonly kind: LineKind
  /** One line, without its line break; an event of several lines written by the agent is kept whole. */
  readonly text: string
}

/** How the last line of an echoed multi-line command ends: as is, with ` exit status N`, or with `. Reason: …`. */
type Ending = 'none' | 'exit' | 'reason'

/**
 * Sorts a build's log into the task's lines and the agent's, event by event. Stateful: the agent echoes a multi-line
 * command (a YAML block scalar, `- |`) line by line, only the first line prefixed, and CloudWatch may hold each line
 * as an event of its own.
 *
 * A multi-line command's continuation lines are recognised by matching them, line by line, with the commands of the
 * buildspec the action sent: after `Running command <its first line>` come its next lines; after `Command did not
 * exit successfully <its first line>` the same, the last one followed by ` exit status N`; after a phase context
 * `… Message: Error while executing command: <its first line>` the same, the last one followed by `. Reason: …`.
 * The first line that differs is read as any other, so the task's output is never taken for the echo. A command the
 * filter was not given is followed only as far as its trailing backslashes continue it. An event of several lines
 * whose first line is the agent's is the agent's whole (one write: a command echoed in one event, a multi-line
 * phase context).
 */
export class AgentLineFilter {
  /** The buildspec's multi-line commands by their first line, each as its lines (trailing blanks dropped). */
  private readonly multiLine = new Map<string, Array<readonly string[]>>()
  /** A multi-line command being echoed: the commands it may be, and the index of the line expected next. */
  private echo: { candidates: Array<readonly string[]>; at: number; ending: Ending } | undefined
  /** The last echoed line ended with a backslash (a command the filter does not know). */
  private backslashed = false

  constructor(commands: readonly string[] = []) {
    for (const command of commands) {
      const lines = command.split(/\r?\n/).map(l => l.trimEnd())
      if (lines.length < 2) continue
      const first = lines[0] as string
      const known = this.multiLine.get(first)
      if (known) known.push(lines)
      else this.multiLine.set(first, [lines])
    }
  }

  /** The lines of one log event's message, each with its kind, in order. */
  classify(message: string): LogLine[] {
    const text = logLine(message)
    if (!text.includes('\n')) return [this.line(text)]
    const lines = text.split(/\r?\n/)
    const first = agentMessage(lines[0] as string)
    if (first === undefined) return lines.map(l => this.line(l))
    this.echo = undefined
    this.backslashed = false
    return [{ kind: first.startsWith(RUNNING) || first.startsWith(NOT_SUCCESSFUL) ? 'echo' : 'agent', text }]
  }

  private line(text: string): LogLine {
    const trimmed = text.trimEnd()
    const message = agentMessage(text)
    // A continuation line is bare; one written with the prefix (not seen so far, but harmless) is matched by its message.
    if (this.echo && this.continues(message === undefined ? trimmed : message.trimEnd())) return { kind: 'echo', text }
    this.echo = undefined
    if (message === undefined) {
      if (!this.backslashed) return { kind: 'task', text }
      this.backslashed = trimmed.endsWith('\\')
      return { kind: 'echo', text }
    }
    this.backslashed = false
    if (message.startsWith(RUNNING)) {
      const command = message.slice(RUNNING.length).trimEnd()
      this.expect(command, 'none')
      this.backslashed = this.echo === undefined && command.endsWith('\\')
      return { kind: 'echo', text }
    }
    if (message.startsWith(NOT_SUCCESSFUL)) {
      this.expect(message.slice(NOT_SUCCESSFUL.length).trimEnd(), 'exit')
      return { kind: 'echo', text }
    }
    const said = CONTEXT.exec(message)?.[2]
    if (said?.startsWith(COMMAND_ERROR)) this.expect(said.slice(COMMAND_ERROR.length).trimEnd(), 'reason')
    return { kind: 'agent', text }
  }

  private expect(firstLine: string, ending: Ending): void {
    const candidates = this.multiLine.get(firstLine)
    this.echo = candidates ? { candidates, at: 1, ending } : undefined
  }

  /** Whether `line` (trailing blanks dropped) is the next line of the command being echoed; moves on if so. */
  private continues(line: string): boolean {
    const echo = this.echo as NonNullable<AgentLineFilter['echo']>
    const going: Array<readonly string[]> = []
    let matched = false
    for (const lines of echo.candidates) {
      const expected = lines[echo.at] as string
      if (echo.at < lines.length - 1) {
        if (line === expected) going.push(lines)
      } else if (endsCommand(line, expected, echo.ending)) matched = true
    }
    this.echo = going.length > 0 ? { ...echo, candidates: going, at: echo.at + 1 } : undefined
    return matched || going.length > 0
  }
}

/** `line` is `expected`, the last line of a command, as the agent ends it. */
function endsCommand(line: string, expected: string, ending: Ending): boolean {
  if (ending === 'none') return line === expected
  if (ending === 'exit') {
    const tail = EXIT_TAIL.exec(line)
    return tail !== null && line.slice(0, tail.index).trimEnd() === expected
  }
  const at = line.lastIndexOf(REASON)
  return at >= 0 && line.slice(0, at).trimEnd() === expected
}

/** Every phase of a build, in the order CodeBuild runs them: phases only move forward. */
export const PHASE_ORDER = [
  'SUBMITTED',
  'QUEUED',
  'PROVISIONING',
  'DOWNLOAD_SOURCE',
  'INSTALL',
  'PRE_BUILD',
  'BUILD',
  'POST_BUILD',
  'UPLOAD_ARTIFACTS',
  'FINALIZING',
  'COMPLETED'
] as const

/** Phases whose progress the agent writes to the log, in order. */
export const LOGGED_PHASES = ['DOWNLOAD_SOURCE', 'INSTALL', 'PRE_BUILD', 'BUILD', 'POST_BUILD', 'UPLOAD_ARTIFACTS'] as const

/** Phases after which the build is about to end: the status is worth checking at once. */
export const ENDING_PHASES = new Set(['POST_BUILD', 'UPLOAD_ARTIFACTS', 'FINALIZING', 'COMPLETED'])

/** Follows the agent's lines (either prefix) to know which phase's end the log has shown. */
export class PhaseProgress {
  lastCompleted: string | undefined
  /** The context line that follows the last `Phase complete` has been seen whole: that phase's lines are all in. */
  lastCompletedSettled = false
  /**
   * That context quotes a multi-line command (`Error while executing command: <first line>`) written one line an
   * event: it is whole once its `. Reason: …` line is in.
   */
  private reasonPending = false

  observe(line: string): AgentEvent | undefined {
    const event = parseAgentLine(line)
    if (!event) {
      if (this.reasonPending && line.includes(REASON)) {
        this.reasonPending = false
        this.lastCompletedSettled = true
      }
      return undefined
    }
    this.reasonPending = false
    if (event.kind === 'complete') {
      this.lastCompleted = event.phase
      this.lastCompletedSettled = false
    } else if (event.kind === 'context' && this.lastCompleted !== undefined) {
      this.reasonPending = event.message.startsWith(COMMAND_ERROR) && !event.message.includes(REASON)
      this.lastCompletedSettled = !this.reasonPending
    }
    return event
  }

  /** True when the log has shown the end of `phase`, including its context line. */
  hasShownEndOf(phase: string | undefined): boolean {
    return phase !== undefined && this.lastCompleted === phase && this.lastCompletedSettled
  }
}
