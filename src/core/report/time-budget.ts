/**
 * Where a run's time went: the step's wait split into what CodeBuild did (queued, provisioning, the task, the rest
 * of the build), the image pull the log shows in container mode, and the action's own parts (before the build, the
 * wait for the end, the last log lines and the task's outputs). Pure: computed from the build's phases
 * (BatchGetBuilds), the pull's span in the log, and three moments on the runner's clock. What is not known is left
 * out, never guessed.
 *
 * Two clocks, never mixed: the phases and the log's timestamps are AWS's (the build host's), the moments are the
 * runner's. A duration is taken within one clock; the wait after the build is the runner's span from StartBuild's
 * answer to the tail's end less the build's own span (from its start to its end), so a skew between the clocks
 * cancels out.
 */
import type { Build, BuildPhase } from '@aws-sdk/client-codebuild'
import { commandBoundary } from '../watch/index.js'
import type { SettingNames } from '../errors/index.js'
import { formatDuration, Inputs, logLine } from '../support/index.js'
import type { RunIn } from '../support/index.js'

/** The runner's moments (ms on the run's clock) and what the log showed, as far as the run got. */
export interface RunTiming {
  /** The run's start (the step's, the command's). */
  stepStartedAt?: number
  /** StartBuild's answer came: the build exists. */
  startAnsweredAt?: number
  /** Following the build ended: its end seen, the log read to its end (or the wait for it over), the outputs read. */
  tailEndedAt?: number
  /** The image pull's span in the log (`Running command docker pull …` to the agent's next line), summed. */
  pullMs?: number
}

export interface BudgetOptions {
  runIn?: RunIn
  /** The build ran on a reserved-capacity fleet. */
  fleet?: boolean
}

type PartId = 'before' | 'queued' | 'provisioning' | 'pull' | 'task' | 'rest' | 'tail'

interface BudgetPart {
  id: PartId
  label: string
  ms: number
}

type Suggestion = 'run-in' | 'fleet'

/** Provisioning and the pull took more than half of the run: what would shorten it, with the numbers behind it. */
export interface BudgetAdvice {
  provisioningMs: number
  pullMs?: number
  /** The run these are compared with: the whole step when known, else the build from its start to its end. */
  runMs: number
  /** Of `runMs`, provisioning and the pull together (0–1). */
  share: number
  suggest: Suggestion[]
}

export interface TimeBudget {
  /** The step from its start to the tail's end; absent when the run did not get that far. */
  totalMs?: number
  parts: BudgetPart[]
  advice?: BudgetAdvice
}

const LABELS: Record<PartId, string> = {
  before: 'before the build (checks, backup, other builds)',
  queued: 'queued',
  provisioning: 'provisioning',
  pull: 'image pull (docker pull)',
  task: 'the task (BUILD phase)',
  rest: 'rest of the build',
  tail: 'the end, the last log lines and the outputs'
}

const PART_ORDER: readonly PartId[] = ['before', 'queued', 'provisioning', 'pull', 'task', 'rest', 'tail']

/** The label of a part in this mode: in image mode, provisioning includes CodeBuild's pull of the image. */
function label(id: PartId, runIn: RunIn): string {
  return id === 'provisioning' && runIn === 'build-environment' ? 'provisioning (image pull included)' : LABELS[id]
}

/** A phase's duration: from its start and end times when CodeBuild gave both, else its whole seconds; undefined while it runs. */
export function phaseMs(phase: BuildPhase | undefined): number | undefined {
  if (!phase) return undefined
  if (phase.startTime && phase.endTime) return Math.max(0, phase.endTime.getTime() - phase.startTime.getTime())
  return phase.durationInSeconds !== undefined ? phase.durationInSeconds * 1000 : undefined
}

/** The known durations of these phases, summed; undefined when none is known. */
function phasesMs(build: Build, types: readonly string[]): number | undefined {
  let sum: number | undefined
  for (const p of build.phases ?? []) {
    if (!types.includes(p.phaseType ?? '')) continue
    const ms = phaseMs(p)
    if (ms !== undefined) sum = (sum ?? 0) + ms
  }
  return sum
}

const OTHER_PHASES = ['DOWNLOAD_SOURCE', 'INSTALL', 'PRE_BUILD', 'POST_BUILD', 'UPLOAD_ARTIFACTS', 'FINALIZING']

/** The build from its start to its end, on AWS's clock; undefined until it has ended. */
function buildSpanMs(build: Build): number | undefined {
  return build.startTime && build.endTime ? Math.max(0, build.endTime.getTime() - build.startTime.getTime()) : undefined
}

/** The time budget of a run: undefined when nothing at all is known. */
export function timeBudget(build: Build | undefined, timing: RunTiming, options: BudgetOptions = {}): TimeBudget | undefined {
  const runIn = options.runIn ?? 'container'
  const known: Partial<Record<PartId, number>> = {}
  const { stepStartedAt, startAnsweredAt, tailEndedAt } = timing
  if (stepStartedAt !== undefined && startAnsweredAt !== undefined) known.before = Math.max(0, startAnsweredAt - stepStartedAt)
  const span = build ? buildSpanMs(build) : undefined
  let phased = false
  if (build) {
    known.queued = phasesMs(build, ['SUBMITTED', 'QUEUED'])
    known.provisioning = phasesMs(build, ['PROVISIONING'])
    // In image mode there is no docker pull: CodeBuild's pull is in provisioning.
    if (runIn === 'container' && timing.pullMs !== undefined) known.pull = timing.pullMs
    known.task = phasesMs(build, ['BUILD'])
    const others = phasesMs(build, OTHER_PHASES)
    phased = [known.queued, known.provisioning, known.task, others].some(ms => ms !== undefined)
    const counted = (known.queued ?? 0) + (known.provisioning ?? 0) + (known.pull ?? 0) + (known.task ?? 0)
    // The rest: the build's span less the parts above (what lies between phases included), else the other phases known.
    if (span !== undefined) known.rest = Math.max(0, span - counted)
    else if (others !== undefined) known.rest = Math.max(0, others - (known.pull ?? 0))
  }
  if (startAnsweredAt !== undefined && tailEndedAt !== undefined && span !== undefined)
    known.tail = Math.max(0, tailEndedAt - startAnsweredAt - span)
  // A build whose phases CodeBuild did not give is one part, under its own name.
  const named = (id: PartId): string => (id === 'rest' && !phased ? 'the build (its phases not known)' : label(id, runIn))
  const parts = PART_ORDER.flatMap(id => (known[id] === undefined ? [] : [{ id, label: named(id), ms: known[id] }]))
  if (parts.length === 0) return undefined
  const totalMs = stepStartedAt !== undefined && tailEndedAt !== undefined && span !== undefined ? tailEndedAt - stepStartedAt : undefined
  const advice = adviceFor(known, totalMs ?? span, runIn, options.fleet === true)
  return { ...(totalMs !== undefined ? { totalMs } : {}), parts, ...(advice ? { advice } : {}) }
}

/** More than half of the run in provisioning and the pull: what is not used yet of image mode and a fleet. */
function adviceFor(
  known: Partial<Record<PartId, number>>,
  runMs: number | undefined,
  runIn: RunIn,
  fleet: boolean
): BudgetAdvice | undefined {
  if (runMs === undefined || runMs <= 0 || known.provisioning === undefined) return undefined
  const slow = known.provisioning + (known.pull ?? 0)
  if (slow * 2 <= runMs) return undefined
  const suggest: Suggestion[] = []
  if (runIn === 'container') suggest.push('run-in')
  if (!fleet) suggest.push('fleet')
  if (suggest.length === 0) return undefined
  return {
    provisioningMs: known.provisioning,
    ...(known.pull !== undefined ? { pullMs: known.pull } : {}),
    runMs,
    share: slow / runMs,
    suggest
  }
}

/** A part's share of the run, as people read it: `42%`; undefined without a total. */
function shareText(ms: number, totalMs: number | undefined): string | undefined {
  if (totalMs === undefined || totalMs <= 0) return undefined
  return `${Math.round((ms / totalMs) * 100)}%`
}

/** The advice, as one line with its numbers; the setting named as the front end writes it. */
export function adviceText(advice: BudgetAdvice, names: SettingNames): string {
  const slow = advice.provisioningMs + (advice.pullMs ?? 0)
  const what =
    advice.pullMs !== undefined
      ? `Provisioning (${formatDuration(advice.provisioningMs)}) and the image pull (${formatDuration(advice.pullMs)}) took ${formatDuration(slow)}`
      : `Provisioning took ${formatDuration(slow)}`
  const ways = advice.suggest.map(s =>
    s === 'run-in'
      ? `${names.value(Inputs.RunIn, 'build-environment' satisfies RunIn)} (CodeBuild pulls the image as the build environment: no Docker, no second pull)`
      : 'a reserved-capacity fleet (instances ready before the build, the image layers cached on them)'
  )
  return `${what}, ${Math.round(advice.share * 100)}% of this run's ${formatDuration(advice.runMs)}. Faster: ${ways.join(', or ')}.`
}

/** `docker pull` (or `docker image pull`) as the command the agent echoes. */
const PULL = /^docker\s+(?:image\s+)?pull\b/

/**
 * The image pull's span in the log, from the agent's lines and their timestamps (the build host's clock): from
 * `Running command docker pull …` to the agent's next command or phase line. A pull whose end the log did not show
 * counts for nothing.
 */
export class PullSpans {
  private startedAt: number | undefined
  private total: number | undefined

  observe(message: string | undefined, timestamp: number | undefined): void {
    if (message === undefined || timestamp === undefined || !message.startsWith('[')) return
    const boundary = commandBoundary(logLine(message).split('\n')[0] as string)
    if (boundary === undefined) return
    if (this.startedAt !== undefined) {
      this.total = (this.total ?? 0) + Math.max(0, timestamp - this.startedAt)
      this.startedAt = undefined
    }
    if (boundary.running !== undefined && PULL.test(boundary.running)) this.startedAt = timestamp
  }

  /** The pulls' spans summed; undefined when the log showed no whole pull. */
  totalMs(): number | undefined {
    return this.total
  }
}

/** The budget's rows for a table, in order: the part, its duration, its share of the run ('' without a total). */
export function budgetRows(budget: TimeBudget): Array<[string, string, string]> {
  const rows = budget.parts.map(p => [p.label, formatDuration(p.ms), shareText(p.ms, budget.totalMs) ?? ''] as [string, string, string])
  if (budget.totalMs !== undefined) rows.push(['the whole run', formatDuration(budget.totalMs), '100%'])
  return rows
}
