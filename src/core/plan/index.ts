/** The public entry of src/core/plan: what the rest of src/ may use. */
export { buildspecCommands } from './buildspec.js'
export { quoteArgv } from './command.js'
export type { RunIdentity } from './identity.js'
export { InputError, namesOf, parsePlan } from './inputs.js'
export type { BackupPlan, InputReader, Plan, PlanContext } from './inputs.js'
export { MASK, redactDeep, redactText, redactor, secretsOf } from './secrets.js'
export { buildName, inputOf } from './variables.js'
