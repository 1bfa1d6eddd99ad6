/**
 * The one place that decides what an AWS SDK error means for the action: worth retrying, a dead end, expired
 * credentials, or an endpoint that cannot be reached. And how such an error is shown.
 */
import { isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry'
import { inline } from '../support/index.js'

type SdkErrorLike = Parameters<typeof isTransientError>[0]

interface ErrorShape {
  name?: string
  code?: string
  message?: string
  hostname?: string
  address?: string
  port?: number
  $metadata?: { httpStatusCode?: number }
  $response?: unknown
}

const shape = (error: unknown): ErrorShape => (typeof error === 'object' && error !== null ? error : {})

/** Session credentials past their expiry: every call fails the same way until new credentials are given. */
const EXPIRED = new Set(['ExpiredTokenException', 'ExpiredToken', 'RequestExpired', 'TokenRefreshRequired'])

/** DNS failures and refused or unroutable connections: the endpoint cannot be reached at all. */
const UNREACHABLE_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH'])

const DENIED = /AccessDenied|NotAuthorized|UnauthorizedOperation|Forbidden/

export function isExpiredCredentials(error: unknown): boolean {
  const e = shape(error)
  return (e.name !== undefined && EXPIRED.has(e.name)) || /security token included in the request is expired/i.test(e.message ?? '')
}

export function isAccessDenied(error: unknown): boolean {
  const e = shape(error)
  return DENIED.test(e.name ?? '') || e.$metadata?.httpStatusCode === 403
}

/** The endpoint could not be reached: no DNS answer, connection refused or unroutable, or no connection in time. */
export function isUnreachable(error: unknown): boolean {
  const e = shape(error)
  if (e.code !== undefined && UNREACHABLE_CODES.has(e.code)) return true
  return e.name === 'TimeoutError' && /establish a connection/i.test(e.message ?? '')
}

/**
 * An error that a later try may not have: throttling, 5xx, timeouts, dropped connections, answers that could not be
 * read (a cut or garbled body arrives with no status, or with 200), and this action's own per-call time limit.
 * Everything else is an answer AWS meant: a 4xx that retrying cannot change.
 */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  if (isExpiredCredentials(error)) return false
  const sdk = error as unknown as SdkErrorLike
  if (isThrottlingError(sdk) || isTransientError(sdk) || isServerError(sdk)) return true
  const status = shape(error).$metadata?.httpStatusCode
  return status === undefined || status < 400 || status === 408 || status === 429 || status >= 500
}

/** An answer that parsed but does not have the shape the API documents: transient, like any garbled answer. */
export class MalformedAnswerError extends Error {
  override name = 'MalformedAnswerError'
  constructor(operation: string, what = 'a malformed body') {
    super(`${operation} answered with ${what}`)
  }
}

/** An error as one line of text: its name and message, from outside, so flattened (never a workflow command). */
export function errorText(error: unknown): string {
  if (!(error instanceof Error)) return inline(String(error))
  // The SDK appends a hint about a hidden field to errors it could not parse; the user cannot act on it.
  const message = error.message.replace(/\s*Deserialization error: to see the raw response.*$/s, '')
  const malformed = shape(error).$response !== undefined && shape(error).$metadata?.httpStatusCode !== undefined && !isNamedAwsError(error)
  const text = error.name && !message.startsWith(error.name) ? `${error.name}: ${message}` : message
  return inline(malformed ? `a malformed answer (HTTP ${shape(error).$metadata?.httpStatusCode}, ${text})` : text, 500)
}

function isNamedAwsError(error: Error): boolean {
  return '$fault' in error
}

/** Where an unreachable call was going, from the error when it says (host, address and port). */
export function unreachableTarget(error: unknown): string | undefined {
  const e = shape(error)
  if (e.hostname) return e.hostname
  if (e.address) return e.port ? `${e.address}:${e.port}` : e.address
  return undefined
}

/** RDS's "no such DB instance / cluster / snapshot" (DBInstanceNotFound, DBClusterNotFoundFault, DBSnapshotNotFound, …). */
export function isNotFound(error: unknown): boolean {
  const e = shape(error)
  return /NotFound/.test(e.name ?? '') || (e.$metadata?.httpStatusCode === 404 && '$fault' in (error as object))
}

/** A name already taken (DBSnapshotAlreadyExists, DBClusterSnapshotAlreadyExistsFault): permanent, the name is the problem. */
export function isAlreadyExists(error: unknown): boolean {
  return /AlreadyExists/.test(shape(error).name ?? '')
}

/**
 * RDS's answers for a database it cannot snapshot now, with what to do: permanent (a 400 that retrying in the next
 * seconds does not change), reported with RDS's own message.
 */
export function rdsRefusalHint(error: unknown): string | undefined {
  const name = shape(error).name ?? ''
  if (/InvalidDB(?:Instance|Cluster)State/.test(name))
    return 'RDS snapshots only a database that is available: not stopped, starting, modifying or already backing up. Start it or wait for the other operation, then re-run.'
  if (/SnapshotQuotaExceeded/.test(name))
    return 'The account has reached its quota of manual snapshots in this region: delete old ones or ask for a higher quota (Service Quotas, "Manual DB snapshots").'
  return undefined
}

export function isThrottled(error: unknown): boolean {
  return error instanceof Error && isThrottlingError(error as unknown as SdkErrorLike)
}
