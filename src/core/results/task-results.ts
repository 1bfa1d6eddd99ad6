/**
 * What a finished build reports beyond its status, for both front ends: the task's outputs (task-outputs.ts) and,
 * for the `plan` task, its pending migrations and their digest (plan-digest.ts). Which outputs become step outputs
 * of their own is decided here too: a name that is one of the action's own outputs (compared case-insensitively, as
 * GitHub's expressions read them) is not set as a step output, so a task can never change build-status or
 * plan-digest; it stays in the JSON of all of them (task-outputs) and the reports.
 */
import type { Build } from '@aws-sdk/client-codebuild'
import { Outputs } from '../support/index.js'
import type { Task } from '../support/index.js'
import { PENDING_OUTPUT, parsePending, planDigest } from './plan-digest.js'
import type { PendingMigration } from './plan-digest.js'
import { TASK_OUTPUTS_VARIABLE, taskOutputsOf } from './task-outputs.js'
import type { TaskOutput, TaskOutputs } from './task-outputs.js'

interface PlanResult {
  /** The pending migrations in apply order; absent when the plan task reported none that could be read. */
  pending?: PendingMigration[]
  digest?: string
  /** Why there is no list (no `pending` output, or not the expected JSON). */
  problem?: string
}

export interface TaskResults {
  outputs: TaskOutputs
  /** The outputs set as step outputs of their own: those whose name is not one of the action's outputs. */
  stepOutputs: TaskOutput[]
  /** The plan task's result; absent for the other tasks. */
  plan?: PlanResult
}

const ACTION_OUTPUTS = new Set(Object.values(Outputs).map(name => name.toLowerCase()))

/** The results of a build that ended (or was stopped): never throws. `declared`: as taskOutputsOf's. */
export function taskResultsOf(build: Build, task: Task, declared = false): TaskResults {
  const outputs = taskOutputsOf(build, declared)
  const stepOutputs: TaskOutput[] = []
  const problems = [...outputs.problems]
  for (const output of outputs.outputs) {
    if (ACTION_OUTPUTS.has(output.name.toLowerCase()))
      problems.push(`${output.name} is one of the action's own outputs: it is not set as a step output (it is in task-outputs)`)
    else stepOutputs.push(output)
  }
  const results: TaskResults = { outputs: { ...outputs, problems }, stepOutputs }
  if (task === 'plan') results.plan = planResult(outputs)
  return results
}

/** Whether a buildspec that declares these exported variables carries the task's outputs (the bundled ones do). */
export function declaresOutputs(exportedVariables: readonly string[]): boolean {
  return exportedVariables.includes(TASK_OUTPUTS_VARIABLE)
}

function planResult(outputs: TaskOutputs): PlanResult {
  if (outputs.state !== 'captured') return { problem: outputs.note ?? 'no task outputs' }
  const value = outputs.outputs.find(o => o.name === PENDING_OUTPUT)?.value
  if (value === undefined) return { problem: `the plan task reported no '${PENDING_OUTPUT}' output: the pending migrations are unknown` }
  const pending = parsePending(value)
  if ('problem' in pending) return { problem: `${pending.problem}: the pending migrations are unknown` }
  return { pending, digest: planDigest(pending) }
}

/** Whether the reports list an output: all but a `pending` output when the plan's list of it is shown instead. */
export function isListedOutput(name: string, pendingShown: boolean): boolean {
  return !(pendingShown && name === PENDING_OUTPUT)
}

/** The outputs the reports list (isListedOutput). */
export function listedOutputs(results: TaskResults): TaskOutput[] {
  const pendingShown = results.plan?.pending !== undefined
  return results.outputs.outputs.filter(o => isListedOutput(o.name, pendingShown))
}

/** Every output by name: the CLI's taskOutputs, and as JSON the action's task-outputs. */
export function outputsByName(outputs: readonly TaskOutput[]): Record<string, string> {
  return Object.fromEntries(outputs.map(o => [o.name, o.value]))
}

/** The task-outputs output: every output by name, as one JSON object. */
export function outputsJson(outputs: readonly TaskOutput[]): string {
  return JSON.stringify(outputsByName(outputs))
}
