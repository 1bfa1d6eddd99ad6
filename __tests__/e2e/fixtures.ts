/** Shared set-up of the end-to-end tests: a stand-in with one project, and the bundle run against it. */
import type { BuildScriptSource, ProjectConfig, StandIn, StandInOptions } from '../standin/index.js'
import { startStandIn } from '../standin/index.js'
import { readWorkflowLog, runAction } from './runner.js'
import type { ActionRun, RunOptions } from './runner.js'

export const PROJECT = 'app-migrations'
export const IMAGE = `123456789012.dkr.ecr.us-east-1.amazonaws.com/app-backend@sha256:${'ab'.repeat(32)}`

export function vpcProject(builds: BuildScriptSource[], extra: Partial<ProjectConfig> = {}): ProjectConfig {
  return {
    name: PROJECT,
    vpcConfig: true,
    privilegedMode: true,
    environmentVariables: [{ name: 'DATABASE_URL', value: 'prod/database-url:DATABASE_URL', type: 'SECRETS_MANAGER' }],
    builds,
    ...extra
  }
}

export async function standIn(
  builds: BuildScriptSource[],
  options: StandInOptions = {},
  project: Partial<ProjectConfig> = {}
): Promise<StandIn> {
  return startStandIn({ seed: 7, projects: [vpcProject(builds, project)], ...options })
}

/** The build's log as lines: an event may hold several (a multi-line command the agent echoes). */
export function logLines(build: { lines(): string[] } | undefined): string[] {
  return (build?.lines() ?? []).flatMap(l => l.split('\n'))
}

/** The task's last output lines the action quotes under a failure (not the agent's `[Container]` lines). */
export function lastOutputLines(build: { lines(): string[] } | undefined, count = 5): string[] {
  return logLines(build)
    .filter(l => !l.startsWith('[Container] ') && l.trim() !== '')
    .map(l => l.trimEnd())
    .slice(-count)
}

/** What the failure annotation adds after CodeBuild's message. */
export function lastLinesSuffix(build: { lines(): string[] } | undefined): string {
  const lines = lastOutputLines(build)
  return lines.length > 0 ? `\nLast lines of the output:\n${lines.join('\n')}` : ''
}

export const BASE_INPUTS = { 'project-name': PROJECT, task: 'migrate', 'image-uri': IMAGE }

export interface E2ERun extends ActionRun {
  /** Lines the action streamed from the build's log (inside stop-commands spans). */
  streamed: string[]
  commands: ReturnType<typeof readWorkflowLog>['commands']
  errors: string[]
  warnings: string[]
}

export async function run(s: StandIn, inputs: Record<string, string> = {}, options: Partial<RunOptions> = {}): Promise<E2ERun> {
  const result = await runAction({ endpoint: s.endpoint, ...options, inputs: { ...BASE_INPUTS, ...inputs } })
  const log = readWorkflowLog(result.stdout)
  return {
    ...result,
    streamed: log.guarded,
    commands: log.commands,
    errors: log.commands.filter(c => c.command === 'error').map(c => `${c.properties}::${c.message}`),
    warnings: log.commands.filter(c => c.command === 'warning').map(c => c.message)
  }
}
