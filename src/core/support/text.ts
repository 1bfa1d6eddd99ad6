/** Text for people: outside text (AWS answers, error messages, build ids) made safe to print in the action's own lines, and durations. */

/** Line breaks and other control characters, which could start a new line the runner would read as a command. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]+/g

/**
 * What a GitHub runner takes as a workflow command in a line of output (actions/runner,
 * src/Runner.Common/ActionCommand.cs): `::` at the start once the line is trimmed (TryParseV2), and the legacy
 * `##[` anywhere in the line (TryParse finds it with IndexOf).
 */
const V2_COMMAND = /^\s*::/
const LEGACY_COMMAND = /##\[/g

/** Marks a line the runner would read as a `::` command; shown to people, it reads as a quotation. */
const COMMAND_MARK = '» '

/** True when the runner would read `line` as a workflow command. */
export function isWorkflowCommand(line: string): boolean {
  return V2_COMMAND.test(line) || line.includes('##[')
}

/**
 * One line of outside text made inert for the runner: a leading `::` behind a mark, every `##[` broken to `# #[`.
 * The one rule for every line the action or the CLI writes itself with outside text in it.
 */
export function defuse(line: string): string {
  const text = line.includes('##[') ? line.replace(LEGACY_COMMAND, '# #[') : line
  return V2_COMMAND.test(text) ? `${COMMAND_MARK}${text}` : text
}

/**
 * One line, no control characters, no workflow command (`defuse`), at most `max` characters: safe to print on its
 * own or inside a line of the action's own words.
 */
export function inline(text: string, max = 1_000): string {
  const flat = defuse(text.replace(CONTROL, ' ').trim())
  return flat.length > max ? `${cutText(flat, max - 1)}…` : flat
}

/** Terminal colour and cursor sequences (ESC [ … final byte), which tools print and people do not read. */
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g

export function stripAnsi(text: string): string {
  return text.includes('\u001b') ? text.replace(ANSI, '') : text
}

/** A duration for people: 42s, 3m 5s, 1h 2m; – when unknown. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '–'
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m ${s % 60}s`
  return `${Math.floor(m / 60)}h ${m % 60}m`
}

/** A line of build output as one line of log: no trailing newline, no stray carriage return. */
export function logLine(message: string | undefined): string {
  let text = message ?? ''
  if (text.endsWith('\n')) text = text.slice(0, -1)
  if (text.endsWith('\r')) text = text.slice(0, -1)
  return text
}

/** The first `max` UTF-16 units of `text`, one fewer when the cut would split a surrogate pair (an emoji). */
export function cutText(text: string, max: number): string {
  // Never half a surrogate pair (half an emoji): the cut moves one code unit back instead.
  if (text.length <= max) return text
  const end = max > 0 && /[\uD800-\uDBFF]/.test(text.charAt(max - 1)) ? max - 1 : max
  return text.slice(0, Math.max(0, end))
}

/** The last `max` code units of `text`, one fewer when that would start with half a surrogate pair. */
export function tailText(text: string, max: number): string {
  if (text.length <= max) return text
  const start = text.length - max
  return text.slice(/[\uDC00-\uDFFF]/.test(text.charAt(start)) ? start + 1 : start)
}

/** Lone UTF-16 surrogates (half an emoji, from a cut elsewhere) as U+FFFD: what String#toWellFormed does (ES2024). */
export function wellFormed(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
}
