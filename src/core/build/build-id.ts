/**
 * CodeBuild's build id, the one home of its format: `<project-name>:<uuid>`, the project's name (2–255 of A–Z, a–z,
 * 0–9, `_`, `-`, starting with a letter or a digit) and the build's UUID in lowercase hex, as CodeBuild returns it
 * (e.g. `app-migrations:ae633bc7-380c-46ba-ad93-53b2911e578a`). An id from AWS goes into outputs that later steps
 * interpolate, into links, the saved state and messages: one of another shape is a garbled answer and is never
 * used (nor quoted: it may hold a line break and a workflow command).
 */
import { MalformedAnswerError } from '../errors/index.js'

const BUILD_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{1,254}:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

export function isBuildId(id: unknown): id is string {
  return typeof id === 'string' && BUILD_ID.test(id)
}

/** The build of an answer, if its id is CodeBuild's; else the answer was garbled (MalformedAnswerError, transient). */
export function checkedBuild<T extends { id?: string | undefined }>(operation: string, build: T | undefined): T & { id: string } {
  if (!build) throw new MalformedAnswerError(operation, 'no build')
  if (!isBuildId(build.id)) throw new MalformedAnswerError(operation, 'a build id that is not of the form <project-name>:<uuid>')
  return build as T & { id: string }
}
