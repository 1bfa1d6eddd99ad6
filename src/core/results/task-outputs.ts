/**
 * Task outputs: the values a task reports, as a GitHub step does with $GITHUB_OUTPUT. Inside the task, TASK_OUTPUT is
 * the path of a file it may write in GitHub's format (`name=value` lines, multi-line values as `name<<DELIM` … `DELIM`).
 * The bundled buildspecs carry the file out in ONE CodeBuild exported variable, TASK_OUTPUTS (base64 of the file, set
 * in post_build, which runs after a failed build phase too), that BatchGetBuilds returns in the build's
 * `exportedEnvironmentVariables`. This module is the one reader of that carrier and the one parser of the format:
 * everything in it comes from the task and is hostile (names validated, size bounded, nothing is ever printed as is).
 */
import type { Build } from '@aws-sdk/client-codebuild'
import { StatusType } from '@aws-sdk/client-codebuild'

/** The exported variable that carries the outputs file, base64-encoded (declared in the bundled buildspecs). */
export const TASK_OUTPUTS_VARIABLE = 'TASK_OUTPUTS'
/** The variable that names the outputs file for the task (the bundled buildspecs mount its directory at the same path). */
export const TASK_OUTPUT_VARIABLE = 'TASK_OUTPUT'
/** The largest outputs file carried, in bytes (the buildspec refuses a larger one; base64 makes it a third larger). */
export const MAX_TASK_OUTPUT_BYTES = 16_384
/** At most this many outputs are kept (the first ones; a later line with a kept name still replaces its value). */
export const MAX_TASK_OUTPUTS = 64
/** The names a task may use: GitHub's output names, letters, digits, `_` and `-`. */
const OUTPUT_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/

/** True for a name a task may use. */
export function isOutputName(name: string): boolean {
  return OUTPUT_NAME.test(name)
}
/** What post_build sets instead of base64 when the file is refused: base64 never has a `!`. */
export const REFUSED_TOO_LARGE = '!too-large:'
export const REFUSED_NOT_A_FILE = '!not-a-file'
/** The build could not encode the file: no `base64` or `tr` on its PATH (image mode runs post_build in the image). */
export const REFUSED_NOT_ENCODED = '!not-encoded'
/** What post_build sets when the task wrote no outputs (no file, or an empty one): never '' (see `late`). */
export const NO_OUTPUTS = '!none'

export interface TaskOutput {
  name: string
  value: string
}

export interface TaskOutputs {
  /**
   * captured: TASK_OUTPUTS came back (outputs may be empty); missing: it did not, since the build was stopped or timed
   * out (before post_build ended) or failed before post_build; undeclared: it did not although post_build ran, and the
   * buildspec does not declare it (a custom buildspec that does not carry outputs); late: the buildspec declares it
   * and post_build ran, yet CodeBuild has not reported it (when BatchGetBuilds starts showing exported variables is
   * undocumented: the run asks again for a while, run/follow.ts); refused: the buildspec refused the file (too large,
   * not a regular file).
   */
  state: 'captured' | 'missing' | 'undeclared' | 'late' | 'refused'
  outputs: TaskOutput[]
  /** Lines, names or values left out, and why: for a warning (already safe to show: no outside text but sizes). */
  problems: string[]
  /** Why there are none, when state is not captured: one sentence for the reports. */
  note?: string
}

/**
 * The task's outputs as the build reports them; never throws. `declared`: the buildspec declares TASK_OUTPUTS in
 * `env: exported-variables` (the bundled ones do), so a build whose post_build ran has set it.
 */
export function taskOutputsOf(build: Build, declared = false): TaskOutputs {
  const carried = build.exportedEnvironmentVariables?.find(v => v.name === TASK_OUTPUTS_VARIABLE)
  if (carried === undefined) return missing(build, declared)
  const value = carried.value ?? ''
  if (value.startsWith(REFUSED_TOO_LARGE)) {
    const size = /^\d{1,12}$/.exec(value.slice(REFUSED_TOO_LARGE.length))?.[0] ?? '?'
    return refused(`the task's outputs file was ${size} bytes, over the ${MAX_TASK_OUTPUT_BYTES}-byte limit: none were set`)
  }
  if (value === REFUSED_NOT_A_FILE) return refused("the task's outputs file was not a regular file (a symbolic link?): none were set")
  if (value === REFUSED_NOT_ENCODED)
    return refused("the build could not encode the task's outputs file (no base64 or tr on the image's PATH?): none were set")
  if (value === '' || value === NO_OUTPUTS) return { state: 'captured', outputs: [], problems: [] }
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) return refused('TASK_OUTPUTS was not base64: none were set')
  const bytes = Buffer.from(value, 'base64')
  if (bytes.length > MAX_TASK_OUTPUT_BYTES)
    return refused(`the task's outputs were ${bytes.length} bytes, over the ${MAX_TASK_OUTPUT_BYTES}-byte limit: none were set`)
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes)
  return { state: 'captured', ...parseTaskOutputs(text) }
}

function refused(note: string): TaskOutputs {
  return { state: 'refused', outputs: [], problems: [note], note }
}

function missing(build: Build, declared: boolean): TaskOutputs {
  const none = { outputs: [], problems: [] }
  const status = build.buildStatus ?? ''
  if (status === StatusType.STOPPED || status === StatusType.TIMED_OUT) {
    const note = `no task outputs: the build ended ${status}, and CodeBuild keeps exported variables only when post_build ends`
    return { state: 'missing', ...none, note }
  }
  if (!build.phases?.some(p => p.phaseType === 'POST_BUILD'))
    return { state: 'missing', ...none, note: 'no task outputs: the build ended before its post_build phase, which carries them' }
  if (declared) {
    const note = 'no task outputs: CodeBuild has not reported TASK_OUTPUTS, which the buildspec declares and post_build sets'
    return { state: 'late', ...none, note }
  }
  const note = 'no task outputs: the build reported no TASK_OUTPUTS (a custom buildspec must declare it, see the README)'
  return { state: 'undeclared', ...none, note }
}

/**
 * GitHub's $GITHUB_OUTPUT format: `name=value`, or `name<<DELIM` then the value's lines then a line `DELIM`. Blank
 * lines are skipped; a later line for a name replaces its value (as GitHub does); names are validated; a heredoc
 * without its closing delimiter, a line of neither form and a bad name are left out with a problem each.
 */
export function parseTaskOutputs(text: string): { outputs: TaskOutput[]; problems: string[] } {
  const lines = text.split(/\r?\n/)
  if (lines.at(-1) === '') lines.pop()
  const byName = new Map<string, TaskOutput>()
  const problems: string[] = []
  const set = (name: string, value: string, line: number): void => {
    if (!OUTPUT_NAME.test(name)) {
      problems.push(`line ${line}: not an output name (letters, digits, '_' and '-', at most 64, not starting with a digit or '-')`)
      return
    }
    // GitHub's expressions read outputs case-insensitively: one output per name, whatever its case.
    const key = name.toLowerCase()
    const kept = byName.get(key)
    if (kept) {
      kept.value = value
      problems.push(`line ${line}: ${name} is set again: the last value is kept`)
    } else if (byName.size >= MAX_TASK_OUTPUTS) problems.push(`line ${line}: more than ${MAX_TASK_OUTPUTS} outputs: ${name} is left out`)
    else byName.set(key, { name, value })
  }
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string
    const number = i + 1
    if (line.trim() === '') continue
    // `name<<DELIM` when no `=` comes before the `<<`, else `name=value` (a value may hold `<<`).
    const heredoc = /^([^=]*?)<<(.+)$/.exec(line)
    const eq = line.indexOf('=')
    if (heredoc) {
      const [, name = '', delimiter = ''] = heredoc
      const end = lines.indexOf(delimiter, i + 1)
      if (end < 0) {
        problems.push(`line ${number}: the value's closing delimiter never comes: the rest is left out`)
        break
      }
      set(name, lines.slice(i + 1, end).join('\n'), number)
      i = end
    } else if (eq > 0) set(line.slice(0, eq), line.slice(eq + 1), number)
    else problems.push(`line ${number}: neither name=value nor name<<DELIMITER: left out`)
  }
  return { outputs: [...byName.values()], problems }
}
