import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs'
import path from 'node:path'
import { parse } from 'yaml'
import type { Task } from '../support/index.js'

export interface Buildspec {
  source: 'bundled' | 'custom'
  /** As shown to people: buildspecs/<task>.yml, or the path given in the input. */
  path: string
  content: string
  /** The buildspec runs Docker (so the project must be privileged). */
  usesDocker: boolean
  /** The names it declares in `env: exported-variables` (BatchGetBuilds reports them once post_build has run). */
  exportedVariables: string[]
}

/** Checks that text is a buildspec: YAML with `version` and `phases`. Returns the problem, if any. */
export function buildspecProblem(text: string): string | undefined {
  let doc: unknown
  try {
    doc = parse(text)
  } catch (error) {
    return `it is not valid YAML (${(error as Error).message.split('\n')[0]})`
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return 'it is not a YAML mapping'
  const spec = doc as Record<string, unknown>
  if (spec.version === undefined) return "it has no 'version'"
  const phases = spec.phases
  if (phases === null || typeof phases !== 'object' || Array.isArray(phases)) return "it has no 'phases' mapping"
  return undefined
}

/** A field of a buildspec's top-level mapping; undefined for text that is not YAML or not a mapping. */
function topLevel(text: string, key: string): unknown {
  let doc: unknown
  try {
    doc = parse(text)
  } catch {
    return undefined
  }
  return doc !== null && typeof doc === 'object' ? (doc as Record<string, unknown>)[key] : undefined
}

/** The names a buildspec declares in `env: exported-variables`; empty for text that is not a buildspec. */
function exportedVariableNames(text: string): string[] {
  const env = topLevel(text, 'env')
  const names = env !== null && typeof env === 'object' ? (env as Record<string, unknown>)['exported-variables'] : undefined
  return Array.isArray(names) ? names.filter((name): name is string => typeof name === 'string') : []
}

const COMMAND_PHASES = ['install', 'pre_build', 'build', 'post_build'] as const

/**
 * The commands of a buildspec's phases (`commands` and `finally`), as the agent echoes them: a block scalar's
 * (`- |`) lines joined by line breaks. What the build's log quotes of them is known by this text (AgentLineFilter).
 * Empty for text that is not a buildspec.
 */
export function buildspecCommands(text: string): string[] {
  const phases = topLevel(text, 'phases')
  if (phases === null || typeof phases !== 'object') return []
  const commands: string[] = []
  for (const name of COMMAND_PHASES) {
    const phase = (phases as Record<string, unknown>)[name]
    if (phase === null || typeof phase !== 'object') continue
    for (const key of ['commands', 'finally']) {
      const list = (phase as Record<string, unknown>)[key]
      if (!Array.isArray(list)) continue
      for (const command of list) if (typeof command === 'string') commands.push(command)
    }
  }
  return commands
}

/** Image mode's bundled buildspec (run-in: build-environment), one for every task: scripts/image-mode-buildspec.ts. */
export const IMAGE_MODE_BUILDSPEC = 'buildspecs/build-environment.yml'

export function bundledBuildspecPath(actionRoot: string, task: Task): string {
  return path.join(actionRoot, 'buildspecs', `${task}.yml`)
}

/**
 * Largest buildspec the action sends. CodeBuild documents no limit for buildspecOverride; real buildspecs are a few
 * KiB, so 64 KiB is far above them and far below what makes the request fail with an unexplained network error.
 */
const MAX_BUILDSPEC_BYTES = 64 * 1024

/** Loads the bundled buildspec for a task, or a custom one; throws a message naming the problem. */
export function loadBuildspec(file: string, source: Buildspec['source'], label = file): Buildspec {
  if (!existsSync(file) || !statSync(file).isFile()) throw new Error(`no file at ${label}${label === file ? '' : ` (${file})`}`)
  const size = statSync(file).size
  if (size > MAX_BUILDSPEC_BYTES)
    throw new Error(`${label} is ${size} bytes, more than the ${MAX_BUILDSPEC_BYTES} bytes (64 KiB) a buildspec may have`)
  const content = readFileSync(file, 'utf8')
  const problem = buildspecProblem(content)
  if (problem) throw new Error(`${label} is not a buildspec: ${problem}`)
  return { source, path: label, content, usesDocker: /\bdocker\b/.test(content), exportedVariables: exportedVariableNames(content) }
}

/**
 * Loads a custom buildspec: `input` is resolved in the workspace and, symlinks followed, must stay inside it
 * (an absolute path or ../ leading out of it is refused, as is a link pointing out).
 */
export function loadCustomBuildspec(workspace: string, input: string): Buildspec {
  const root = realpathSync(workspace)
  const file = path.resolve(root, input)
  if (!existsSync(file)) throw new Error(`no file at ${input} (${file})`)
  const real = realpathSync(file)
  const relative = path.relative(root, real)
  if (relative === '' || relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) {
    throw new Error(`${input} resolves to ${real}, outside the workspace ${root}: the buildspec must be a file in the workspace`)
  }
  return loadBuildspec(real, 'custom', input)
}
