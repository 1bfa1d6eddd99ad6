/**
 * The CLI's terminal output: headings for the build's phases, the setup phases as one updating line on a TTY,
 * the build's output as text (no control sequence but colours on a TTY, none at all otherwise), and never a line
 * a GitHub runner would take as a workflow command, should the CLI itself run in a workflow step.
 */
import type { OutputLogEvent } from '@aws-sdk/client-cloudwatch-logs'
import { PHASE_ORDER, parseAgentLine } from '../core/watch/index.js'
import { redactText } from '../core/plan/index.js'
import { defuse, logLine } from '../core/support/index.js'

export interface Stream {
  write(text: string): unknown
  isTTY?: boolean
  columns?: number
}

/** FORCE_COLOR (anything but 0/false) turns colours on, NO_COLOR off; otherwise colours when the output is a TTY. */
export function colorsWanted(env: NodeJS.ProcessEnv, isTTY: boolean): boolean {
  const force = env.FORCE_COLOR
  if (force !== undefined && force !== '') return force !== '0' && force !== 'false'
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  return isTTY
}

// eslint-disable-next-line no-control-regex
const SGR = /\u001b\[[0-9;:]*m/g
/** Any escape sequence: CSI, OSC (up to BEL or ST), DCS/SOS/PM/APC, or a lone two-character one. */
// eslint-disable-next-line no-control-regex
const ESCAPE = /\u001b(?:\[[0-?]*[ -/]*[@-~]|[\]PX^_][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[ -~]?)/g
/**
 * Control characters, and the bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200E/U+200F, U+061C) that
 * reorder what a terminal shows: text that reads one way and is another (CVE-2021-42574, "Trojan Source").
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000a-\u001a\u001c-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g

/**
 * A line of the build's output made safe to print: colour sequences kept only when `colors`, every other escape
 * sequence and control character removed (a build cannot move the cursor, retitle the terminal or write the
 * clipboard), and nothing a GitHub runner would take as a workflow command (`defuse`: a leading `::` behind a
 * marker, `##[` anywhere broken).
 */
export function neutralise(line: string, colors: boolean): string {
  const clean = (part: string): string => part.replace(ESCAPE, '').replace(CONTROL, '')
  let text = ''
  let last = 0
  let coloured = false
  for (const m of line.matchAll(SGR)) {
    const keep = colors && isColour(m[0])
    text += clean(line.slice(last, m.index)) + (keep ? m[0] : '')
    coloured ||= keep
    last = m.index + m[0].length
  }
  text += clean(line.slice(last))
  if (coloured) text += '\u001b[0m'
  return defuse(text)
}

/** Attributes a build may set: colours, bold, faint, italic, underline, strike-through, and their resets. */
const COLOUR_ATTRIBUTES = /^(?:0?|1|2|3|4|9|2[1-49]|3[0-79]|4[0-79]|9[0-7]|10[0-7])$/

/**
 * An SGR sequence that only sets colours and such: not hidden text (8), blinking (5, 6) or reverse video (7),
 * which a build could use to hide or disguise what the reader sees. Extended colours (38/48/58;5;n and ;2;r;g;b).
 */
function isColour(sgr: string): boolean {
  const params = sgr.slice(2, -1).split(/[;:]/)
  for (let i = 0; i < params.length; i++) {
    const p = params[i] as string
    if (p === '38' || p === '48' || p === '58') {
      const mode = params[i + 1]
      if (mode === '5') i += 2
      else if (mode === '2') i += 4
      else return false
      if (i >= params.length) return false
    } else if (!COLOUR_ATTRIBUTES.test(p)) return false
  }
  return true
}

/** The CLI's own words with outside text in them: one line, no control characters, secret-looking parts as ***. */
function plain(text: string): string {
  return defuse(redactText(text.replace(ESCAPE, '').replace(CONTROL, ' ')))
}

const SETUP: ReadonlySet<string> = new Set<string>(PHASE_ORDER.slice(0, PHASE_ORDER.indexOf('BUILD')))

export class Terminal {
  readonly tty: boolean
  readonly colors: boolean
  private progressShown = false
  /** Index in PHASE_ORDER of the furthest phase the log has entered: phases only move forward. */
  private reached = -1
  private phase: string | undefined
  lines = 0

  constructor(
    private readonly out: Stream,
    env: NodeJS.ProcessEnv
  ) {
    this.tty = out.isTTY === true
    this.colors = colorsWanted(env, this.tty)
  }

  paint(code: string, text: string): string {
    return this.colors ? `\u001b[${code}m${text}\u001b[0m` : text
  }

  private emit(text: string): void {
    this.clearProgress()
    this.out.write(`${text}\n`)
  }

  heading(title: string): void {
    this.emit(this.paint('1;36', `── ${plain(title)} ──`))
  }

  info(message: string): void {
    this.emit(plain(message))
  }

  note(message: string): void {
    this.emit(this.paint('2', plain(message)))
  }

  warn(message: string): void {
    this.emit(this.paint('33', `warning: ${plain(message)}`))
  }

  error(message: string): void {
    for (const line of message.split('\n')) this.emit(this.paint('31', plain(line)))
  }

  /** On a TTY, one line rewritten in place; elsewhere nothing (the lines themselves are printed). */
  progress(text: string): void {
    if (!this.tty) return
    const width = Math.max(20, (this.out.columns ?? 100) - 1)
    const flat = plain(text)
    this.out.write(`\r\u001b[2K${this.paint('2', flat.length > width ? `${flat.slice(0, width - 1)}…` : flat)}`)
    this.progressShown = true
  }

  clearProgress(): void {
    if (!this.progressShown) return
    this.out.write('\r\u001b[2K')
    this.progressShown = false
  }

  /** A page of the build's log: a heading when a phase starts; setup phases on one updating line on a TTY. */
  events(events: readonly OutputLogEvent[]): void {
    for (const e of events) {
      const line = logLine(e.message)
      const event = parseAgentLine(line)
      if (this.phase === undefined) this.enterPhase(event?.kind === 'enter' && this.advance(event.phase) ? event.phase : 'SUBMITTED')
      else if (event?.kind === 'enter' && this.advance(event.phase)) this.enterPhase(event.phase)
      this.lines++
      if (this.tty && SETUP.has(this.phase as string)) this.progress(`${this.phase} · ${line.trim()}`)
      else this.emit(neutralise(line, this.colors))
    }
  }

  private advance(phase: string): boolean {
    const index = (PHASE_ORDER as readonly string[]).indexOf(phase)
    if (index <= this.reached) return false
    this.reached = index
    return true
  }

  private enterPhase(phase: string): void {
    this.reached = Math.max(this.reached, (PHASE_ORDER as readonly string[]).indexOf(phase))
    this.phase = phase
    if (this.tty && SETUP.has(phase)) this.progress(`${phase} …`)
    else this.heading(phase)
  }

  /** A table: the first column padded; every cell outside text made plain. */
  table(table: ReadonlyArray<readonly string[]>): void {
    const rows = table.map(row => row.map(plain))
    const widths: number[] = []
    for (const row of rows) row.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, [...c].length)))
    for (const row of rows)
      this.emit(
        '  ' +
          row
            .map((c, i) => (i === row.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - [...c].length)))
            .join('  ')
            .trimEnd()
      )
  }
}
