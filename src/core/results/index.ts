/** The public entry of src/core/results: what the rest of src/ may use. */
export { APPROVED_PLAN_DIGEST_VARIABLE, PLAN_DIGEST } from './plan-digest.js'
export type { PendingMigration } from './plan-digest.js'
export { TASK_OUTPUTS_VARIABLE, isOutputName } from './task-outputs.js'
export { declaresOutputs, isListedOutput, listedOutputs, outputsByName, outputsJson, taskResultsOf } from './task-results.js'
export type { TaskResults } from './task-results.js'
