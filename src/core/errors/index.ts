/** The public entry of src/core/errors: what the rest of src/ may use. */
export {
  MalformedAnswerError,
  errorText,
  isAccessDenied,
  isAlreadyExists,
  isExpiredCredentials,
  isNotFound,
  isThrottled,
  isTransient,
  isUnreachable,
  rdsRefusalHint,
  unreachableTarget
} from './aws-errors.js'
export {
  FLAG_NAMES,
  INPUT_NAMES,
  InputError,
  PreflightError,
  ProjectBusyError,
  StartUnknownError,
  WatchError,
  classify,
  credentialsExpired,
  expiredBeforeStart,
  stopFailure
} from './errors.js'
export type { ErrorKind, SettingNames } from './errors.js'
