/**
 * The command line → the action's inputs. Every flag but --profile, --json, --help and --version is an input of
 * action.yml (src/cli/flags.generated.ts), read by the same parsePlan as the action's, with the same defaults.
 */
import { FLAGS, WORKFLOW_ONLY } from './flags.generated.js'
import type { Flag } from './flags.generated.js'

/** A bad command line: one message naming the flag. */
export class UsageError extends Error {
  override name = 'UsageError'
}

export interface Args {
  /** Input name → the values given, in order. */
  values: Map<string, string[]>
  profile?: string
  json: boolean
  help: boolean
  version: boolean
}

const BY_NAME = new Map<string, Flag>(FLAGS.map(f => [f.name, f]))

export function parseArgs(argv: readonly string[]): Args {
  const args: Args = { values: new Map(), json: false, help: false, version: false }
  const positional: string[] = []
  const add = (name: string, value: string): void => {
    const flag = BY_NAME.get(name) as Flag
    const values = args.values.get(name) ?? []
    if (values.length > 0 && flag.kind !== 'multi') throw new UsageError(`--${name} is given more than once`)
    if (flag.kind === 'multi' && value.includes('\n'))
      throw new UsageError(`--${name} takes one value per flag: repeat the flag for each (a value may not hold a line break)`)
    values.push(value)
    args.values.set(name, values)
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (arg === '--') {
      positional.push(...argv.slice(i + 1))
      break
    }
    if (arg === '-h') args.help = true
    else if (arg === '-v') args.version = true
    else if (arg.startsWith('--')) {
      const eq = arg.indexOf('=')
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq)
      const inline = eq < 0 ? undefined : arg.slice(eq + 1)
      if (name === 'json' || name === 'help' || name === 'version') {
        if (inline !== undefined) throw new UsageError(`--${name} takes no value`)
        args[name] = true
        continue
      }
      if (WORKFLOW_ONLY.includes(name))
        throw new UsageError(`--${name} is not a flag: the input '${name}' only makes sense in a GitHub workflow`)
      const flag = BY_NAME.get(name)
      if (name !== 'profile' && !flag) throw new UsageError(`${arg.slice(0, eq < 0 ? undefined : eq)} is not a flag (see --help)`)
      let value = inline
      if (value === undefined && flag?.kind === 'boolean') value = 'true'
      if (value === undefined) {
        const next = argv[i + 1]
        if (next === undefined || (next.startsWith('--') && next.length > 2))
          throw new UsageError(`--${name} needs a value: --${name} <value> or --${name}=<value>`)
        value = next
        i++
      }
      if (name === 'profile') {
        if (value === '') throw new UsageError('--profile needs a profile name')
        args.profile = value
      } else add(name, value)
    } else if (arg.startsWith('-') && arg.length > 1) throw new UsageError(`${arg} is not a flag (see --help)`)
    else positional.push(arg)
  }
  if (positional.length > 1) throw new UsageError(`one task is expected, got ${positional.length}: ${positional.join(' ')}`)
  if (positional.length === 1) {
    if (args.values.has('task')) throw new UsageError('the task is given twice: positionally and with --task')
    add('task', positional[0] as string)
  }
  return args
}

/**
 * Whether the command line asks for --json, even one parseArgs refuses: the refusal is then one JSON object too.
 * A flag's value never starts with `--` (parseArgs refuses that), so a `--json` before `--` is the flag.
 */
export function jsonRequested(argv: readonly string[]): boolean {
  const end = argv.indexOf('--')
  return (end < 0 ? argv : argv.slice(0, end)).some(a => a === '--json' || a.startsWith('--json='))
}

/** The inputs as the action reads them (core.getInput): trimmed; multi-value flags one per line; else the default. */
export function inputReader(args: Args): (name: string) => string {
  return name => {
    if (WORKFLOW_ONLY.includes(name)) return name === 'pr-comment' ? 'never' : ''
    const values = args.values.get(name)
    if (values) return values.join('\n').trim()
    return BY_NAME.get(name)?.default.trim() ?? ''
  }
}
