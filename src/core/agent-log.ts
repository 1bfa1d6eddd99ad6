/** The CodeBuild agent's own lines in a build log: `[Container] 2026/11/25 12:00:00.123456 Entering phase BUILD`. */

export type AgentEvent =
  | { kind: 'enter'; phase: string }
  | { kind: 'complete'; phase: string; state: string }
  | { kind: 'context'; statusCode: string; message: string }

const PREFIX = '[Container] '
const AGENT = /^\[Container\] \d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)? (.*)$/s
const ENTER = /^(?:Entering phase|Phase is) ([A-Z_]+)\s*$/
const COMPLETE = /^Phase complete: ([A-Z_]+) State: ([A-Z_]+)/
/** The status code may hold spaces: `Secrets Manager Error`, `Parameter Store Error`. */
const CONTEXT = /^Phase context status code: ?(.*?) Message: ?(.*)$/s

export function isAgentLine(line: string): boolean {
  return line.startsWith(PREFIX)
}

/** The message of a well-formed agent line (after `[Container] <date> <time> `); undefined for any other line. */
export function agentMessage(line: string): string | undefined {
  return line.startsWith(PREFIX) ? AGENT.exec(line)?.[1] : undefined
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

/** Follows the agent's lines to know which phase's end the log has shown. */
export class PhaseProgress {
  lastCompleted: string | undefined
  /** The context line that follows the last `Phase complete` has been seen: that phase's lines are all in. */
  lastCompletedSettled = false

  observe(line: string): AgentEvent | undefined {
    const event = parseAgentLine(line)
    if (!event) return undefined
    if (event.kind === 'complete') {
      this.lastCompleted = event.phase
      this.lastCompletedSettled = false
    } else if (event.kind === 'context' && this.lastCompleted !== undefined) this.lastCompletedSettled = true
    return event
  }

  /** True when the log has shown the end of `phase`, including its context line. */
  hasShownEndOf(phase: string | undefined): boolean {
    return phase !== undefined && this.lastCompleted === phase && this.lastCompletedSettled
  }
}
