/** The public entry of src/core/report: what the rest of src/ may use. */
export { breakAutolinks } from './autolinks.js'
export { FailureDiagnoser, formatDiagnosis } from './diagnosis.js'
export type { Diagnosis } from './diagnosis.js'
export {
  LastTaskLines,
  buildDurationMs,
  describeFailure,
  failedPhase,
  outputsNote,
  phaseContext,
  phaseFailed,
  shownValue,
  taskExitCode
} from './report.js'
export type { SummaryData } from './report.js'
export { PullSpans, adviceText, budgetRows, timeBudget } from './time-budget.js'
export type { BudgetAdvice, RunTiming, TimeBudget } from './time-budget.js'
