/**
 * StartBuild's limits on what the plan sends, checked when the plan is made: before any AWS call, so before any
 * backup snapshot, and in a dry run too. CodeBuild refuses an over-long value only at StartBuild, after everything
 * else has happened.
 *
 * The API reference and the SDK's model give no length for an environment variable's value; CodeBuild has been seen
 * to answer "EnvironmentVariable should be at most 4096 characters" (reported in
 * wolfeidau/buildkite-serverless-agent#35). That reported limit is used, counted in UTF-16 code units as Java's
 * String.length (and JavaScript's) counts them. The buildspec's own limit is in buildspec.ts.
 */
import { quoteArgv } from './command.js'
import { Inputs } from '../support/index.js'
import { InputError } from '../errors/index.js'
import { inputOf } from './variables.js'
import type { TaskVariable } from './variables.js'

/** What of the plan travels in environment variables. */
interface Sent {
  command?: string
  argv: readonly string[]
  variables: readonly TaskVariable[]
}

/** The longest value of one environment variable CodeBuild is reported to accept. */
const MAX_VARIABLE_VALUE = 4096

/** Each value the plan puts in StartBuild's environmentVariablesOverride, with the input it comes from. */
function sentValues(plan: Sent): Array<{ input: string | string[]; what: string; length: number }> {
  const values: Array<{ input: string | string[]; what: string; length: number }> = []
  if (plan.command !== undefined) {
    values.push({ input: Inputs.Command, what: 'is', length: plan.command.length })
    values.push({ input: Inputs.Command, what: 'quoted word by word (TASK_ARGV) is', length: quoteArgv(plan.argv).length })
  }
  if (plan.variables.length > 0) {
    const names = plan.variables.map(v => v.name).join(' ')
    values.push({
      input: [Inputs.EnvVars, Inputs.SecretEnvVars, Inputs.ParameterEnvVars],
      what: `together name ${plan.variables.length} variables; their names, space-separated (TASK_ENV_NAMES), are`,
      length: names.length
    })
  }
  for (const v of plan.variables) values.push({ input: inputOf(v.type), what: `gives ${v.name} a value that is`, length: v.value.length })
  return values
}

/** Throws an InputError naming the input whose value StartBuild would refuse as too long. */
export function checkStartLimits(plan: Sent): void {
  for (const v of sentValues(plan)) {
    if (v.length > MAX_VARIABLE_VALUE)
      throw new InputError(
        v.input,
        `${v.what} ${v.length} characters long; CodeBuild accepts at most ${MAX_VARIABLE_VALUE} in one environment variable (a limit AWS does not document; reported by users), so StartBuild would refuse it`
      )
  }
}
