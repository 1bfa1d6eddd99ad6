/**
 * The task's variables (env-vars, secret-env-vars, parameter-env-vars): how they are written, which names are
 * refused, and under which name each travels in the build.
 *
 * Where they go:
 * - with a bundled buildspec, the build host never sees a user's name: each variable travels as
 *   CBVT_VAR_<name> (CodeBuild resolves SECRETS_MANAGER and PARAMETER_STORE values into that name too), and the
 *   buildspec passes it into the container as `docker run -e <name>=<value>`, built in bash from the carried value.
 *   No name or value can change the host's shell or tools.
 * - with a custom buildspec the names are meant for the host, so names that change how bash, the dynamic loader,
 *   Docker, the AWS CLI/SDK, proxies or language runtimes behave are refused (HOST_CONTROL_*).
 *
 * Forms of a line: `NAME=value`, or (env-vars only) `NAME` alone, which takes the value from the step's environment
 * (`env:` on the step) as one variable, newlines included: the way in for untrusted text.
 */
import { EnvironmentVariableType } from '@aws-sdk/client-codebuild'
import { Inputs, RESERVED_VARIABLES } from '../support/index.js'
import { INPUT_NAMES, InputError } from '../errors/index.js'
import type { SettingNames } from '../errors/index.js'
import { isSecretName, isSecretValue, looksSecret } from './secrets.js'

export interface TaskVariable {
  name: string
  value: string
  type: EnvironmentVariableType
  /** PLAINTEXT whose name or value looks like a secret: never shown, and the user is warned. */
  looksSecret: boolean
}

/** Prefix of the names user variables travel under with a bundled buildspec. */
export const CARRIED_PREFIX = 'CBVT_VAR_'
/** Prefixes of names the action and CodeBuild keep for themselves. */
const RESERVED_PREFIXES = ['CBVT_', 'CODEBUILD_'] as const

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** Names that change how the host's shell, loader, tools or runtimes behave: refused with a custom buildspec. */
const HOST_CONTROL_NAMES: ReadonlySet<string> = new Set([
  // bash and sh
  'BASH_ENV',
  'ENV',
  'SHELLOPTS',
  'BASHOPTS',
  'BASH_XTRACEFD',
  'BASH_COMPAT',
  'BASH_LOADABLES_PATH',
  'PS1',
  'PS2',
  'PS3',
  'PS4',
  'IFS',
  'PATH',
  'HOME',
  'SHELL',
  'PROMPT_COMMAND',
  'GLOBIGNORE',
  'EXECIGNORE',
  'FIGNORE',
  'CDPATH',
  'POSIXLY_CORRECT',
  'INPUTRC',
  'HISTFILE',
  'TMPDIR',
  'PWD',
  'OLDPWD',
  // the C library and name resolution
  'GCONV_PATH',
  'LOCPATH',
  'NLSPATH',
  'HOSTALIASES',
  'RES_OPTIONS',
  'LOCALDOMAIN',
  'TZDIR',
  // language runtimes the host's tools run on
  'NODE_OPTIONS',
  'NODE_PATH',
  'NODE_EXTRA_CA_CERTS',
  'PERL5LIB',
  'PERL5OPT',
  'PERLLIB',
  'RUBYOPT',
  'RUBYLIB',
  'GEM_HOME',
  'GEM_PATH',
  'JAVA_TOOL_OPTIONS',
  '_JAVA_OPTIONS',
  'JDK_JAVA_OPTIONS',
  'CLASSPATH',
  // TLS trust and programs other tools start
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'CURL_CA_BUNDLE',
  'REQUESTS_CA_BUNDLE',
  'OPENSSL_CONF',
  'EDITOR',
  'VISUAL',
  'PAGER',
  'BROWSER',
  'SSH_AUTH_SOCK',
  'SSH_ASKPASS',
  'SSH_ASKPASS_REQUIRE',
  'SUDO_ASKPASS',
  'LESSOPEN',
  'LESSCLOSE',
  // configuration files and start-up code of shells and tools (issue 22's review)
  'ZDOTDIR',
  'XDG_CONFIG_HOME',
  'XDG_CONFIG_DIRS',
  'CURL_HOME',
  'WGETRC',
  'PHPRC',
  'PHP_INI_SCAN_DIR',
  'MAVEN_OPTS',
  'MAVEN_ARGS',
  'GRADLE_OPTS',
  'GOFLAGS',
  'GOENV',
  'GOTOOLCHAIN',
  'DOTNET_STARTUP_HOOKS',
  'DOTNET_ADDITIONAL_DEPS',
  'DOTNET_SHARED_STORE'
])

/**
 * Prefixes of such names: the loader (LD_), Docker and BuildKit, the AWS CLI/SDK, CodeBuild, Python, git, npm's
 * configuration (npm reads `npm_config_*` in any case), .NET's runtime (CORECLR_, COMPlus_) and Lua's LUA_INIT(_5_x).
 */
const HOST_CONTROL_PREFIXES = [
  'LD_',
  'DYLD_',
  'MALLOC_',
  'GLIBC_',
  'DOCKER_',
  'BUILDKIT_',
  'BUILDX_',
  'COMPOSE_',
  'CONTAINERD_',
  'AWS_',
  'CODEBUILD_',
  'PYTHON',
  'PIP_',
  'GIT_',
  'BASH_FUNC_',
  'CORECLR_',
  'COMPLUS_',
  'LUA_INIT',
  'NPM_CONFIG_'
] as const

/** True when a name changes how the build host's shell or tools behave. */
function isHostControlName(name: string): boolean {
  const upper = name.toUpperCase()
  return (
    HOST_CONTROL_NAMES.has(name) ||
    HOST_CONTROL_PREFIXES.some(p => name.startsWith(p) || ((p === 'NPM_CONFIG_' || p === 'COMPLUS_') && upper.startsWith(p))) ||
    /(?:^|_)PROXY$/i.test(name)
  )
}

/** Names the runner and other actions use for credentials and internals: never taken from the environment. */
const ENVIRONMENT_REFUSED_PREFIXES = ['AWS_', 'ACTIONS_', 'RUNNER_', 'INPUT_', 'STATE_'] as const
const ENVIRONMENT_REFUSED_NAMES: ReadonlySet<string> = new Set(['GITHUB_TOKEN'])

/** The name a variable travels under in the build. */
export function buildName(name: string, buildspec: 'bundled' | 'custom'): string {
  return buildspec === 'bundled' ? `${CARRIED_PREFIX}${name}` : name
}

const SECRET_REF = 'NAME=secret-id[:json-key[:version-stage[:version-id]]]'
const PARAMETER_REF = 'NAME=parameter-name'
const PLAIN_FORMS = 'NAME=value, or NAME alone to take the value from the environment'

interface Line {
  name: string
  /** Undefined for a name alone. */
  value?: string
  number: number
}

export interface VariableContext {
  /** The step's environment, for names given alone. */
  env: NodeJS.ProcessEnv
  buildspec: 'bundled' | 'custom'
  /** How the front end writes a setting (default: the action's input names). */
  names?: SettingNames
}

function parseLines(text: string, input: string, what: string, context: VariableContext): Line[] {
  const lines: Line[] = []
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) return
    const number = index + 1
    const eq = line.indexOf('=')
    const name = (eq < 0 ? line : line.slice(0, eq)).trim()
    if (eq === 0 || (eq < 0 && (input !== Inputs.EnvVars || !VARIABLE_NAME.test(name)))) {
      throw new InputError(input, `line ${number} must be ${what}, got '${eq === 0 ? '=…' : line.slice(0, 40)}'`)
    }
    if (!VARIABLE_NAME.test(name)) {
      throw new InputError(
        input,
        `line ${number}: '${name.slice(0, 40)}' is not a variable name (letters, digits and _, not starting with a digit)`
      )
    }
    const reserved = RESERVED_PREFIXES.find(p => name.startsWith(p))
    if (reserved)
      throw new InputError(input, `line ${number}: ${name}: names starting with ${reserved} are reserved for CodeBuild and the action`)
    if ((RESERVED_VARIABLES as readonly string[]).includes(name)) {
      throw new InputError(input, `line ${number}: ${name} is set by the action itself; use the matching input instead`)
    }
    if (context.buildspec === 'custom' && isHostControlName(name)) {
      throw new InputError(
        input,
        `line ${number}: ${name} changes how the build host's shell or tools (bash, the loader, Docker, the AWS CLI, proxies) behave; with a custom buildspec variables are set on the build host, so it is refused. Choose another name, or use the bundled buildspec, which passes variables into the container only`
      )
    }
    lines.push(eq < 0 ? { name, number } : { name, value: line.slice(eq + 1).trim(), number })
  })
  return lines
}

/** The value of a name given alone, from the step's environment; refuses credentials and internals. */
function fromEnvironment(line: Line, env: NodeJS.ProcessEnv, names: SettingNames = INPUT_NAMES): string {
  const { name, number } = line
  const toSecrets = `it would be sent as PLAINTEXT, visible in the CodeBuild console: put it in Secrets Manager and name it in ${names.name(Inputs.SecretEnvVars)}`
  if (ENVIRONMENT_REFUSED_NAMES.has(name) || ENVIRONMENT_REFUSED_PREFIXES.some(p => name.startsWith(p))) {
    throw new InputError(
      Inputs.EnvVars,
      `line ${number}: ${name} is a credential or an internal of the runner and is never taken from the environment; ${toSecrets}`
    )
  }
  if (isSecretName(name)) throw new InputError(Inputs.EnvVars, `line ${number}: ${name} looks like a secret by its name; ${toSecrets}`)
  const value = env[name]
  if (value === undefined) {
    throw new InputError(
      Inputs.EnvVars,
      `line ${number}: ${name} is given alone but is not set in the environment: set it (in a workflow, with env: on the step: ${name}: \${{ … }}), or write ${name}=value`
    )
  }
  if (isSecretValue(value))
    throw new InputError(
      Inputs.EnvVars,
      `line ${number}: the value of ${name} looks like a secret (a token or a URL with a password); ${toSecrets}`
    )
  return value
}

function checkSecretRef(line: Line & { value: string }): void {
  const parts = line.value.split(':')
  const idParts = line.value.startsWith('arn:') ? 7 : 1
  const ok = line.value !== '' && parts.length >= idParts && parts.length <= idParts + 3 && parts.slice(0, idParts).every(p => p !== '')
  if (!ok) throw new InputError(Inputs.SecretEnvVars, `line ${line.number} must be ${SECRET_REF}, got '${line.name}=${line.value}'`)
}

function checkParameterRef(line: Line & { value: string }): void {
  if (!/^(?:arn:[^\s]+|\/?[A-Za-z0-9_.\-/]+)$/.test(line.value)) {
    throw new InputError(Inputs.ParameterEnvVars, `line ${line.number} must be ${PARAMETER_REF}, got '${line.name}=${line.value}'`)
  }
}

function withValue(line: Line): line is Line & { value: string } {
  return line.value !== undefined
}

export interface VariableInputs {
  envVars: string
  secretEnvVars: string
  parameterEnvVars: string
}

/** The three inputs → the task's variables, every name checked; throws an InputError naming input, line and name. */
export function parseVariables(inputs: VariableInputs, context: VariableContext): TaskVariable[] {
  const variables: TaskVariable[] = [
    ...parseLines(inputs.envVars, Inputs.EnvVars, PLAIN_FORMS, context).map(l => {
      const value = withValue(l) ? l.value : fromEnvironment(l, context.env, context.names)
      return { name: l.name, value, type: EnvironmentVariableType.PLAINTEXT, looksSecret: withValue(l) && looksSecret(l.name, value) }
    }),
    ...parseLines(inputs.secretEnvVars, Inputs.SecretEnvVars, SECRET_REF, context).map(l => {
      if (!withValue(l)) throw new InputError(Inputs.SecretEnvVars, `line ${l.number} must be ${SECRET_REF}, got '${l.name}'`)
      checkSecretRef(l)
      return { name: l.name, value: l.value, type: EnvironmentVariableType.SECRETS_MANAGER, looksSecret: false }
    }),
    ...parseLines(inputs.parameterEnvVars, Inputs.ParameterEnvVars, PARAMETER_REF, context).map(l => {
      if (!withValue(l)) throw new InputError(Inputs.ParameterEnvVars, `line ${l.number} must be ${PARAMETER_REF}, got '${l.name}'`)
      checkParameterRef(l)
      return { name: l.name, value: l.value, type: EnvironmentVariableType.PARAMETER_STORE, looksSecret: false }
    })
  ]
  const seen = new Set<string>()
  for (const v of variables) {
    if (seen.has(v.name))
      throw new InputError(
        inputOf(v.type),
        `names ${v.name} more than once (across ${[Inputs.EnvVars, Inputs.SecretEnvVars, Inputs.ParameterEnvVars].map(i => (context.names ?? INPUT_NAMES).name(i)).join(', ')})`
      )
    seen.add(v.name)
  }
  return variables
}

export function inputOf(type: string | undefined): string {
  if (type === EnvironmentVariableType.SECRETS_MANAGER) return Inputs.SecretEnvVars
  if (type === EnvironmentVariableType.PARAMETER_STORE) return Inputs.ParameterEnvVars
  return Inputs.EnvVars
}
