/**
 * Following a started build to its end, for both front-ends: the log goes to the front-end's printer, and what the
 * report needs is gathered on the way (the task's last lines and the diagnosis, for a build that did not succeed),
 * from the task's lines only: the agent's lines and its echo of the commands are told apart once, here.
 */
import { StatusType } from '@aws-sdk/client-codebuild'
import type { Build } from '@aws-sdk/client-codebuild'
import type { OutputLogEvent } from '@aws-sdk/client-cloudwatch-logs'
import { AgentLineFilter, watchBuild } from '../watch/index.js'
import { buildspecCommands } from '../plan/index.js'
import type { AwsClients } from '../aws/index.js'
import type { Clock } from '../support/index.js'
import { FailureDiagnoser, LastTaskLines, PullSpans } from '../report/index.js'
import type { Diagnosis } from '../report/index.js'
import type { Plan } from '../plan/index.js'
import { buildLinks } from '../aws/index.js'
import type { WatchHooks } from '../watch/index.js'
import { EXPORTED_WAIT_SECONDS, awaitExportedVariable } from '../build/index.js'
import { TASK_OUTPUTS_VARIABLE, declaresOutputs, taskResultsOf } from '../results/index.js'
import type { TaskResults } from '../results/index.js'

export interface Followed {
  build: Build
  /** The task's last output lines; empty for a build that succeeded. */
  lastLines: string[]
  diagnosis?: Diagnosis
  /** The image pull's span as the log showed it (time-budget.ts), when it did. */
  pullMs?: number
  /** What the build reported beyond its status: the task's outputs, the plan's pending list. */
  results: TaskResults
}

/** Watches the build to its end (throws what watchBuild throws: cancellation, WatchError). */
export async function followBuild(
  deps: Pick<AwsClients, 'codebuild' | 'logs'> & { clock: Clock },
  plan: Pick<Plan, 'showLogs' | 'maxLogRequestsPerMinute' | 'buildspec' | 'region' | 'names' | 'task'>,
  started: Build,
  hooks: Required<Pick<WatchHooks, 'onNotice' | 'onWarning'>> & {
    print: (events: OutputLogEvent[]) => void
    /** The front end's redaction (secrets.ts `redactor`): every line is redacted once, before anything sees it. */
    redact: (text: string) => string
  },
  signal: AbortSignal
): Promise<Followed> {
  const diagnoser = new FailureDiagnoser(plan.names)
  const lastTaskLines = new LastTaskLines()
  // The agent echoes the buildspec's commands: knowing their text tells the echo of a multi-line one from the output.
  const agentLines = new AgentLineFilter(buildspecCommands(plan.buildspec.content))
  const pulls = new PullSpans()
  const { build, logRead, logComplete, logEvents } = await watchBuild(
    deps,
    started,
    {
      onEvents: raw => {
        // A secret in the task's output (a connection string with its password) is shown as *** in the live log,
        // the last lines and the diagnosis alike. The agent's echo is told apart on the raw text: the buildspec's
        // commands are matched as written.
        const events = raw.map(e => (e.message === undefined ? e : { ...e, message: hooks.redact(e.message) }))
        for (const e of raw) {
          pulls.observe(e.message, e.timestamp)
          for (const line of agentLines.classify(e.message ?? '')) {
            const shown = { ...line, text: hooks.redact(line.text) }
            diagnoser.observe(shown)
            lastTaskLines.observe(shown)
          }
        }
        hooks.print(events)
      },
      onNotice: hooks.onNotice,
      onWarning: hooks.onWarning
    },
    {
      showLogs: plan.showLogs,
      signal,
      ...(plan.names ? { names: plan.names } : {}),
      ...(plan.maxLogRequestsPerMinute ? { maxLogRequestsPerMinute: plan.maxLogRequestsPerMinute } : {})
    }
  )
  if (logRead && !logComplete) hooks.onWarning(incompleteLog(build, plan.region, logEvents))
  const pullMs = pulls.totalMs()
  const ended = { build, ...(pullMs === undefined ? {} : { pullMs }), results: await resultsOf(deps, plan, build, hooks, signal) }
  if (build.buildStatus === StatusType.SUCCEEDED) return { ...ended, lastLines: [] }
  const diagnosis = diagnoser.diagnose(build)
  return { ...ended, lastLines: lastTaskLines.lines(), ...(diagnosis ? { diagnosis } : {}) }
}

/** The build's results, asked for again for a few seconds when its buildspec declares outputs CodeBuild has not shown yet. */
async function resultsOf(
  deps: Pick<AwsClients, 'codebuild'> & { clock: Clock },
  plan: Pick<Plan, 'buildspec' | 'task'>,
  build: Build,
  hooks: Pick<WatchHooks, 'onNotice'>,
  signal: AbortSignal
): Promise<TaskResults> {
  const declared = declaresOutputs(plan.buildspec.exportedVariables)
  const results = taskResultsOf(build, plan.task, declared)
  if (results.outputs.state !== 'late') return results
  const waiting = (): void =>
    hooks.onNotice?.(
      `CodeBuild has not reported the task's outputs (${TASK_OUTPUTS_VARIABLE}) yet: asking again for up to ${EXPORTED_WAIT_SECONDS} s.`
    )
  const reread = await awaitExportedVariable(
    { codebuild: deps.codebuild, clock: deps.clock, signal },
    build,
    TASK_OUTPUTS_VARIABLE,
    waiting
  )
  return taskResultsOf(reread, plan.task, declared)
}

/** The log could not be read to its end (its last lines were not in CloudWatch within the drain's limit): say so. */
function incompleteLog(build: Build, region: string, shown: number): string {
  return (
    `The build's log could not be read to its end: ${shown} ${shown === 1 ? 'line was' : 'lines were'} shown, the last ones may be missing ` +
    `(and from the diagnosis). The whole log: ${buildLinks(build, region).logs}`
  )
}
