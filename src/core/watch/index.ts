/** The public entry of src/core/watch: what the rest of src/ may use. */
export { AgentLineFilter, COMMAND_ERROR, PHASE_ORDER, REASON, agentMessage, commandBoundary, parseAgentLine } from './agent-log.js'
export type { LogLine } from './agent-log.js'
export { DEFAULT_TIMING, watchBuild } from './watch.js'
export type { WatchHooks } from './watch.js'
