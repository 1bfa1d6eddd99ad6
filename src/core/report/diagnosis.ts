/**
 * Recognises known causes of a failed task from the build's log lines and phase contexts, so the
 * action can add a second annotation with the likely cause and the fix.
 *
 * The known failures are data: KNOWN_FAILURES below. Adding one is one entry here and one excerpt in
 * __tests__/core/report/diagnosis.test.ts (a test fails for an entry without an excerpt).
 *
 * Precedence: when several entries have evidence, the one listed FIRST in KNOWN_FAILURES wins, whatever
 * the order of the lines. The table is ordered root cause first: a failure that makes the later steps
 * fail comes before what those steps then print (a missing VPC endpoint makes `docker login` fail and
 * the pull say "no basic auth credentials"; an image of the wrong architecture cannot start, so a
 * "not found" after it is noise), and the generic ones (source, timeout) come last.
 *
 * What is matched:
 * - every line of the task and of the agent (either prefix, `[Container]` or `[Instance]`), as AgentLineFilter
 *   sorts them, except the agent's echo of the commands it runs: `Running command ...` and `Command did not exit
 *   successfully ... exit status N` with the continuation lines of a multi-line command, the command quoted in
 *   `Phase context status code: COMMAND_EXECUTION_ERROR Message: Error while executing command: <command>. Reason:
 *   ...` (only the reason is kept), and shell trace lines (`+ command`). The text of a task command never matches.
 * - the finished build's phase contexts (as in the log), and the build's status and phases.
 *
 * Cost: one combined case-insensitive regex test per line (a few string checks before it); lines are
 * not kept, only the first evidence of each entry. Lines are scanned up to MAX_SCAN characters.
 */
import { COMMAND_ERROR, REASON, agentMessage, parseAgentLine } from '../watch/index.js'
import type { LogLine } from '../watch/index.js'
import { Inputs, stripAnsi } from '../support/index.js'
import { INPUT_NAMES } from '../errors/index.js'
import type { SettingNames } from '../errors/index.js'

/** The parts of a phase context the diagnosis reads; the SDK's PhaseContext fits. */
interface PhaseContextFacts {
  readonly statusCode?: string | undefined
  readonly message?: string | undefined
}

/** The parts of a build phase the diagnosis reads; the SDK's BuildPhase fits. */
interface BuildPhaseFacts {
  readonly phaseType?: string | undefined
  readonly phaseStatus?: string | undefined
  readonly contexts?: readonly PhaseContextFacts[] | undefined
}

/** The parts of a build the diagnosis reads; `Build` from @aws-sdk/client-codebuild fits. */
export interface BuildFacts {
  /** arn:aws:codebuild:<region>:<account>:build/…: the account IAM suggestions are limited to. */
  readonly arn?: string | undefined
  readonly buildStatus?: string | undefined
  readonly phases?: readonly BuildPhaseFacts[] | undefined
}

export interface KnownFailure {
  /** Stable identifier, e.g. `vpc-endpoint`. */
  readonly id: string
  /** Short name of the failure, the start of the annotation. */
  readonly title: string
  /** Why it happens. */
  readonly cause: string
  /**
   * What to do: fixed text, or text tailored from the full line or phase context that matched. That text may come
   * from the task's own output: it is quoted as evidence, and a fix names an IAM resource or role from it only when
   * it lies in the build's own account (`scope.account`).
   */
  readonly fix: string | ((matched: string, scope: DiagnosisScope) => string)
  /**
   * Signatures tested against each log line and phase context message. Flags must be exactly `i`
   * (they are also combined into one pre-check regex; no `g`/`y` state).
   */
  readonly patterns?: readonly RegExp[]
  /** Evidence from the finished build itself (status, phases), for failures the log may not show. */
  readonly matchBuild?: (build: BuildFacts) => string | undefined
}

export interface Diagnosis {
  readonly id: string
  readonly title: string
  readonly cause: string
  readonly fix: string
  /** The line or phase context that matched, whitespace collapsed, at most MAX_EVIDENCE characters. */
  readonly evidence: string
}

/** What the diagnosis knows of the build itself, from CodeBuild rather than from the log. */
interface DiagnosisScope {
  /** The build's account, from its ARN; undefined when unknown (then no fix names a resource from the log). */
  readonly account?: string | undefined
  /** How the front end writes a setting, for a fix that names one. */
  readonly names: SettingNames
}

/** The account of a build, from its ARN. */
function buildAccount(arn: string | undefined): string | undefined {
  return /^arn:aws[a-z-]*:codebuild:[a-z0-9-]+:(\d{12}):build\//.exec(arn ?? '')?.[1]
}

export const MAX_EVIDENCE = 200
/** Characters of the start of a long line kept in its evidence. */
const EVIDENCE_HEAD = 90
/** Characters of a line that are scanned; signatures sit near the start of a line. */
const MAX_SCAN = 8192

const SERVICE_LABELS: Readonly<Record<string, string>> = {
  secretsmanager: 'Secrets Manager',
  'ecr.api': 'the ECR API',
  'ecr.dkr': 'the ECR registry',
  logs: 'CloudWatch Logs',
  s3: 'S3',
  sts: 'STS',
  ssm: 'Systems Manager',
  kms: 'KMS'
}

/** Host of an AWS service endpoint, regional or not, public or a VPC endpoint's name. */
const AWS_SERVICE_HOST = String.raw`\b(?:secretsmanager|api\.ecr|dkr\.ecr|ecr|logs|sts|ssm|kms|s3)(?:[.-][a-z]{2}(?:-gov)?-[a-z]+-\d)?(?:\.vpce)?\.amazonaws\.com`

export const KNOWN_FAILURES: readonly KnownFailure[] = Object.freeze([
  {
    id: 'docker-daemon',
    title: 'Docker is not available in the build',
    cause: 'The CodeBuild project is not in privileged mode, so the build has no Docker daemon to log in, pull and run the image with.',
    fix: "Set privilegedMode to true in the CodeBuild project's environment (console: Environment > Privileged), then run the task again.",
    patterns: [/cannot connect to the docker daemon/i, /failed to connect to the docker api at/i]
  },
  {
    id: 'vpc-endpoint',
    title: "An AWS service is unreachable from the build's VPC",
    cause:
      'The build runs in private subnets with no VPC endpoint or NAT gateway for the service it calls (Secrets Manager, ECR, CloudWatch Logs, S3), so the connection times out.',
    fix: vpcEndpointFix,
    patterns: [
      /:443\b["'`]?:? ?(?:i\/o timeout|connect: connection timed out)/i,
      /\bETIMEDOUT \S+:443\b/i,
      /connect timeout on endpoint url/i,
      /could not connect to the endpoint url/i,
      new RegExp(`${AWS_SERVICE_HOST}.*(?:i/o timeout|timed out|timeout exceeded)`, 'i')
    ]
  },
  {
    id: 'secret-access',
    title: 'The build role cannot read the secret',
    cause: 'The CodeBuild service role is not allowed to read the secret that holds DATABASE_URL.',
    fix: secretAccessFix,
    patterns: [/not authorized to perform:? secretsmanager:GetSecretValue/i, /access to kms is not allowed/i]
  },
  {
    // Image mode: CodeBuild pulls the image itself before the build starts, and fails PROVISIONING with
    // "BUILD_CONTAINER_UNABLE_TO_PULL_IMAGE: Unable to pull customer's container image. CannotPullContainerError: …"
    // (awslabs/aws-codebuild-jenkins-plugin#106, kalrish/aws-csgo#6, everything2/everything2#2562). Before ecr-pull:
    // the same message says "pull access denied", but the fix is the service role's and the pull credentials'.
    id: 'environment-pull',
    title: 'CodeBuild could not pull the image as the build environment',
    cause:
      "With run-in: build-environment CodeBuild pulls image-uri itself, with the project's service role (imagePullCredentialsType SERVICE_ROLE), before the build starts; the pull was refused or the image does not exist.",
    fix: environmentPullFix,
    patterns: [/BUILD_CONTAINER_UNABLE_TO_PULL_IMAGE/i]
  },
  {
    id: 'ecr-pull',
    title: 'The build role cannot pull the image',
    cause:
      "ECR refused the pull: the CodeBuild service role has no pull permission on the repository, or the build is not logged in to the image's registry.",
    fix: ecrPullFix,
    patterns: [
      /pull access denied/i,
      /no basic auth credentials/i,
      /not authorized to perform:? ecr:/i,
      /\bdenied: (?:your authorization token|not authorized)/i
    ]
  },
  {
    id: 'wrong-architecture',
    title: 'The image is built for another CPU architecture',
    cause:
      'The image was built for arm64 (for example on Apple Silicon) and the build runs on linux/amd64, or the other way round, so its programs cannot start.',
    fix: wrongArchitectureFix,
    patterns: [/exec format error/i, /no matching manifest for linux\//i, /does not match the (?:detected host|specified) platform/i]
  },
  {
    id: 'database-unreachable',
    title: 'The database is unreachable from the build',
    cause:
      "The connection to the database timed out: its security group does not admit the build's security group, or the project is not in the database's VPC.",
    fix: databaseFix,
    patterns: [
      /connection to server (?:at|on) .*failed: (?:timeout|connection timed out)/i,
      /\bconnection timed out\b/i,
      /\bconnect timed out\b/i,
      /\bETIMEDOUT \S+:\d{2,5}\b/i,
      /dial tcp \S+:\d{2,5}: (?:i\/o timeout|connect: connection timed out)/i,
      /can't reach database server at/i,
      /can't connect to mysql server on/i,
      /unable to obtain connection from database/i,
      /timeout exceeded when trying to connect/i,
      /connection terminated due to connection timeout/i
    ]
  },
  {
    // Image mode runs the buildspec with /bin/sh inside the image. CodeBuild's own message for an image without one
    // (distroless, scratch) is not known (cloud-custodian/cloud-custodian#5560 reports such images failing without
    // quoting it); these are Docker's and the shells' wordings (GoogleContainerTools/distroless#891). Before
    // command-not-found, whose `exec: "…": stat` signature they also match.
    id: 'no-shell',
    title: 'The image has no shell to run the buildspec with',
    cause:
      "With run-in: build-environment CodeBuild runs the buildspec's commands with /bin/sh inside the image, and a distroless or scratch image has none.",
    fix: 'Run the task in an image that has /bin/sh (a variant of the image with a shell, such as a -debug, slim or alpine base), or use run-in: container, which runs the image with Docker and needs no shell in it.',
    patterns: [
      /exec: "\/bin\/(?:ba)?sh": stat \/bin\/(?:ba)?sh: no such file or directory/i,
      /\bexec \/bin\/(?:ba)?sh: no such file or directory/i
    ]
  },
  {
    id: 'command-not-found',
    title: 'The task command was not found in the image',
    cause: 'The command, script or module the task runs does not exist at that name or path inside the image.',
    fix: "Check the task's command against the image: the program must be on the image's PATH, or the path relative to its working directory (WORKDIR), and its packages installed in the image (not only as devDependencies pruned from it).",
    patterns: [
      /\bmodule not found\b/i,
      /\bno module named\b/i,
      /cannot find package\b/i,
      /cannot find module\b/i,
      /command not found/i,
      /executable file not found in \$PATH/i,
      /\bsh: (?:line \d+: |\d+: )?\S+: not found\b/i,
      /exec: "[^"]*": stat \S+: no such file or directory/i,
      /\bmissing script:/i,
      /\bscript not found\b/i
    ]
  },
  {
    id: 'source-misconfigured',
    title: "The project's source is misconfigured for the task",
    cause:
      'The DOWNLOAD_SOURCE phase failed with CLIENT_ERROR: the project has a source the task build cannot fetch, while the task needs none.',
    fix: 'Use a NO_SOURCE CodeBuild project for the task (the action sends the buildspec), or keep the source override off.',
    matchBuild: build => {
      for (const phase of build.phases ?? []) {
        if (phase.phaseType !== 'DOWNLOAD_SOURCE' || phase.phaseStatus === 'SUCCEEDED') continue
        const context = phase.contexts?.find(c => c.statusCode === 'CLIENT_ERROR')
        if (context) return phaseEvidence(phase, context)
      }
      return undefined
    }
  },
  {
    id: 'timeout',
    title: 'The build timed out',
    cause: "The task ran longer than the build's timeout and CodeBuild stopped it.",
    fix: (_, scope) =>
      `Raise ${scope.names.name(Inputs.TimeoutMinutes)} (or the project's timeout); if the migration was waiting, check for a lock it waits on (a long transaction, or another migration holding the lock).`,
    patterns: [/build has timed out/i],
    matchBuild: build => {
      const phase = build.phases?.find(p => p.phaseStatus === 'TIMED_OUT')
      if (build.buildStatus !== 'TIMED_OUT' && !phase) return undefined
      return `Build status ${build.buildStatus ?? 'unknown'}${phase ? `, phase ${phase.phaseType ?? 'unknown'} TIMED_OUT` : ''}`
    }
  }
] satisfies KnownFailure[])

const LINE_FAILURES = KNOWN_FAILURES.filter(f => f.patterns && f.patterns.length > 0)
/** One pre-check for all signatures: most lines match nothing and cost one regex test. */
const ANY_SIGNATURE = new RegExp(
  LINE_FAILURES.flatMap(f => f.patterns ?? [])
    .map(p => `(?:${p.source})`)
    .join('|'),
  'i'
)

interface Finding {
  readonly evidence: string
  /** The full text that matched, for a tailored fix. */
  readonly text: string
}

export class FailureDiagnoser {
  private readonly found = new Map<string, Finding>()

  /** `names`: how the front end writes a setting a fix names. */
  constructor(private readonly names: SettingNames = INPUT_NAMES) {}

  /** Feed one line of the log as AgentLineFilter sorted it: the agent's echo of a command is never evidence. */
  observe(logged: LogLine): void {
    if (logged.kind === 'echo') return
    const line = stripAnsi(logged.text.length > MAX_SCAN ? logged.text.slice(0, MAX_SCAN) : logged.text).trim()
    const message = logged.kind === 'agent' ? agentMessage(line) : undefined
    if (message === undefined) {
      if (line !== '' && !line.startsWith('+ ')) record(this.found, line, line)
      return
    }
    const event = parseAgentLine(line)
    if (event?.kind === 'context') {
      record(this.found, contextText(event.statusCode, event.message), message)
      return
    }
    record(this.found, message, message)
  }

  /**
   * The likely cause, from the observed lines and, when given, the finished build's phases and status.
   * Undefined when nothing is recognised or the build succeeded. Does not change what was observed.
   */
  diagnose(build?: BuildFacts): Diagnosis | undefined {
    if (build?.buildStatus === 'SUCCEEDED') return undefined
    let found = this.found
    if (build) {
      found = new Map(this.found)
      for (const phase of build.phases ?? []) {
        for (const context of phase.contexts ?? []) {
          if (!context.message?.trim()) continue
          record(found, contextText(context.statusCode, context.message), phaseEvidence(phase, context))
        }
      }
      for (const failure of KNOWN_FAILURES) {
        if (!failure.matchBuild || found.has(failure.id)) continue
        const evidence = failure.matchBuild(build)
        if (evidence) found.set(failure.id, finding(failure, evidence, evidence))
      }
    }
    const scope: DiagnosisScope = { account: buildAccount(build?.arn), names: this.names }
    for (const failure of KNOWN_FAILURES) {
      const hit = found.get(failure.id)
      if (!hit) continue
      const fix = typeof failure.fix === 'string' ? failure.fix : failure.fix(hit.text, scope)
      return { id: failure.id, title: failure.title, cause: failure.cause, fix, evidence: hit.evidence }
    }
    return undefined
  }
}

/** One annotation message: title, cause, fix and evidence, as plain text (no workflow-command syntax). */
export function formatDiagnosis(diagnosis: Diagnosis): string {
  return [`Likely cause: ${diagnosis.title}. ${diagnosis.cause}`, `Fix: ${diagnosis.fix}`, `Evidence: ${diagnosis.evidence}`].join('\n')
}

/** The part of a phase context worth matching: the reason of a failed command, never the command. */
function contextText(statusCode: string | undefined, message: string): string {
  let text = message.replace(/\s+/g, ' ').trim()
  if (text.startsWith(COMMAND_ERROR)) {
    const at = text.lastIndexOf(REASON)
    text = at < 0 ? '' : text.slice(at + REASON.length)
  }
  return statusCode ? `${statusCode} ${text}` : text
}

function phaseEvidence(phase: BuildPhaseFacts, context: PhaseContextFacts): string {
  const code = context.statusCode ? ` ${context.statusCode}` : ''
  return `${phase.phaseType ?? 'phase'}${code}: ${context.message ?? ''}`
}

function record(found: Map<string, Finding>, text: string, evidence: string): void {
  if (!ANY_SIGNATURE.test(text)) return
  for (const failure of LINE_FAILURES) {
    if (found.has(failure.id)) continue
    for (const pattern of failure.patterns ?? []) {
      const match = pattern.exec(text)
      if (match) {
        found.set(failure.id, finding(failure, evidence, match[0]))
        break
      }
    }
  }
}

function finding(_failure: KnownFailure, evidence: string, matched: string): Finding {
  return { evidence: excerpt(evidence, matched), text: evidence }
}

/**
 * The evidence with whitespace collapsed, at most MAX_EVIDENCE characters: the start of the line (what
 * failed) and, when the match lies further on, an ellipsis and the text around the match.
 */
function excerpt(evidence: string, matched: string): string {
  const text = evidence.replace(/\s+/g, ' ').trim()
  if (text.length <= MAX_EVIDENCE) return text
  const match = matched.replace(/\s+/g, ' ')
  const at = Math.max(0, text.indexOf(match))
  if (at + match.length < MAX_EVIDENCE || at < EVIDENCE_HEAD + 20) return `${text.slice(0, MAX_EVIDENCE - 1)}…`
  const room = MAX_EVIDENCE - EVIDENCE_HEAD - 1
  const tail = text.length - (at - 20) <= room ? text.slice(text.length - room) : `${text.slice(at - 20, at - 20 + room - 1)}…`
  return `${text.slice(0, EVIDENCE_HEAD)}…${tail}`
}

// --- fixes tailored from the evidence -------------------------------------------------------------

function awsService(text: string): { service: string; region?: string } | undefined {
  const host = /([a-z0-9.-]+)\.amazonaws\.com/i.exec(text)?.[1]?.toLowerCase()
  if (!host) return undefined
  const labels = host.split('.')
  const region = labels.find(l => /^[a-z]{2}(?:-gov)?-[a-z]+-\d$/.test(l))
  const service = labels.includes('secretsmanager')
    ? 'secretsmanager'
    : labels.includes('ecr')
      ? labels.includes('dkr')
        ? 'ecr.dkr'
        : 'ecr.api'
      : labels.find(l => l === 's3' || l.startsWith('s3-'))
        ? 's3'
        : ['logs', 'sts', 'ssm', 'kms'].find(s => labels.includes(s))
  if (!service) return undefined
  return region ? { service, region } : { service }
}

function vpcEndpointFix(text: string): string {
  const securityGroup = "allow inbound 443 on the endpoint's security group from the build's security group"
  const found = awsService(text)
  if (!found) {
    return `Give the build's subnets a route to AWS: interface VPC endpoints for secretsmanager, ecr.api, ecr.dkr and logs plus an S3 gateway endpoint (ECR image layers), or a NAT gateway; ${securityGroup}s.`
  }
  const region = found.region ?? '<region>'
  if (found.service === 's3') {
    return `The build cannot reach S3 (ECR keeps image layers there): add the S3 gateway endpoint com.amazonaws.${region}.s3 to the route tables of the build's subnets, or route them through a NAT gateway.`
  }
  const ecr = found.service.startsWith('ecr.') ? ' ECR needs ecr.api, ecr.dkr and an S3 gateway endpoint together.' : ''
  return `The build cannot reach ${SERVICE_LABELS[found.service] ?? found.service}: create the interface VPC endpoint com.amazonaws.${region}.${found.service} in the build's subnets (private DNS on), or route them through a NAT gateway; ${securityGroup}.${ecr}`
}

/** The account of an ARN (its fifth field), if it is one. */
function arnAccount(arn: string): string | undefined {
  return /^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}):/.exec(arn)?.[1]
}

/** The service role, named only when the log's assumed-role ARN is in the build's own account. */
function buildRole(text: string, scope: DiagnosisScope): string {
  const m = /arn:aws[a-z-]*:sts::(\d{12}):assumed-role\/([^/\s]+)/.exec(text)
  return m && scope.account !== undefined && m[1] === scope.account ? `the CodeBuild service role (${m[2]})` : 'the CodeBuild service role'
}

function secretAccessFix(text: string, scope: DiagnosisScope): string {
  const role = buildRole(text, scope)
  if (/access to kms is not allowed/i.test(text)) {
    return `The secret is encrypted with a customer managed KMS key: allow kms:Decrypt on that key to ${role}, in the key policy or the role's policy, besides secretsmanager:GetSecretValue on the secret's ARN.`
  }
  const resource = /on resource:\s*([^\s,;]+)/i.exec(text)?.[1]
  let arn = "the secret's ARN (the one the project's DATABASE_URL or secret-env-vars name)"
  let note = ''
  if (resource && scope.account !== undefined) {
    const account = resource.startsWith('arn:') ? arnAccount(resource) : scope.account
    if (account === scope.account) {
      arn = resource.startsWith('arn:')
        ? `the secret's ARN (${resource})`
        : `the secret's ARN (arn:aws:secretsmanager:<region>:${scope.account}:secret:${resource}-??????)`
    } else {
      note = ` The log names a resource outside this build's account ${scope.account}: check the project's variables rather than granting access to it.`
    }
  }
  return `Add secretsmanager:GetSecretValue on ${arn} to ${role}; if the secret uses a customer managed KMS key, allow kms:Decrypt on the key as well.${note}`
}

function ecrPullFix(text: string, scope: DiagnosisScope): string {
  const denied = /not authorized to perform:?\s*(ecr:[a-z]+)/i.exec(text)?.[1]
  return `Attach ECR pull permissions to ${buildRole(text, scope)}: ecr:GetAuthorizationToken (on *), ecr:BatchGetImage, ecr:GetDownloadUrlForLayer and ecr:BatchCheckLayerAvailability on the repository${denied ? ` (${denied} was denied)` : ''}. Check the registry (account and region) in the image URI is the one the build logs in to; a repository in another account also needs a repository policy for the role.`
}

function environmentPullFix(text: string, scope: DiagnosisScope): string {
  return `${ecrPullFix(text, scope)} The template's image-mode project grants them on the repositories it is given only.`
}

function wrongArchitectureFix(text: string): string {
  const platform =
    (/no matching manifest for (linux\/[a-z0-9_]+)/i.exec(text) ??
      /detected host platform \((linux\/[a-z0-9_]+)/i.exec(text) ??
      /wanted (linux\/[a-z0-9_]+)/i.exec(text))?.[1]?.toLowerCase() ?? 'linux/amd64'
  return `Rebuild and push the image for ${platform}: docker buildx build --platform ${platform} -t <image> --push . (or a multi-platform image, --platform linux/amd64,linux/arm64). With run-in: build-environment the image must match the build environment's architecture: the project's or the fleet's environment type (LINUX_CONTAINER is amd64, ARM_CONTAINER arm64).`
}

function databaseFix(text: string): string {
  const port =
    /\bport\s+(\d{2,5})\b/i.exec(text)?.[1] ??
    /(?:\d{1,3}(?:\.\d{1,3}){3}|[a-z0-9-]+(?:\.[a-z0-9-]+)+)[`'"]?:[`'"]?(\d{2,5})\b/i.exec(text)?.[1]
  const what = port ? `port ${port}` : "the database's port (5432 for PostgreSQL, 3306 for MySQL)"
  return `Allow inbound TCP on ${what} in the database's security group from the build's security group, and check the project runs in the database's VPC, in subnets routed to it.`
}
