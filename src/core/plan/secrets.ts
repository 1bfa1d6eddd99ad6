/**
 * Secret detection: the one home of the rules that decide what the action never shows.
 *
 * - a variable is secret when its NAME looks like one (PASS, PWD, SECRET, TOKEN, KEY, …) or its VALUE does;
 * - a value looks like a secret when it is shaped like a well-known token (GitHub, GitLab, Slack tokens and webhook
 *   URLs, Stripe, OpenAI, Google API keys, npm, AWS access key ids, JWTs, PEM blocks), holds a URL with a password
 *   (any scheme, any characters) or a `user:password@host`, or a `password=`, `_authToken=` or `AccountKey=` value;
 * - in free text (the `command` input, a custom buildspec) the secret-looking parts are replaced by ***.
 *
 * Showing *** and registering a value with the runner (`core.setSecret`, which masks it in the whole job log) are
 * two decisions: `registrable` keeps trivial values (true, a port, a region) from being masked everywhere.
 */
import { Inputs } from '../support/index.js'
import { INPUT_NAMES } from '../errors/index.js'
import type { SettingNames } from '../errors/index.js'

export const MASK = '***'

/** Parts of a variable name that say it holds a secret. */
const SECRET_NAME =
  /PASS|PWD|SECRET|TOKEN|KEY|CREDENTIAL|AUTH|PRIVATE|CERT|DSN|SALT|SIGNATURE|COOKIE|SESSION|DATABASE_URL|DB_URL|CONNECTION_STRING|CONN_STR/i

/** Tokens with a recognisable shape, anywhere in a text. Each is a complete token. */
const TOKEN_SHAPES: readonly RegExp[] = [
  /\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}\b/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}\b/g,
  /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/g,
  /\b(?:sk|rk)_live_[A-Za-z0-9]{10,}\b/g,
  /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g,
  /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g,
  /-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(?:-----END [A-Z0-9 ]+-----|$)/g,
  /\bglpat-[A-Za-z0-9_-]{20,}/g,
  /\bsk-proj-[A-Za-z0-9_-]{20,}/g,
  /\bAIza[0-9A-Za-z_-]{35}/g,
  /\bnpm_[A-Za-z0-9]{36}\b/g,
  /\bhttps:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9/_-]{10,}/g
]

/**
 * Secrets written as `key=value`, whose value (group 1) is the secret: a password parameter of a JDBC URL or a
 * libpq connection string (`password=…`, `DB_PASSWORD=…`, quoted or not), npm's `_authToken=`, Azure's
 * `AccountKey=` / `SharedAccessKey=`.
 */
const KEY_VALUE_SHAPES: readonly RegExp[] = [
  /(?<![A-Za-z0-9])[A-Za-z_]*(?:password|passwd|pwd)\s*=\s*('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\s&;,'"]+)/gi,
  /_authToken\s*=\s*([^\s"']+)/g,
  /\b(?:AccountKey|SharedAccessKey)\s*=\s*([^;\s"']+)/g
]

/**
 * `user:password@host` without a scheme (`app:pw@db.internal:5432`, psql's and many tools' way of quoting a
 * target): the password is group 1, the host a DNS name or an address.
 */
const BARE_USERINFO = /(?<![\w/:.@%+-])[A-Za-z_][\w.%+-]*:([^\s:@/]+)@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*\b/g

/**
 * `scheme://user:password@host` — the password is everything from the first ':' after the user to the LAST '@' of
 * the word: passwords may hold '/', ':', '#', '?' or '@' unencoded, as people write them, so the match is greedy
 * (it may take more than the password, never less).
 */
const URL_USERINFO = /\b[a-z][a-z0-9+.-]*:\/\/([^\s:@/]*):(\S*)@/gi

/** True when the name of a variable says it holds a secret. */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name)
}

/** The passwords of the URLs with user information in `text`. */
export function urlPasswords(text: string): string[] {
  const found: string[] = []
  for (const m of text.matchAll(URL_USERINFO)) if (m[2]) found.push(m[2])
  return found
}

/** The secret-looking parts of `text`: token-shaped words, the passwords of URLs and of `user:pw@host`, `key=value` secrets. */
export function secretParts(text: string): string[] {
  const found = new Set<string>()
  for (const shape of TOKEN_SHAPES) for (const m of text.matchAll(shape)) found.add(m[0])
  for (const password of urlPasswords(text)) found.add(password)
  for (const shape of [...KEY_VALUE_SHAPES, BARE_USERINFO]) for (const m of text.matchAll(shape)) if (m[1]) found.add(unquote(m[1]))
  return [...found].filter(part => part !== '')
}

/** A quoted value's inside: the quotes are not the secret. */
function unquote(value: string): string {
  return /^(['"]).*\1$/s.test(value) ? value.slice(1, -1) : value
}

/** True when a value looks like a secret, whatever its name. */
export function isSecretValue(value: string): boolean {
  return secretParts(value).length > 0
}

/** True when a variable must never be shown: its name or its value looks like a secret. */
export function looksSecret(name: string, value: string): boolean {
  return isSecretName(name) || isSecretValue(value)
}

/** `text` with every secret-looking part replaced by ***. */
export function redactText(text: string): string {
  let out = text
  // Longest first, so a password inside a longer token is not replaced half-way.
  for (const part of secretParts(text).sort((a, b) => b.length - a.length)) out = out.split(part).join(MASK)
  return out
}

const REGION =
  /^(?:us|eu|ap|sa|ca|me|af|il|mx|cn)(?:-gov|-iso[a-z]?)?-(?:north|south|east|west|central|(?:north|south)(?:east|west))-\d{1,2}$/
const MIN_SECRET_LENGTH = 6

/**
 * True when a value may be registered with the runner as a secret (masked in the whole job log): long enough, not
 * a boolean, a number or a region, which would hide every occurrence of an ordinary word.
 */
export function registrable(value: string): boolean {
  const v = value.trim()
  if (v.length < MIN_SECRET_LENGTH) return false
  if (/^(?:true|false|yes|no|on|off|null|none)$/i.test(v)) return false
  if (/^[-+]?\d+(?:\.\d+)?$/.test(v)) return false
  return !REGION.test(v)
}

/**
 * What to register with the runner for a secret variable: the whole value and its secret parts (the password of a
 * URL, a token inside a longer text), each only when registrable. Multi-line values are registered line by line
 * too, since the runner masks line by line.
 */
export function valuesToRegister(value: string): string[] {
  const out = new Set<string>()
  for (const candidate of [value, ...value.split(/\r?\n/), ...secretParts(value)]) {
    if (registrable(candidate)) out.add(candidate)
  }
  return [...out]
}

/**
 * The parts of a plan that can carry a secret (a Plan is one). Declared here, not taken from inputs.ts, which imports
 * variables.ts, which imports this module: inputs.ts → variables.ts → secrets.ts stays a line, not a cycle.
 */
export interface SecretSources {
  variables: readonly { name: string; value: string; looksSecret: boolean }[]
  command?: string
  buildspec: { source: 'bundled' | 'custom'; content: string }
  /** How the front end names settings (the action's inputs when absent). */
  names?: SettingNames | undefined
}

/**
 * What the runner must mask for a plan, and the warnings for secrets sent as PLAINTEXT: secret-looking env-vars
 * (and their secret parts), and secret-looking literals in the command and a custom buildspec.
 */
export function secretsOf(plan: SecretSources): { register: string[]; warnings: string[] } {
  const register = new Set<string>()
  const warnings: string[] = []
  const n = plan.names ?? INPUT_NAMES
  for (const v of plan.variables.filter(v => v.looksSecret)) {
    for (const value of valuesToRegister(v.value)) register.add(value)
    warnings.push(
      `${n.name(Inputs.EnvVars)}: ${v.name} looks like a secret. Its value is masked here, but it is sent as PLAINTEXT and shown in the CodeBuild console: move it to ${n.name(Inputs.SecretEnvVars)} (Secrets Manager) or ${n.name(Inputs.ParameterEnvVars)}.`
    )
  }
  const literals = [plan.command ?? '', plan.buildspec.source === 'custom' ? plan.buildspec.content : '']
  for (const part of literals.flatMap(secretParts)) if (registrable(part)) register.add(part)
  if (plan.command !== undefined && isSecretValue(plan.command)) {
    warnings.push(
      'command: holds a secret-looking value (a token or a URL with a password). It is masked here, but it is sent as PLAINTEXT and shown in the CodeBuild console: pass it through secret-env-vars instead.'
    )
  }
  return { register: [...register], warnings }
}

/**
 * The one redaction of outside text for every channel (the live log, annotations, the job summary, the PR comment,
 * the CLI's text and JSON, the dry run): the values registered as secrets, then every secret-looking part.
 */
export function redactor(registered: readonly string[]): (text: string) => string {
  const values = [...new Set(registered)].filter(v => v !== '').sort((a, b) => b.length - a.length)
  return text => redactText(values.reduce((t, secret) => (t.includes(secret) ? t.split(secret).join(MASK) : t), text))
}

/** A copy of plain data (objects, arrays) with every string redacted; other values (dates, numbers) as they are. */
export function redactDeep<T>(value: T, redact: (text: string) => string): T {
  if (typeof value === 'string') return redact(value) as T
  if (Array.isArray(value)) return value.map(v => redactDeep(v as unknown, redact)) as T
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const copy: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) copy[k] = redactDeep(v, redact)
    return copy as T
  }
  return value
}
