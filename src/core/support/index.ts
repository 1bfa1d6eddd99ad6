/** The public entry of src/core/support: what the rest of src/ may use. */
export { abortReason, cancelOnSignals } from './cancellation.js'
export type { Cancellation } from './cancellation.js'
export { systemClock } from './clock.js'
export type { Clock } from './clock.js'
export {
  BACKUP_MODES,
  IF_RUNNING,
  Inputs,
  Outputs,
  PROJECT_LOOKUP,
  RESERVED_VARIABLES,
  RUN_IN,
  TASKS,
  TOKEN_VARIABLE,
  USER_AGENT
} from './constants.js'
export type { BackupMode, IfRunning, ProjectLookup, RunIn, Task } from './constants.js'
export { packageRoot } from './root.js'
export { cutText, defuse, formatDuration, inline, logLine, stripAnsi, tailText, wellFormed } from './text.js'
