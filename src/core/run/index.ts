/** The public entry of src/core/run: what the rest of src/ may use. */
export { faultText, runTask, runTimeBudget, watchFailureMessage } from './run.js'
export type { Outcome, RunFacts, RunUi } from './run.js'
export { createClients } from './task-clients.js'
