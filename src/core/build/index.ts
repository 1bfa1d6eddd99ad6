/** The public entry of src/core/build: what the rest of src/ may use. */
export { isBuildId } from './build-id.js'
export { executionMark, newExecutionToken } from './execution.js'
export { preflight } from './preflight.js'
export { buildStartRequest, redactRequest } from './request.js'
export type { StartRequest } from './request.js'
export { handleRunningBuilds, runningBuilds } from './running.js'
export { findStartedBuild, startBuild } from './start.js'
export { stopBuild, stopIfRunning } from './stop.js'
