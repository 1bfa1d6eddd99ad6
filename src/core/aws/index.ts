/** The public entry of src/core/aws: what the rest of src/ may use. */
export { clientOptions, createCodeBuildClients } from './clients.js'
export type { AwsClients } from './clients.js'
export { buildLinks } from './links.js'
export type { BuildLinks } from './links.js'
export { Backoff, withTimeLimit } from './retry.js'
