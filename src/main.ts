/** Orchestration: inputs → plan → preflight → start → watch → report. */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as core from '@actions/core'
import { StartBuildCommand, StatusType } from '@aws-sdk/client-codebuild'
import type { Build } from '@aws-sdk/client-codebuild'
import { cancelOnSignals } from './cancellation.js'
import type { Cancellation } from './cancellation.js'
import { createClients } from './clients.js'
import type { AwsClients } from './clients.js'
import { systemClock } from './clock.js'
import type { Clock } from './clock.js'
import { Outputs, State } from './constants.js'
import { FailureDiagnoser, formatDiagnosis } from './diagnosis.js'
import { InputError, parsePlan } from './inputs.js'
import type { InputReader, Plan } from './inputs.js'
import { buildLinks } from './links.js'
import type { BuildLinks } from './links.js'
import { BuildLogPrinter, writeVerbatim } from './output.js'
import type { Write } from './output.js'
import { PreflightError, preflight } from './preflight.js'
import { LastOutput, addSummary, describeFailure } from './report.js'
import type { SummaryData } from './report.js'
import { buildStartRequest, redactRequest, runIdentityFromEnv } from './request.js'
import { ProjectBusyError, handleRunningBuilds, runningBuilds } from './running.js'
import { errorText } from './retry.js'
import { redactText, secretsOf } from './secrets.js'
import { stopBuild } from './stop.js'
import { watchBuild } from './watch.js'
import type { Timing } from './watch.js'

export interface RunDeps {
  env: NodeJS.ProcessEnv
  read: InputReader
  clock: Clock
  /** Where buildspecs/ lives. */
  actionRoot: string
  clients: (region: string) => AwsClients
  /** Wired to SIGINT/SIGTERM by default. */
  cancellation: (onSignal: (name: string) => void) => Cancellation
  write: Write
  timing?: Partial<Timing>
}

/** dist/index.js and src/main.ts both sit one level below the action's root. */
const ACTION_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

function defaultDeps(): RunDeps {
  return {
    env: process.env,
    read: name => core.getInput(name),
    clock: systemClock,
    actionRoot: ACTION_ROOT,
    clients: createClients,
    cancellation: cancelOnSignals,
    write: text => {
      process.stdout.write(text)
    }
  }
}

export async function run(overrides: Partial<RunDeps> = {}): Promise<void> {
  const deps: RunDeps = { ...defaultDeps(), ...overrides }
  let started: { id: string; stopOnCancel: boolean } | undefined
  const cancellation = deps.cancellation(name => {
    const next = !started ? '' : started.stopOnCancel ? ` Stopping build ${started.id}…` : ` Leaving build ${started.id} running (stop-on-cancel: false).`
    core.info(`Received ${name}: the workflow was cancelled or the step timed out.${next}`)
  })
  try {
    await runTask(deps, cancellation.signal, (id, stopOnCancel) => (started = { id, stopOnCancel }))
  } catch (error) {
    if (error instanceof InputError || error instanceof PreflightError || error instanceof ProjectBusyError) core.setFailed(error.message)
    else if (cancellation.signal.aborted) core.setFailed(`Cancelled before a build was started.`)
    else core.setFailed(`Unexpected error: ${errorText(error)}`)
  } finally {
    cancellation.dispose()
  }
}

async function runTask(deps: RunDeps, signal: AbortSignal, onStarted: (id: string, stopOnCancel: boolean) => void): Promise<void> {
  const plan = parsePlan(deps.read, {
    env: deps.env,
    actionRoot: deps.actionRoot,
    workspace: deps.env.GITHUB_WORKSPACE ?? process.cwd()
  })
  // Masked first thing, before anything else is printed.
  const secrets = secretsOf(plan)
  for (const value of secrets.register) core.setSecret(value)
  for (const warning of secrets.warnings) core.warning(warning)
  const { codebuild, logs } = deps.clients(plan.region)
  // The project lookup and the first look for running builds go out together: one round trip, not two.
  const firstLook = plan.dryRun ? undefined : runningBuilds(codebuild, plan.projectName, signal)
  firstLook?.catch(() => undefined)
  const checked = await preflight(codebuild, plan, signal)
  for (const w of checked.warnings) core.warning(w)
  const request = buildStartRequest(plan, runIdentityFromEnv(deps.env))

  if (plan.dryRun) {
    const shown = redactRequest(request, plan)
    core.info(`Dry run: nothing is started. The StartBuild request that would be sent to ${plan.region}:`)
    // Values and the buildspec come from the user: shown as text, never taken as workflow commands.
    writeVerbatim(deps.write, JSON.stringify(shown, null, 2).split('\n'))
    core.startGroup(`Buildspec (${plan.buildspec.source}): ${plan.buildspec.path}`)
    writeVerbatim(deps.write, redactText(plan.buildspec.content).trimEnd().split(/\r?\n/))
    core.endGroup()
    await writeSummary({ plan, request: shown, notes: checked.warnings })
    return
  }

  await handleRunningBuilds({
    codebuild,
    clock: deps.clock,
    projectName: plan.projectName,
    region: plan.region,
    mode: plan.ifRunning,
    notice: message => core.info(message),
    signal,
    first: firstLook
  })
  signal.throwIfAborted()

  // Not abortable: once sent, the build may exist; a cancellation during the call stops it right after.
  const started = (await codebuild.send(new StartBuildCommand(request))).build as Build
  const id = started.id as string
  onStarted(id, plan.stopOnCancel)
  const links = buildLinks(started, plan.region)
  core.saveState(State.BuildId, id)
  core.saveState(State.Region, plan.region)
  core.saveState(State.StopOnCancel, String(plan.stopOnCancel))
  core.setOutput(Outputs.BuildId, id)
  core.setOutput(Outputs.BuildNumber, String(started.buildNumber ?? ''))
  core.setOutput(Outputs.LogsUrl, links.logs)
  core.info(`Started ${plan.task} build #${started.buildNumber ?? '?'} of ${plan.projectName}: ${id}`)
  core.info(`Build: ${links.build}`)
  core.info(`Log:   ${links.logs}`)

  if (!plan.wait) {
    core.setOutput(Outputs.BuildStatus, started.buildStatus ?? StatusType.IN_PROGRESS)
    core.saveState(State.Settled, 'true')
    core.info('wait is false: the build goes on without this step.')
    await writeSummary({ plan, build: started, links })
    return
  }

  const diagnoser = new FailureDiagnoser()
  const lastOutput = new LastOutput()
  const printer = new BuildLogPrinter(deps.write, { groups: true })
  let build: Build = started
  try {
    const watched = await watchBuild(
      { codebuild, logs, clock: deps.clock },
      started,
      {
        onEvents: events => {
          for (const e of events) {
            diagnoser.observe(e.message ?? '')
            lastOutput.observe(e.message ?? '')
          }
          printer.print(events)
        },
        onNotice: message => deps.write(`${message}\n`),
        onWarning: message => core.warning(message)
      },
      { showLogs: plan.showLogs, signal, timing: deps.timing }
    )
    build = watched.build
  } catch (error) {
    printer.end()
    await abandon(plan, codebuild, started, links, signal.aborted ? 'the workflow was cancelled' : `watching it failed: ${errorText(error)}`)
    if (signal.aborted) return
    throw error
  }
  printer.end()
  core.saveState(State.Settled, 'true')
  core.setOutput(Outputs.BuildStatus, build.buildStatus ?? '')

  const status = build.buildStatus
  if (status === StatusType.SUCCEEDED) {
    core.info(`✅ ${plan.task} succeeded: build #${build.buildNumber ?? '?'} ${id}`)
    await writeSummary({ plan, build, links })
    return
  }
  const lastLines = lastOutput.lines()
  const failure = describeFailure(plan, build, lastLines)
  core.error(failure.message, { title: failure.title })
  const diagnosis = diagnoser.diagnose(build)
  if (diagnosis) core.error(formatDiagnosis(diagnosis), { title: `${plan.task}: known failure (${diagnosis.id})` })
  await writeSummary({ plan, build, links, diagnosis, lastLines })
  core.setFailed(`${plan.task} ${status ?? 'ended'}: see the errors above and the build's log (${links.logs})`)
}

/** The build must not outlive the step: stop it (unless stop-on-cancel is false) and say so. */
async function abandon(plan: Plan, codebuild: AwsClients['codebuild'], started: Build, links: BuildLinks, why: string): Promise<void> {
  const id = started.id as string
  // A started build always gets its summary, with what became of it.
  const fail = async (message: string, build: Build): Promise<void> => {
    core.setFailed(message)
    await writeSummary({ plan, build, links, notes: [message] })
  }
  if (!plan.stopOnCancel) {
    core.saveState(State.Settled, 'true')
    core.setOutput(Outputs.BuildStatus, StatusType.IN_PROGRESS)
    await fail(`Stopped watching build ${id} because ${why}; it goes on running (stop-on-cancel: false): ${links.build}`, started)
    return
  }
  try {
    const stopped = await stopBuild(codebuild, id)
    core.saveState(State.Settled, 'true')
    const status = stopped?.buildStatus && stopped.buildStatus !== StatusType.IN_PROGRESS ? stopped.buildStatus : StatusType.STOPPED
    core.setOutput(Outputs.BuildStatus, status)
    await fail(`Stopped build ${id} because ${why}.`, { ...(stopped ?? started), buildStatus: status })
  } catch (error) {
    await fail(`Could not stop build ${id} after ${why}: ${errorText(error)}. Stop it in the console: ${links.build}`, started)
  }
}

async function writeSummary(data: SummaryData): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return
  try {
    await addSummary(core.summary, data).write()
  } catch (error) {
    core.warning(`Could not write the job summary: ${errorText(error)}`)
  }
}
