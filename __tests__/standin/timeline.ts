/**
 * Compiles a BuildScript into a timeline: the phases with their start/end offsets and statuses, and the log lines
 * (CodeBuild agent lines in CodeBuild's format around the script's command output), all relative to the build's
 * start. Pure: the same script, start time and seed give the same timeline.
 */
import { parse as parseYaml } from 'yaml'
import { Prng } from './prng.js'
import type {
  BuildScript,
  LineGenerator,
  OutputPiece,
  PhaseContext,
  PhaseStatus,
  PhaseType,
  ScriptCommand,
  ScriptPhase,
  TerminalStatus,
  TimedLine
} from './types.js'

export interface PhaseSpan {
  type: PhaseType
  /** ms from the build's start */
  start: number
  /** ms from the build's start; null for COMPLETED */
  end: number | null
  status: PhaseStatus
  contexts?: PhaseContext[]
}

export interface ScriptLine {
  /** ms from the build's start */
  at: number
  /** without the trailing "\n" */
  text: string
  /** true for CodeBuild agent lines ("[Container] ..." / "[Instance] ...") */
  agent: boolean
  /**
   * An agent line after the first of a multi-line text (a multi-line command in `Running command`, `Command did not
   * exit successfully` or a phase context): the agent writes it bare, without the prefix and time.
   */
  continuation?: true
}

export interface ResolvedCommand {
  phase: ScriptPhase
  command: string
  exitStatus: number
  /** The variables it sets (the script command's `exports`). */
  exports?: Record<string, string>
  /** ms from the build's start */
  start: number
  end: number
}

export interface CompiledTimeline {
  phases: PhaseSpan[]
  lines: ScriptLine[]
  commands: ResolvedCommand[]
  /** ms from the build's start at which the build reaches its terminal status (= COMPLETED's start). */
  endOffset: number
  status: TerminalStatus
  /** ms from the build's start; null = the stream never appears. */
  streamAt: number | null
}

export interface CompileInput {
  script: BuildScript
  /** epoch ms of the build's start (for the agent's timestamps) */
  startEpochMs: number
  /** uuid part of the build id */
  uuid: string
  buildspec: string | undefined
  validateBuildspec: boolean
  rng: Prng
}

const DEFAULTS = {
  submittedMs: 15,
  queuedMs: 25,
  provisioningMs: 80,
  downloadSourceMs: 30,
  installMs: 5,
  commandMs: 10,
  silentCommandMs: 10,
  postBuildMs: 5,
  uploadArtifactsMs: 15,
  finalizingMs: 25,
  lineGapMs: 2
} as const

/** Spacing of consecutive agent lines at one moment (ms): they share a timestamp millisecond but keep order. */
const AGENT_STEP = 0.01

const SCRIPT_PHASES: readonly ScriptPhase[] = ['INSTALL', 'PRE_BUILD', 'BUILD', 'POST_BUILD']
const YAML_KEY: Record<ScriptPhase, string> = {
  INSTALL: 'install',
  PRE_BUILD: 'pre_build',
  BUILD: 'build',
  POST_BUILD: 'post_build'
}

// ---------------------------------------------------------------------------------------------------------------
// Agent line format
// ---------------------------------------------------------------------------------------------------------------

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0')
}

/**
 * The agent's prefix: `Container` in a build container; `Instance` where the agent runs on the EC2 instance itself
 * (EC2 compute, as published CodeBuild logs show; see the README's fidelity notes).
 */
export type AgentPrefix = 'Container' | 'Instance'

/**
 * `[Container] 2026/11/25 12:00:00.123456 <text>` for an epoch-ms time (UTC). The microseconds come from the
 * fraction of `epochMs`, so lines logged in one millisecond keep increasing times, as the agent's do.
 */
export function agentLine(epochMs: number, text: string, prefix: AgentPrefix = 'Container'): string {
  const ms = Math.floor(epochMs)
  const micros = Math.min(999, Math.max(0, Math.floor((epochMs - ms) * 1000)))
  const d = new Date(ms)
  const date = `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1, 2)}/${pad(d.getUTCDate(), 2)}`
  const time = `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`
  const frac = pad(d.getUTCMilliseconds() * 1000 + micros, 6)
  return `[${prefix}] ${date} ${time}.${frac} ${text}`
}

/** The text part of the `Phase complete` / `Phase context` pair the agent prints at the end of each phase. */
export function phaseCompleteLines(phase: PhaseType, status: PhaseStatus, context?: PhaseContext): string[] {
  return [
    `Phase complete: ${phase} State: ${status}`,
    `Phase context status code: ${context?.statusCode ?? ''} Message: ${context?.message ?? ''}`
  ]
}

export function commandFailedContext(command: string, exitStatus: number): PhaseContext {
  return {
    statusCode: 'COMMAND_EXECUTION_ERROR',
    message: `Error while executing command: ${command}. Reason: exit status ${exitStatus}`
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Buildspec
// ---------------------------------------------------------------------------------------------------------------

export interface ParsedBuildspec {
  ok: boolean
  error?: string
  commands: Partial<Record<ScriptPhase, string[]>>
}

/** The names a buildspec declares in `env: exported-variables` (none when it cannot be read). */
export function exportedVariableNames(text: string | undefined): string[] {
  try {
    const env = (parseYaml(text ?? '') as { env?: { 'exported-variables'?: unknown } } | null)?.env
    const names = env?.['exported-variables']
    return Array.isArray(names) ? names.filter((n): n is string => typeof n === 'string') : []
  } catch {
    return []
  }
}

export function parseBuildspec(text: string): ParsedBuildspec {
  let doc: unknown
  try {
    doc = parseYaml(text)
  } catch (e) {
    const msg = e instanceof Error ? (e.message.split('\n')[0] ?? e.message) : String(e)
    return { ok: false, error: `YAML_FILE_ERROR: ${msg}`, commands: {} }
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    return { ok: false, error: 'YAML_FILE_ERROR: the buildspec is not a YAML mapping', commands: {} }
  }
  const root = doc as Record<string, unknown>
  if (root['version'] === undefined) {
    return { ok: false, error: 'YAML_FILE_ERROR: missing required field: version', commands: {} }
  }
  const phases = root['phases']
  if (phases === null || typeof phases !== 'object' || Array.isArray(phases)) {
    return { ok: false, error: 'YAML_FILE_ERROR: missing or invalid field: phases', commands: {} }
  }
  const commands: Partial<Record<ScriptPhase, string[]>> = {}
  for (const phase of SCRIPT_PHASES) {
    const p = (phases as Record<string, unknown>)[YAML_KEY[phase]]
    if (p === undefined || p === null) continue
    if (typeof p !== 'object' || Array.isArray(p)) {
      return { ok: false, error: `YAML_FILE_ERROR: invalid phase: ${YAML_KEY[phase]}`, commands: {} }
    }
    const cmds = (p as Record<string, unknown>)['commands']
    if (cmds === undefined || cmds === null) continue
    if (!Array.isArray(cmds)) {
      return { ok: false, error: `YAML_FILE_ERROR: commands of ${YAML_KEY[phase]} must be a list`, commands: {} }
    }
    commands[phase] = cmds.map(c => (typeof c === 'string' ? c : JSON.stringify(c)))
  }
  return { ok: true, commands }
}

interface PlannedCommand {
  text: string
  spec: ScriptCommand | undefined
}

/**
 * What a buildspec command nothing claims sets: nothing, but for the bundled buildspecs' post_build command that
 * carries the task's outputs (`… export TASK_OUTPUTS`), which sets its mark for "no outputs" (`!none`,
 * scripts/buildspec-commands.ts), as it does for a task that wrote none: a script that says nothing of outputs
 * plays such a task.
 */
function silentExports(command: string): Record<string, string> | undefined {
  return /\bexport TASK_OUTPUTS\b/.test(command) ? { TASK_OUTPUTS: '!none' } : undefined
}

function plainRegExp(re: RegExp): RegExp {
  return new RegExp(re.source, re.flags.replace(/[gy]/g, ''))
}

/** Matches the script's commands of a phase to the buildspec's (see ScriptCommand.command). */
export function planCommands(
  phase: ScriptPhase,
  scriptCommands: readonly ScriptCommand[],
  buildspecCommands: readonly string[] | undefined
): PlannedCommand[] {
  const textOf = (sc: ScriptCommand, i: number): string => {
    if (typeof sc.command === 'string') return sc.command
    if (sc.fallback !== undefined) return sc.fallback
    if (sc.command instanceof RegExp) return sc.command.source
    return `echo "${phase.toLowerCase()} step ${i + 1}"`
  }
  if (!buildspecCommands) {
    return scriptCommands.map((sc, i) => ({ text: textOf(sc, i), spec: sc }))
  }
  const claimed: Array<ScriptCommand | undefined> = buildspecCommands.map(() => undefined)
  const unplaced: ScriptCommand[] = []
  for (const sc of scriptCommands) {
    let idx = -1
    if (sc.command instanceof RegExp) {
      const re = plainRegExp(sc.command)
      idx = buildspecCommands.findIndex((c, i) => claimed[i] === undefined && re.test(c))
      // the buildspec decides what runs: a pattern that matches none of its commands is not run
      if (idx < 0) continue
    } else if (typeof sc.command === 'string') {
      idx = buildspecCommands.findIndex((c, i) => claimed[i] === undefined && c === sc.command)
    } else {
      idx = claimed.findIndex(c => c === undefined)
    }
    if (idx >= 0) claimed[idx] = sc
    else unplaced.push(sc)
  }
  const planned: PlannedCommand[] = buildspecCommands.map((c, i) => ({ text: c, spec: claimed[i] }))
  unplaced.forEach((sc, i) => planned.push({ text: textOf(sc, planned.length + i), spec: sc }))
  return planned
}

// ---------------------------------------------------------------------------------------------------------------
// Compiler
// ---------------------------------------------------------------------------------------------------------------

function isTimed(p: OutputPiece): p is TimedLine {
  return typeof p === 'object' && 'atMs' in p
}

function isGenerator(p: OutputPiece): p is LineGenerator {
  return typeof p === 'object' && 'count' in p
}

export function compileTimeline(input: CompileInput): CompiledTimeline {
  const { script, rng } = input
  const verbosity = script.agentLines ?? 'full'
  const phases: PhaseSpan[] = []
  const lines: ScriptLine[] = []
  const commands: ResolvedCommand[] = []
  let t = 0
  let status: TerminalStatus = 'SUCCEEDED'

  const task = (at: number, text: string): void => {
    lines.push({ at, text, agent: false })
  }
  /**
   * Agent lines at `at`, in order; returns the time after them. A text of several lines (a multi-line command
   * echoed) is written line by line, one event each, only the first with the prefix.
   */
  const agent = (at: number, texts: string[], level: 'full' | 'minimal' = 'minimal'): number => {
    let when = at
    if (verbosity === 'none' || (level === 'full' && verbosity !== 'full')) return at
    for (const text of texts) {
      text.split('\n').forEach((part, i) => {
        lines.push(i === 0 ? { at: when, text: part, agent: true } : { at: when, text: part, agent: true, continuation: true })
        when += AGENT_STEP
      })
    }
    return when
  }
  const phase = (type: PhaseType, start: number, end: number, st: PhaseStatus, contexts?: PhaseContext[]): void => {
    const span: PhaseSpan = { type, start, end, status: st }
    if (contexts) span.contexts = contexts
    phases.push(span)
  }
  const emptyContext: PhaseContext[] = [{ statusCode: '', message: '' }]

  const fault = script.fault
  const failWith = (st: 'FAILED' | 'FAULT'): void => {
    if (status === 'SUCCEEDED') status = st
  }

  // SUBMITTED, QUEUED
  const submittedEnd = t + (script.submittedMs ?? DEFAULTS.submittedMs)
  phase('SUBMITTED', t, submittedEnd, 'SUCCEEDED')
  t = submittedEnd
  const queuedEnd = t + (script.queuedMs ?? DEFAULTS.queuedMs)
  phase('QUEUED', t, queuedEnd, 'SUCCEEDED')
  t = queuedEnd

  // PROVISIONING
  const provStart = t
  const provEnd = t + (script.provisioningMs ?? DEFAULTS.provisioningMs)
  t = provEnd
  let agentStarted = false
  /** The phase a failure jumps to: 'FINALIZING', 'POST_BUILD' or 'UPLOAD_ARTIFACTS'. */
  let skipTo: PhaseType | undefined

  if (fault?.phase === 'PROVISIONING') {
    const st = fault.status ?? 'FAILED'
    phase('PROVISIONING', provStart, provEnd, st, [{ statusCode: fault.statusCode, message: fault.message }])
    failWith(st)
    skipTo = 'FINALIZING'
  } else {
    phase('PROVISIONING', provStart, provEnd, 'SUCCEEDED', emptyContext)
    agentStarted = true
    // The agent's first lines appear at the very end of PROVISIONING.
    agent(provEnd - 3 * AGENT_STEP, ['Running on CodeBuild On-demand', 'Waiting for agent ping', 'Waiting for DOWNLOAD_SOURCE'], 'full')
  }

  // DOWNLOAD_SOURCE
  const bs = input.buildspec !== undefined ? parseBuildspec(input.buildspec) : undefined
  if (skipTo === undefined) {
    const start = t
    const end = start + (script.downloadSourceMs ?? DEFAULTS.downloadSourceMs)
    const srcDir = `/codebuild/output/src${rng.int(100000000, 999999999)}/src`
    let at = agent(start, ['Phase is DOWNLOAD_SOURCE'], 'full')
    at = agent(
      at,
      [`CODEBUILD_SRC_DIR=${srcDir}`, 'YAML location is /codebuild/readonly/buildspec.yml', 'Processing environment variables'],
      'full'
    )
    const yamlError = input.validateBuildspec && bs && !bs.ok ? bs.error : undefined
    if (fault?.phase === 'DOWNLOAD_SOURCE' || yamlError !== undefined) {
      const st = fault?.phase === 'DOWNLOAD_SOURCE' ? (fault.status ?? 'FAILED') : 'FAILED'
      const ctx: PhaseContext =
        fault?.phase === 'DOWNLOAD_SOURCE'
          ? { statusCode: fault.statusCode, message: fault.message }
          : { statusCode: 'YAML_FILE_ERROR', message: yamlError ?? '' }
      agent(Math.max(at, end), [...(fault?.lines ?? []), ...phaseCompleteLines('DOWNLOAD_SOURCE', st, ctx)])
      phase('DOWNLOAD_SOURCE', start, end, st, [ctx])
      failWith(st)
      skipTo = 'FINALIZING'
    } else {
      const countOf = (p: ScriptPhase): number =>
        bs
          ? (bs.commands[p]?.length ?? 0)
          : ({ INSTALL: script.install, PRE_BUILD: script.preBuild, BUILD: script.build, POST_BUILD: script.postBuild }[p]?.length ?? 0)
      const counts = SCRIPT_PHASES.map(p => [p, countOf(p)] as const).filter(([, n]) => n > 0)
      at = agent(
        at,
        [
          'No runtime version selected in buildspec.',
          `Moving to directory ${srcDir}`,
          'Unable to initialize cache download: no paths specified to be cached',
          `Configuring ssm agent with target id: codebuild:${input.uuid}`,
          'Successfully updated ssm agent configuration',
          'Registering with agent',
          `Phases found in YAML: ${counts.length}`,
          ...counts.map(([p, n]) => ` ${p}: ${n} commands`)
        ],
        'full'
      )
      agent(Math.max(at, end - 2 * AGENT_STEP), phaseCompleteLines('DOWNLOAD_SOURCE', 'SUCCEEDED'))
      phase('DOWNLOAD_SOURCE', start, end, 'SUCCEEDED', emptyContext)
    }
    t = end
  }

  // INSTALL, PRE_BUILD, BUILD, POST_BUILD
  const scriptOf: Record<ScriptPhase, ScriptCommand[] | undefined> = {
    INSTALL: script.install,
    PRE_BUILD: script.preBuild,
    BUILD: script.build,
    POST_BUILD: script.postBuild
  }
  for (const p of SCRIPT_PHASES) {
    if (skipTo !== undefined && skipTo !== p) continue
    if (skipTo === p) skipTo = undefined
    const start = t
    let at = agent(start, [`Entering phase ${p}`])
    const planned = planCommands(p, scriptOf[p] ?? [], bs?.ok ? (bs.commands[p] ?? []) : undefined)
    let failed: { command: string; exitStatus: number } | undefined
    for (const pc of planned) {
      const cmdStart = at
      at = agent(at, [`Running command ${pc.text}`])
      const spec = pc.spec
      let cursor = at
      let last = at
      if (spec?.output) {
        const gap = spec.lineGapMs ?? DEFAULTS.lineGapMs
        for (const piece of spec.output) {
          if (typeof piece === 'string') {
            task(cursor, piece)
            last = cursor
            cursor += gap
          } else if (isTimed(piece)) {
            const when = Math.max(cursor, cmdStart + piece.atMs)
            task(when, piece.text)
            last = when
            cursor = when + gap
          } else if (isGenerator(piece)) {
            const every = piece.everyMs ?? 0
            const base = piece.startMs !== undefined ? Math.max(cursor, cmdStart + piece.startMs) : cursor
            for (let i = 0; i < piece.count; i++) task(base + i * every, piece.text(i))
            last = piece.count > 0 ? base + (piece.count - 1) * every : base
            cursor = Math.max(cursor, last + (every > 0 ? every : gap))
          }
        }
      }
      const minDuration = spec ? (spec.durationMs ?? DEFAULTS.commandMs) : DEFAULTS.silentCommandMs
      const cmdEnd = Math.max(cmdStart + minDuration, last + AGENT_STEP, at)
      const exitStatus = spec?.exitStatus ?? 0
      const exports = spec ? spec.exports : silentExports(pc.text)
      commands.push({
        phase: p,
        command: pc.text,
        exitStatus,
        start: cmdStart,
        end: cmdEnd,
        ...(exports ? { exports } : {})
      })
      at = cmdEnd
      if (exitStatus !== 0) {
        at = agent(at, [`Command did not exit successfully ${pc.text} exit status ${exitStatus}`])
        failed = { command: pc.text, exitStatus }
        break
      }
    }
    let end = Math.max(at, start + (p === 'INSTALL' ? DEFAULTS.installMs : p === 'POST_BUILD' ? DEFAULTS.postBuildMs : 0))
    if (failed) {
      const ctx = commandFailedContext(failed.command, failed.exitStatus)
      agent(end, phaseCompleteLines(p, 'FAILED', ctx))
      phase(p, start, end, 'FAILED', [ctx])
      failWith('FAILED')
      skipTo = p === 'BUILD' ? 'POST_BUILD' : p === 'POST_BUILD' ? 'UPLOAD_ARTIFACTS' : 'FINALIZING'
    } else if (fault?.phase === p) {
      const st = fault.status ?? 'FAILED'
      const ctx = { statusCode: fault.statusCode, message: fault.message }
      agent(end, [...(fault.lines ?? []), ...phaseCompleteLines(p, st, ctx)])
      phase(p, start, end, st, [ctx])
      failWith(st)
      skipTo = p === 'BUILD' ? 'POST_BUILD' : p === 'POST_BUILD' ? 'UPLOAD_ARTIFACTS' : 'FINALIZING'
    } else {
      agent(end, phaseCompleteLines(p, 'SUCCEEDED'))
      phase(p, start, end, 'SUCCEEDED', emptyContext)
    }
    end += 1
    t = end
  }

  // UPLOAD_ARTIFACTS
  if (skipTo === undefined || skipTo === 'UPLOAD_ARTIFACTS') {
    skipTo = undefined
    const start = t
    const end = start + (script.uploadArtifactsMs ?? DEFAULTS.uploadArtifactsMs)
    agent(
      start,
      [
        'Set report auto-discover timeout to 5 seconds',
        'Expanding base directory path:  .',
        'Assembling file list',
        'Expanding .',
        'Expanding file paths for base directory .',
        'Assembling file list',
        'Expanding **/*',
        'No matching auto-discover report paths found',
        `Report auto-discover file discovery took ${(rng.int(1000, 90000) / 1_000_000).toFixed(6)} seconds`
      ],
      'full'
    )
    if (fault?.phase === 'UPLOAD_ARTIFACTS') {
      const st = fault.status ?? 'FAILED'
      const ctx = { statusCode: fault.statusCode, message: fault.message }
      agent(end, [...(fault.lines ?? []), ...phaseCompleteLines('UPLOAD_ARTIFACTS', st, ctx)])
      phase('UPLOAD_ARTIFACTS', start, end, st, [ctx])
      failWith(st)
    } else {
      agent(end, phaseCompleteLines('UPLOAD_ARTIFACTS', 'SUCCEEDED'))
      phase('UPLOAD_ARTIFACTS', start, end, 'SUCCEEDED', emptyContext)
    }
    t = end + 1
  }

  // FINALIZING, COMPLETED
  const finStart = t
  const finEnd = finStart + (script.finalizingMs ?? DEFAULTS.finalizingMs)
  if (fault?.phase === 'FINALIZING') {
    const st = fault.status ?? 'FAULT'
    phase('FINALIZING', finStart, finEnd, st, [{ statusCode: fault.statusCode, message: fault.message }])
    failWith(st)
  } else {
    phase('FINALIZING', finStart, finEnd, 'SUCCEEDED', emptyContext)
  }
  phases.push({ type: 'COMPLETED', start: finEnd, end: null, status: status })

  let streamAt: number | null
  if (script.streamAtMs === null) streamAt = null
  else if (script.streamAtMs !== undefined) streamAt = script.streamAtMs
  else streamAt = agentStarted ? provEnd - 3 * AGENT_STEP - 0.001 : null
  // A build whose agent never ran has no stream unless the script says when it appears.
  if (!agentStarted && script.streamAtMs === undefined) streamAt = null

  lines.sort((a, b) => a.at - b.at) // stable: keeps the order of lines at the same time
  const compiled: CompiledTimeline = { phases, lines, commands, endOffset: finEnd, status, streamAt }
  if (script.timeoutAtMs !== undefined && script.timeoutAtMs < finEnd) {
    return interruptTimeline(compiled, script.timeoutAtMs, 'TIMED_OUT', script.finalizingMs ?? DEFAULTS.finalizingMs)
  }
  return compiled
}

/**
 * Cuts a compiled timeline at `at` (ms from start) with a TIMED_OUT status: the phase running at `at` ends
 * TIMED_OUT, FINALIZING follows, lines at or after `at` are dropped.
 */
export function interruptTimeline(tl: CompiledTimeline, at: number, st: 'TIMED_OUT', finalizingMs: number): CompiledTimeline {
  const kept: PhaseSpan[] = []
  for (const p of tl.phases) {
    if (p.type === 'COMPLETED' || p.start > at) break
    if (p.end !== null && p.end <= at) {
      kept.push(p)
      continue
    }
    kept.push({
      type: p.type,
      start: p.start,
      end: at,
      status: st,
      contexts: [{ statusCode: 'BUILD_TIMED_OUT', message: 'Build has timed out. ' }]
    })
    break
  }
  const last = kept[kept.length - 1]
  let end = at
  if (last && last.type !== 'FINALIZING') {
    end = at + finalizingMs
    kept.push({ type: 'FINALIZING', start: at, end, status: 'SUCCEEDED', contexts: [{ statusCode: '', message: '' }] })
  }
  kept.push({ type: 'COMPLETED', start: end, end: null, status: st })
  return {
    phases: kept,
    lines: tl.lines.filter(l => l.at < at),
    commands: tl.commands.filter(c => c.start < at),
    endOffset: end,
    status: st,
    streamAt: tl.streamAt
  }
}
