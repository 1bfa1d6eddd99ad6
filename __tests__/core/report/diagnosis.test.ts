import type { Build } from '@aws-sdk/client-codebuild'
import { AgentLineFilter } from '../../../src/core/watch/agent-log.js'
import {
  FailureDiagnoser,
  KNOWN_FAILURES,
  MAX_EVIDENCE,
  formatDiagnosis,
  type BuildFacts,
  type Diagnosis
} from '../../../src/core/report/diagnosis.js'

const IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/app'
const ROLE = 'arn:aws:sts::123456789012:assumed-role/app-codebuild-role/AWSCodeBuild-1234'
const DB_HOST = 'app-db.cluster-c1a2b3c4d5e6.us-east-1.rds.amazonaws.com'

let clock = 0
/** An agent line as CodeBuild prints it: `[Container] YYYY/MM/DD HH:MM:SS.micro message`. */
function agent(message: string): string {
  clock += 1
  const micros = String(123456 + clock * 1031).padStart(6, '0')
  const seconds = String(clock % 60).padStart(2, '0')
  return `[Container] 2026/11/25 12:00:${seconds}.${micros} ${message}`
}

const BUILD_ARN = 'arn:aws:codebuild:us-east-1:123456789012:build/app-migrations:0b1f'
const FAILED: BuildFacts = { arn: BUILD_ARN, buildStatus: 'FAILED' }

/** The agent lines around a failed `docker run` of the task. */
function failedRun(command: string): string[] {
  const run = `docker run --rm -e DATABASE_URL "$IMAGE_URI" ${command}`
  return [
    agent(`Command did not exit successfully ${run} exit status 1`),
    agent('Phase complete: BUILD State: FAILED'),
    agent(`Phase context status code: COMMAND_EXECUTION_ERROR Message: Error while executing command: ${run}. Reason: exit status 1`)
  ]
}

const START = [
  agent('Waiting for agent ping'),
  agent('Waiting for DOWNLOAD_SOURCE'),
  agent('Phase is DOWNLOAD_SOURCE'),
  agent('CODEBUILD_SRC_DIR=/codebuild/output/src1234567890/src'),
  agent('YAML location is /codebuild/readonly/buildspec.yml'),
  agent('Setting HTTP client timeout to higher timeout for S3 source'),
  agent('Processing environment variables'),
  agent('No runtime version selected in buildspec.'),
  agent('Moving to directory /codebuild/output/src1234567890/src'),
  agent('Phase complete: DOWNLOAD_SOURCE State: SUCCEEDED'),
  agent('Phase context status code:  Message: '),
  agent('Entering phase INSTALL'),
  agent('Phase complete: INSTALL State: SUCCEEDED'),
  agent('Entering phase PRE_BUILD')
]

const LOGIN = [
  agent('Running command aws ecr get-login-password --region "$AWS_REGION" | docker login --username AWS --password-stdin "$ECR_REGISTRY"'),
  'WARNING! Your password will be stored unencrypted in /root/.docker/config.json.',
  'Configure a credential helper to remove this warning. See',
  'https://docs.docker.com/engine/reference/commandline/login/#credentials-store',
  '',
  'Login Succeeded'
]

const PULL = [
  agent('Running command docker pull "$IMAGE_URI"'),
  'latest: Pulling from app',
  'a2318d6c47ec: Pulling fs layer',
  '3b8e4e1a7f23: Pulling fs layer',
  'a2318d6c47ec: Verifying Checksum',
  'a2318d6c47ec: Download complete',
  'a2318d6c47ec: Pull complete',
  '3b8e4e1a7f23: Pull complete',
  'Digest: sha256:5f0b5b4a1c3d2e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f',
  `Status: Downloaded newer image for ${IMAGE}:latest`,
  `${IMAGE}:latest`,
  agent('Phase complete: PRE_BUILD State: SUCCEEDED'),
  agent('Phase context status code:  Message: '),
  agent('Entering phase BUILD')
]

function run(command: string): string {
  return agent(`Running command docker run --rm -e DATABASE_URL "$IMAGE_URI" ${command}`)
}

interface Case {
  /** The log excerpt. */
  readonly log: readonly string[]
  /** The finished build's facts; FAILED when absent. */
  readonly build?: BuildFacts
  /** What the fix must name (the key action). */
  readonly fix: readonly (string | RegExp)[]
  /** Part of the evidence. */
  readonly evidence: string
}

/** One realistic excerpt per known failure: every entry of KNOWN_FAILURES needs one here. */
const EXCERPTS: Readonly<Record<string, Case>> = {
  'docker-daemon': {
    log: [
      ...START,
      agent(
        'Running command aws ecr get-login-password --region "$AWS_REGION" | docker login --username AWS --password-stdin "$ECR_REGISTRY"'
      ),
      'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
      agent(
        'Command did not exit successfully aws ecr get-login-password --region "$AWS_REGION" | docker login --username AWS --password-stdin "$ECR_REGISTRY" exit status 1'
      ),
      agent('Phase complete: PRE_BUILD State: FAILED')
    ],
    fix: ['privilegedMode', 'true'],
    evidence: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock'
  },
  'vpc-endpoint': {
    log: [
      agent('Waiting for agent ping'),
      agent('Waiting for DOWNLOAD_SOURCE'),
      agent('Phase is DOWNLOAD_SOURCE'),
      agent('Processing environment variables'),
      agent('Phase complete: DOWNLOAD_SOURCE State: FAILED'),
      agent('Phase context status code: Secrets Manager Error Message: RequestError: send request failed'),
      'caused by: Post "https://secretsmanager.us-east-1.amazonaws.com/": dial tcp 10.0.12.34:443: i/o timeout'
    ],
    fix: ['com.amazonaws.us-east-1.secretsmanager', 'NAT gateway', '443'],
    evidence: 'dial tcp 10.0.12.34:443: i/o timeout'
  },
  'secret-access': {
    log: [
      ...START,
      agent(
        'Running command export DATABASE_URL="$(aws secretsmanager get-secret-value --secret-id "$DATABASE_SECRET_ID" --query SecretString --output text)"'
      ),
      '',
      `An error occurred (AccessDeniedException) when calling the GetSecretValue operation: User: ${ROLE} is not authorized to perform: secretsmanager:GetSecretValue on resource: prod/database-url because no identity-based policy allows the secretsmanager:GetSecretValue action`,
      agent(
        'Command did not exit successfully export DATABASE_URL="$(aws secretsmanager get-secret-value --secret-id "$DATABASE_SECRET_ID" --query SecretString --output text)" exit status 254'
      ),
      agent('Phase complete: PRE_BUILD State: FAILED')
    ],
    fix: ['secretsmanager:GetSecretValue', 'prod/database-url', 'app-codebuild-role'],
    evidence: 'An error occurred (AccessDeniedException) when calling the GetSecretValue operation'
  },
  'ecr-pull': {
    log: [
      ...START,
      ...LOGIN,
      agent('Running command docker pull "$IMAGE_URI"'),
      `Error response from daemon: pull access denied for ${IMAGE}, repository does not exist or may require 'docker login': denied: User: ${ROLE} is not authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:us-east-1:123456789012:repository/app because no identity-based policy allows the ecr:BatchGetImage action`,
      agent('Command did not exit successfully docker pull "$IMAGE_URI" exit status 1'),
      agent('Phase complete: PRE_BUILD State: FAILED'),
      agent(
        'Phase context status code: COMMAND_EXECUTION_ERROR Message: Error while executing command: docker pull "$IMAGE_URI". Reason: exit status 1'
      )
    ],
    fix: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:GetAuthorizationToken', 'image URI'],
    evidence: 'pull access denied for'
  },
  // Image mode: PROVISIONING fails before the agent starts (the message as awslabs/aws-codebuild-jenkins-plugin#106,
  // kalrish/aws-csgo#6 and everything2/everything2#2562 quote it), so the log has nothing: the phase says it all.
  'environment-pull': {
    log: [],
    build: {
      arn: BUILD_ARN,
      buildStatus: 'FAILED',
      phases: [
        { phaseType: 'SUBMITTED', phaseStatus: 'SUCCEEDED' },
        { phaseType: 'QUEUED', phaseStatus: 'SUCCEEDED' },
        {
          phaseType: 'PROVISIONING',
          phaseStatus: 'FAILED',
          contexts: [
            {
              statusCode: 'CLIENT_ERROR',
              message: `BUILD_CONTAINER_UNABLE_TO_PULL_IMAGE: Unable to pull customer's container image. CannotPullContainerError: Error response from daemon: pull access denied for ${IMAGE}, repository does not exist or may require 'docker login': denied: User: ${ROLE} is not authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:us-east-1:123456789012:repository/app`
            }
          ]
        },
        { phaseType: 'COMPLETED' }
      ]
    },
    fix: ['ecr:BatchGetImage', 'app-codebuild-role', 'image-mode project'],
    evidence: 'PROVISIONING CLIENT_ERROR: BUILD_CONTAINER_UNABLE_TO_PULL_IMAGE'
  },
  // Image mode on a distroless image: CodeBuild's own wording is unknown; Docker's (GoogleContainerTools/distroless#891).
  'no-shell': {
    log: [...START.slice(0, 1), 'exec: "/bin/sh": stat /bin/sh: no such file or directory'],
    fix: ['/bin/sh', 'run-in: container'],
    evidence: 'exec: "/bin/sh": stat /bin/sh'
  },
  'wrong-architecture': {
    log: [
      ...START,
      ...LOGIN,
      ...PULL,
      run('npx prisma migrate deploy'),
      'exec /usr/local/bin/docker-entrypoint.sh: exec format error',
      ...failedRun('npx prisma migrate deploy')
    ],
    fix: ['docker buildx build --platform linux/amd64'],
    evidence: 'exec /usr/local/bin/docker-entrypoint.sh: exec format error'
  },
  'database-unreachable': {
    log: [
      ...START,
      ...LOGIN,
      ...PULL,
      run('psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f /app/migrations/0042_add_orders_index.sql'),
      `psql: error: connection to server at "${DB_HOST}" (10.0.3.4), port 5432 failed: timeout expired`,
      ...failedRun('psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f /app/migrations/0042_add_orders_index.sql')
    ],
    fix: ['inbound', 'port 5432', 'security group'],
    evidence: 'port 5432 failed: timeout expired'
  },
  'command-not-found': {
    log: [
      ...START,
      ...LOGIN,
      ...PULL,
      run('node dist/migrate.js'),
      'node:internal/modules/cjs/loader:1228',
      '  throw err;',
      '  ^',
      '',
      "Error: Cannot find module '/app/dist/migrate.js'",
      '    at Module._resolveFilename (node:internal/modules/cjs/loader:1225:15)',
      '    at Module._load (node:internal/modules/cjs/loader:1051:27)',
      '    at node:internal/main/run_main_module:28:49 {',
      "  code: 'MODULE_NOT_FOUND',",
      '  requireStack: []',
      '}',
      '',
      'Node.js v22.11.0',
      ...failedRun('node dist/migrate.js')
    ],
    fix: ["the task's command", 'working directory'],
    evidence: "Cannot find module '/app/dist/migrate.js'"
  },
  'source-misconfigured': {
    log: [agent('Waiting for agent ping'), agent('Waiting for DOWNLOAD_SOURCE')],
    build: {
      buildStatus: 'FAILED',
      phases: [
        { phaseType: 'SUBMITTED', phaseStatus: 'SUCCEEDED' },
        { phaseType: 'QUEUED', phaseStatus: 'SUCCEEDED' },
        { phaseType: 'PROVISIONING', phaseStatus: 'SUCCEEDED', contexts: [{ statusCode: '', message: '' }] },
        {
          phaseType: 'DOWNLOAD_SOURCE',
          phaseStatus: 'FAILED',
          contexts: [
            {
              statusCode: 'CLIENT_ERROR',
              message: 'repository not found for primary source and source version refs/heads/main'
            }
          ]
        },
        { phaseType: 'FINALIZING', phaseStatus: 'SUCCEEDED', contexts: [{ statusCode: '', message: '' }] },
        { phaseType: 'COMPLETED' }
      ]
    },
    fix: ['NO_SOURCE', 'source override'],
    evidence: 'DOWNLOAD_SOURCE CLIENT_ERROR: repository not found'
  },
  timeout: {
    log: [
      ...START,
      ...LOGIN,
      ...PULL,
      run('npx prisma migrate deploy'),
      'Prisma schema loaded from prisma/schema.prisma',
      `Datasource "db": PostgreSQL database "app", schema "public" at "${DB_HOST}:5432"`,
      '',
      '3 migrations found in prisma/migrations',
      '',
      'Applying migration `20261125093000_add_orders_created_at_index`',
      agent('Build has timed out. ')
    ],
    build: { buildStatus: 'TIMED_OUT', phases: [{ phaseType: 'BUILD', phaseStatus: 'TIMED_OUT' }] },
    fix: ['timeout-minutes', 'lock'],
    evidence: 'Build has timed out.'
  }
}

/** More signatures, each with the id it must give and what the fix must name. */
const VARIANTS: readonly (readonly [string, string, readonly string[], readonly (string | RegExp)[]])[] = [
  [
    'wrong-architecture: no matching manifest',
    'wrong-architecture',
    [
      agent('Running command docker pull "$IMAGE_URI"'),
      'latest: Pulling from app',
      'no matching manifest for linux/amd64 in the manifest list entries'
    ],
    ['--platform linux/amd64']
  ],
  [
    'wrong-architecture: arm64 build host',
    'wrong-architecture',
    ['docker: no matching manifest for linux/arm64/v8 in the manifest list entries.'],
    ['--platform linux/arm64']
  ],
  [
    'wrong-architecture: platform warning',
    'wrong-architecture',
    [
      "WARNING: The requested image's platform (linux/arm64/v8) does not match the detected host platform (linux/amd64/v3) and no specific platform was requested",
      'exec /app/node_modules/.bin/drizzle-kit: exec format error'
    ],
    ['--platform linux/amd64']
  ],
  [
    'docker-daemon: docker 28 wording',
    'docker-daemon',
    [
      'failed to connect to the docker API at unix:///var/run/docker.sock; check if the path is correct and if the daemon is running: dial unix /var/run/docker.sock: connect: no such file or directory'
    ],
    ['privilegedMode']
  ],
  [
    'vpc-endpoint: AWS CLI connect timeout to ECR',
    'vpc-endpoint',
    [
      agent(
        'Running command aws ecr get-login-password --region "$AWS_REGION" | docker login --username AWS --password-stdin "$ECR_REGISTRY"'
      ),
      '',
      'Connect timeout on endpoint URL: "https://api.ecr.us-east-1.amazonaws.com/"',
      'Error: Cannot perform an interactive login from a non TTY device'
    ],
    ['com.amazonaws.us-east-1.ecr.api', 'ecr.dkr']
  ],
  [
    'vpc-endpoint: AWS CLI secret fetch',
    'vpc-endpoint',
    ['Connect timeout on endpoint URL: "https://secretsmanager.eu-west-1.amazonaws.com/"'],
    ['com.amazonaws.eu-west-1.secretsmanager']
  ],
  [
    'vpc-endpoint: could not connect to logs',
    'vpc-endpoint',
    ['Could not connect to the endpoint URL: "https://logs.us-east-1.amazonaws.com/"'],
    ['com.amazonaws.us-east-1.logs']
  ],
  [
    'vpc-endpoint: docker pull from the registry times out',
    'vpc-endpoint',
    [
      `Error response from daemon: Get "https://123456789012.dkr.ecr.us-east-1.amazonaws.com/v2/": net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)`
    ],
    ['com.amazonaws.us-east-1.ecr.dkr']
  ],
  [
    'vpc-endpoint: ECR layers on S3',
    'vpc-endpoint',
    [
      'a2318d6c47ec: Retrying in 5 seconds',
      'error pulling image configuration: download failed after attempts=6: dial tcp 52.217.96.164:443: i/o timeout'
    ],
    ['secretsmanager, ecr.api, ecr.dkr and logs', 'S3 gateway endpoint', 'NAT gateway']
  ],
  [
    'vpc-endpoint: S3 host named',
    'vpc-endpoint',
    [
      'Get "https://prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com/a2318d6c47ec/sha256?X-Amz-Algorithm=AWS4-HMAC-SHA256": dial tcp 52.217.96.164:443: i/o timeout'
    ],
    ['com.amazonaws.us-east-1.s3', 'gateway endpoint']
  ],
  [
    'secret-access: KMS key',
    'secret-access',
    ['An error occurred (AccessDeniedException) when calling the GetSecretValue operation: Access to KMS is not allowed'],
    ['kms:Decrypt']
  ],
  [
    'secret-access: phase context',
    'secret-access',
    [
      agent(
        `Phase context status code: Secrets Manager Error Message: AccessDeniedException: User: ${ROLE} is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/database-url-AbCdEf because no identity-based policy allows the secretsmanager:GetSecretValue action`
      )
    ],
    ['arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/database-url-AbCdEf']
  ],
  [
    'ecr-pull: no basic auth credentials',
    'ecr-pull',
    [
      `Unable to find image '${IMAGE}:latest' locally`,
      `docker: Error response from daemon: Head "https://123456789012.dkr.ecr.us-east-1.amazonaws.com/v2/app/manifests/latest": no basic auth credentials.`,
      "See 'docker run --help'."
    ],
    ['ecr:BatchGetImage', 'image URI']
  ],
  [
    'ecr-pull: login denied',
    'ecr-pull',
    [
      `An error occurred (AccessDeniedException) when calling the GetAuthorizationToken operation: User: ${ROLE} is not authorized to perform: ecr:GetAuthorizationToken on resource: * because no identity-based policy allows the ecr:GetAuthorizationToken action`,
      'Error: Cannot perform an interactive login from a non TTY device'
    ],
    ['ecr:GetAuthorizationToken was denied']
  ],
  [
    'database-unreachable: prisma P1001',
    'database-unreachable',
    [
      'Prisma schema loaded from prisma/schema.prisma',
      `Datasource "db": PostgreSQL database "app", schema "public" at "${DB_HOST}:5432"`,
      '',
      `Error: P1001: Can't reach database server at \`${DB_HOST}\`:\`5432\``,
      '',
      `Please make sure your database server is running at \`${DB_HOST}\`:\`5432\`.`
    ],
    ['port 5432']
  ],
  [
    'database-unreachable: drizzle-kit / node-postgres',
    'database-unreachable',
    [
      "[✓] Reading config file '/app/drizzle.config.ts'",
      'Error: connect ETIMEDOUT 10.0.3.4:5432',
      '    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1607:16) {',
      '  errno: -110,',
      "  code: 'ETIMEDOUT',",
      "  syscall: 'connect',",
      "  address: '10.0.3.4',",
      '  port: 5432',
      '}'
    ],
    ['port 5432']
  ],
  [
    'database-unreachable: mysql',
    'database-unreachable',
    [`ERROR 2003 (HY000): Can't connect to MySQL server on '${DB_HOST}:3306' (110)`],
    ['port 3306']
  ],
  [
    'database-unreachable: flyway',
    'database-unreachable',
    [
      'Flyway Community Edition 10.21.0 by Redgate',
      `ERROR: Unable to obtain connection from database (jdbc:postgresql://${DB_HOST}:5432/app) for user 'flyway': The connection attempt failed.`,
      '-----------------------------------------------------------------------------------------------------------',
      'SQL State  : 08001',
      'Error Code : 0',
      'Message    : The connection attempt failed.',
      'Caused by: java.net.SocketTimeoutException: Connect timed out'
    ],
    ['port 5432']
  ],
  [
    'database-unreachable: old libpq, port on another line',
    'database-unreachable',
    [
      'psql: could not connect to server: Connection timed out',
      `\tIs the server running on host "${DB_HOST}" (10.0.3.4) and accepting`,
      '\tTCP/IP connections on port 5432?'
    ],
    ['5432 for PostgreSQL, 3306 for MySQL']
  ],
  [
    'database-unreachable: bun / go driver dial',
    'database-unreachable',
    [`failed to connect to \`user=app database=app\`: 10.0.3.4:5432 (${DB_HOST}): dial error: dial tcp 10.0.3.4:5432: i/o timeout`],
    ['port 5432']
  ],
  ['command-not-found: sh', 'command-not-found', ['/bin/sh: 1: drizzle-kit: not found'], ["the task's command"]],
  ['command-not-found: bash', 'command-not-found', ['bash: line 1: prisma: command not found'], ["the task's command"]],
  [
    'command-not-found: docker exec',
    'command-not-found',
    [
      'docker: Error response from daemon: failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "migrate": executable file not found in $PATH: unknown.'
    ],
    ['PATH']
  ],
  [
    'command-not-found: missing file',
    'command-not-found',
    [
      'docker: Error response from daemon: failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "/app/bin/migrate.sh": stat /app/bin/migrate.sh: no such file or directory: unknown.'
    ],
    ["the task's command"]
  ],
  ['command-not-found: bun', 'command-not-found', ['error: Module not found "scripts/migrate.ts"'], ["the task's command"]],
  [
    'command-not-found: node ESM package',
    'command-not-found',
    ["Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'drizzle-orm' imported from /app/dist/migrate.js"],
    ['devDependencies']
  ],
  [
    'command-not-found: npm script',
    'command-not-found',
    ['npm error Missing script: "db:migrate"', 'npm error', 'npm error To see a list of scripts, run:', 'npm error   npm run'],
    ["the task's command"]
  ],
  [
    'command-not-found: python',
    'command-not-found',
    [
      'Traceback (most recent call last):',
      '  File "/app/manage.py", line 3, in <module>',
      "ModuleNotFoundError: No module named 'alembic'"
    ],
    ["the task's command"]
  ],
  ['timeout: log line only', 'timeout', [agent('Build has timed out. ')], ['timeout-minutes']]
]

/** Feeds log events to the diagnoser as followBuild does: sorted by an AgentLineFilter knowing `commands`. */
function feed(diagnoser: FailureDiagnoser, messages: readonly string[], filter = new AgentLineFilter()): FailureDiagnoser {
  for (const message of messages) for (const line of filter.classify(message)) diagnoser.observe(line)
  return diagnoser
}

function diagnoseLog(lines: readonly string[], build: BuildFacts | undefined = FAILED): Diagnosis | undefined {
  return feed(new FailureDiagnoser(), lines).diagnose(build)
}

function expectMentions(text: string, parts: readonly (string | RegExp)[]): void {
  for (const part of parts) {
    if (typeof part === 'string') expect(text).toContain(part)
    else expect(text).toMatch(part)
  }
}

describe('KNOWN_FAILURES', () => {
  it('has an excerpt in this file for every entry, and no excerpt without an entry', () => {
    const ids = KNOWN_FAILURES.map(f => f.id)
    expect(ids.filter(id => !(id in EXCERPTS))).toEqual([])
    expect(Object.keys(EXCERPTS).filter(id => !ids.includes(id))).toEqual([])
    expect(ids.length).toBe(11)
  })

  it('is the table of the task, in order of precedence', () => {
    expect(KNOWN_FAILURES.map(f => f.id)).toEqual([
      'docker-daemon',
      'vpc-endpoint',
      'secret-access',
      'environment-pull',
      'ecr-pull',
      'wrong-architecture',
      'database-unreachable',
      'no-shell',
      'command-not-found',
      'source-misconfigured',
      'timeout'
    ])
  })

  it('has unique ids, texts, a way to match, and patterns with only the i flag', () => {
    expect(new Set(KNOWN_FAILURES.map(f => f.id)).size).toBe(KNOWN_FAILURES.length)
    for (const failure of KNOWN_FAILURES) {
      expect(failure.title).not.toBe('')
      expect(failure.cause).not.toBe('')
      expect(typeof failure.fix === 'function' || failure.fix.length > 0).toBe(true)
      expect((failure.patterns?.length ?? 0) > 0 || failure.matchBuild !== undefined).toBe(true)
      for (const pattern of failure.patterns ?? []) expect(pattern.flags).toBe('i')
    }
  })

  it('is frozen', () => {
    expect(Object.isFrozen(KNOWN_FAILURES)).toBe(true)
  })
})

describe('FailureDiagnoser: one excerpt per known failure', () => {
  it.each(Object.entries(EXCERPTS))('%s', (id, excerpt) => {
    const diagnosis = diagnoseLog(excerpt.log, excerpt.build ?? FAILED)
    expect(diagnosis?.id).toBe(id)
    const failure = KNOWN_FAILURES.find(f => f.id === id)
    expect(diagnosis?.title).toBe(failure?.title)
    expect(diagnosis?.cause).toBe(failure?.cause)
    expectMentions(diagnosis?.fix ?? '', excerpt.fix)
    expect(diagnosis?.evidence).toContain(excerpt.evidence)
    expect(diagnosis?.evidence.length).toBeLessThanOrEqual(MAX_EVIDENCE)
  })

  it.each(VARIANTS)('%s', (_name, id, log, fix) => {
    const diagnosis = diagnoseLog(log)
    expect(diagnosis?.id).toBe(id)
    expectMentions(diagnosis?.fix ?? '', fix)
  })
})

describe('FailureDiagnoser: no diagnosis', () => {
  const successfulMigrations: Record<string, readonly string[]> = {
    prisma: [
      run('npx prisma migrate deploy'),
      'Prisma schema loaded from prisma/schema.prisma',
      `Datasource "db": PostgreSQL database "app", schema "public" at "${DB_HOST}:5432"`,
      '',
      '3 migrations found in prisma/migrations',
      '',
      'Applying migration `20261125093000_handle_connection_timed_out_rows`',
      '',
      'The following migration(s) have been applied:',
      '',
      'migrations/',
      '  └─ 20261125093000_handle_connection_timed_out_rows/',
      '    └─ migration.sql',
      '',
      'All migrations have been successfully applied.'
    ],
    drizzle: [
      run('npx drizzle-kit migrate'),
      "[✓] Reading config file '/app/drizzle.config.ts'",
      '[⣷] applying migrations...',
      '[✓] migrations applied successfully!'
    ],
    flyway: [
      run('flyway migrate'),
      'Flyway Community Edition 10.21.0 by Redgate',
      `Database: jdbc:postgresql://${DB_HOST}:5432/app (PostgreSQL 16.4)`,
      'Successfully validated 12 migrations (execution time 00:00.041s)',
      'Current version of schema "public": 11',
      'Migrating schema "public" to version "12 - add orders index"',
      'Successfully applied 1 migration to schema "public", now at version v12 (execution time 00:00.213s)'
    ]
  }

  it.each(Object.entries(successfulMigrations))('a successful %s migration', (_tool, lines) => {
    const log = [
      ...START,
      ...LOGIN,
      ...PULL,
      ...lines,
      agent('Phase complete: BUILD State: SUCCEEDED'),
      agent('Phase context status code:  Message: ')
    ]
    expect(diagnoseLog(log)).toBeUndefined()
    expect(diagnoseLog(log, { buildStatus: 'SUCCEEDED' })).toBeUndefined()
    expect(diagnoseLog(log, undefined)).toBeUndefined()
  })

  it('a healthy login and docker pull', () => {
    expect(diagnoseLog([...START, ...LOGIN, ...PULL])).toBeUndefined()
  })

  it('the agent echo of a command containing every signature', () => {
    const signatures =
      'exec format error; Cannot connect to the Docker daemon; dial tcp 10.0.0.1:443: i/o timeout; is not authorized to perform: secretsmanager:GetSecretValue; pull access denied; no basic auth credentials; connect ETIMEDOUT 10.0.3.4:5432; Connection timed out; Cannot find module; command not found; Build has timed out'
    const command = `sh -c 'npx prisma migrate deploy 2>&1 | grep -v -e "${signatures}"'`
    const log = [run(command), 'All migrations have been successfully applied.', ...failedRun(command), `+ grep -v -e "${signatures}"`]
    expect(diagnoseLog(log)).toBeUndefined()
  })

  it('the lines of a command continued with backslashes', () => {
    const log = [
      agent('Running command docker run --rm \\'),
      '  -e DATABASE_URL \\',
      '  "$IMAGE_URI" sh -c \'migrate || echo "command not found" \\',
      '  && echo "exec format error"\'',
      'All migrations have been successfully applied.'
    ]
    expect(diagnoseLog(log)).toBeUndefined()
    // The first line after the command is read again.
    expect(diagnoseLog([...log, 'bash: line 1: migrate: command not found'])?.id).toBe('command-not-found')
  })

  it('a multi-line command of the buildspec, echoed one line an event (either prefix): its lines are not evidence', () => {
    const command =
      'npx knex migrate:latest || status=$?\nif [ "${status:-0}" -eq 124 ]; then echo "connection timed out"; fi\nexit "${status:-0}"\n'
    const [first, ...more] = command.split('\n')
    const echo = (prefix: string): string[] => [`${prefix} 2026/11/25 12:00:01.000001 Running command ${first}`, ...more]
    for (const prefix of ['[Container]', '[Instance]']) {
      const log = [...echo(prefix), "Error: Cannot find module 'pg'"]
      const diagnosis = feed(new FailureDiagnoser(), log, new AgentLineFilter([command])).diagnose(FAILED)
      expect(diagnosis?.id).toBe('command-not-found')
      // Without the buildspec's commands, the echoed line is read as output: the reason to give them.
      expect(diagnoseLog(log)?.id).toBe('database-unreachable')
    }
  })

  it('a multi-line event that echoes a command', () => {
    const diagnoser = feed(new FailureDiagnoser(), [`${run('sh -c "')}\nprisma migrate deploy\n|| echo 'Cannot find module'\n"`])
    expect(diagnoser.diagnose(FAILED)).toBeUndefined()
  })

  it('a succeeded build, whatever its log', () => {
    expect(diagnoseLog(EXCERPTS['command-not-found']?.log ?? [], { buildStatus: 'SUCCEEDED' })).toBeUndefined()
  })

  it('nothing observed', () => {
    expect(new FailureDiagnoser().diagnose()).toBeUndefined()
    expect(new FailureDiagnoser().diagnose(FAILED)).toBeUndefined()
  })

  it('a generic failure', () => {
    const log = [
      ...START,
      ...LOGIN,
      ...PULL,
      run('npx prisma migrate deploy'),
      'Error: P3009',
      'migrate found failed migrations in the target database, new migrations will not be applied.',
      ...failedRun('npx prisma migrate deploy')
    ]
    expect(diagnoseLog(log)).toBeUndefined()
  })
})

describe('FailureDiagnoser: precedence', () => {
  it('a missing ECR endpoint beats the "no basic auth credentials" it causes', () => {
    const diagnosis = diagnoseLog([
      agent(
        'Running command aws ecr get-login-password --region "$AWS_REGION" | docker login --username AWS --password-stdin "$ECR_REGISTRY"'
      ),
      'Connect timeout on endpoint URL: "https://api.ecr.us-east-1.amazonaws.com/"',
      'Error: Cannot perform an interactive login from a non TTY device',
      agent('Running command docker pull "$IMAGE_URI"'),
      `Error response from daemon: Head "https://123456789012.dkr.ecr.us-east-1.amazonaws.com/v2/app/manifests/latest": no basic auth credentials`
    ])
    expect(diagnosis?.id).toBe('vpc-endpoint')
  })

  it('an ECR denial beats a later "not found" and a timeout', () => {
    const diagnosis = diagnoseLog(
      [
        "docker: Error response from daemon: pull access denied for app, repository does not exist or may require 'docker login': denied: Your authorization token has expired. Reauthenticate and try again.",
        '/bin/sh: 1: migrate: not found',
        agent('Build has timed out. ')
      ],
      { buildStatus: 'TIMED_OUT' }
    )
    expect(diagnosis?.id).toBe('ecr-pull')
  })

  it('a wrong architecture beats the generic "command not found", in either order', () => {
    const lines = ['sh: migrate: not found', 'exec /usr/local/bin/docker-entrypoint.sh: exec format error']
    expect(diagnoseLog(lines)?.id).toBe('wrong-architecture')
    expect(diagnoseLog([...lines].reverse())?.id).toBe('wrong-architecture')
  })

  it('an unreachable database beats the timeout it leads to', () => {
    const diagnosis = diagnoseLog(['Error: connect ETIMEDOUT 10.0.3.4:5432', agent('Build has timed out. ')], { buildStatus: 'TIMED_OUT' })
    expect(diagnosis?.id).toBe('database-unreachable')
  })

  it('a Secrets Manager endpoint timeout on :443 is not read as the database', () => {
    expect(diagnoseLog(['Error: connect ETIMEDOUT 52.46.152.10:443'])?.id).toBe('vpc-endpoint')
    expect(diagnoseLog(['dial tcp 10.0.12.34:443: connect: connection timed out'])?.id).toBe('vpc-endpoint')
  })

  it('an i/o timeout in a DOWNLOAD_SOURCE CLIENT_ERROR is a missing endpoint, not a source problem', () => {
    const build: BuildFacts = {
      buildStatus: 'FAILED',
      phases: [
        {
          phaseType: 'DOWNLOAD_SOURCE',
          phaseStatus: 'FAILED',
          contexts: [
            {
              statusCode: 'CLIENT_ERROR',
              message:
                'RequestError: send request failed caused by: Get "https://codebuild-bucket.s3.us-east-1.amazonaws.com/source.zip": dial tcp 52.217.96.164:443: i/o timeout'
            }
          ]
        }
      ]
    }
    const diagnosis = new FailureDiagnoser().diagnose(build)
    expect(diagnosis?.id).toBe('vpc-endpoint')
    expect(diagnosis?.evidence).toMatch(/^DOWNLOAD_SOURCE CLIENT_ERROR: RequestError/)
    expect(diagnosis?.fix).toContain('com.amazonaws.us-east-1.s3')
  })
})

describe('FailureDiagnoser: evidence and build facts', () => {
  it('keeps the first evidence of a signature', () => {
    const diagnosis = diagnoseLog(['Error: connect ETIMEDOUT 10.0.3.4:5432', 'Error: connect ETIMEDOUT 10.0.3.5:3306'])
    expect(diagnosis?.evidence).toBe('Error: connect ETIMEDOUT 10.0.3.4:5432')
    expect(diagnosis?.fix).toContain('port 5432')
  })

  it('trims, collapses whitespace and caps long lines around the match', () => {
    const short = diagnoseLog(['   \t bash: line 1: prisma: command not found  \r'])
    expect(short?.evidence).toBe('bash: line 1: prisma: command not found')

    const long = diagnoseLog([`${'x'.repeat(500)} exec format error ${'y'.repeat(500)}`])
    expect(long?.evidence.length).toBeLessThanOrEqual(MAX_EVIDENCE)
    expect(long?.evidence).toContain('exec format error')
    expect(long?.evidence).toMatch(/^x{90}…x+ exec format error y+…$/)

    const tail = diagnoseLog([`${'x'.repeat(300)} exec format error`])
    expect(tail?.evidence).toMatch(/^x{90}…x+ exec format error$/)
    expect(tail?.evidence.length).toBe(MAX_EVIDENCE)

    const head = diagnoseLog([`exec format error ${'y'.repeat(500)}`])
    expect(head?.evidence.length).toBe(MAX_EVIDENCE)
    expect(head?.evidence).toMatch(/^exec format error y+…$/)
  })

  it('drops the agent prefix from agent evidence', () => {
    expect(diagnoseLog([agent('Build has timed out. ')])?.evidence).toBe('Build has timed out.')
  })

  it('ignores colour codes', () => {
    const diagnosis = diagnoseLog([
      `Error: P1001: Can't reach database server at \u001b[1m\`${DB_HOST}\`\u001b[22m:\u001b[1m\`5432\`\u001b[22m`
    ])
    expect(diagnosis?.id).toBe('database-unreachable')
    expect(diagnosis?.evidence).not.toContain('\u001b')
    expect(diagnosis?.fix).toContain('port 5432')
  })

  it('splits an event of several lines', () => {
    const diagnoser = feed(new FailureDiagnoser(), [
      'Prisma schema loaded from prisma/schema.prisma\nError: connect ETIMEDOUT 10.0.3.4:5432\n'
    ])
    expect(diagnoser.diagnose(FAILED)?.evidence).toBe('Error: connect ETIMEDOUT 10.0.3.4:5432')
  })

  it('reads phase contexts of the build, but never the command of a failed command', () => {
    const build: BuildFacts = {
      buildStatus: 'FAILED',
      phases: [
        {
          phaseType: 'BUILD',
          phaseStatus: 'FAILED',
          contexts: [
            {
              statusCode: 'COMMAND_EXECUTION_ERROR',
              message:
                'Error while executing command: docker run --rm "$IMAGE_URI" sh -c "migrate || echo command not found". Reason: exit status 1'
            }
          ]
        }
      ]
    }
    expect(new FailureDiagnoser().diagnose(build)).toBeUndefined()

    const secrets: BuildFacts = {
      buildStatus: 'FAILED',
      phases: [
        {
          phaseType: 'DOWNLOAD_SOURCE',
          phaseStatus: 'FAILED',
          contexts: [
            {
              statusCode: 'Secrets Manager Error',
              message: `AccessDeniedException: User: ${ROLE} is not authorized to perform: secretsmanager:GetSecretValue on resource: prod/database-url`
            }
          ]
        }
      ]
    }
    const diagnosis = new FailureDiagnoser().diagnose(secrets)
    expect(diagnosis?.id).toBe('secret-access')
    expect(diagnosis?.evidence).toMatch(/^DOWNLOAD_SOURCE Secrets Manager Error: AccessDeniedException: User: arn:aws:sts::.*…/)
    expect(diagnosis?.evidence).toContain('is not authorized to perform: secretsmanager:GetSecretValue')
  })

  it('diagnoses TIMED_OUT without a log line', () => {
    const diagnosis = new FailureDiagnoser().diagnose({ buildStatus: 'TIMED_OUT' })
    expect(diagnosis?.id).toBe('timeout')
    expect(diagnosis?.evidence).toBe('Build status TIMED_OUT')
  })

  it('needs CLIENT_ERROR in a failed DOWNLOAD_SOURCE for a source problem', () => {
    const phases = (status: string, code: string): BuildFacts => ({
      buildStatus: 'FAILED',
      phases: [{ phaseType: 'DOWNLOAD_SOURCE', phaseStatus: status, contexts: [{ statusCode: code, message: 'x' }] }]
    })
    expect(new FailureDiagnoser().diagnose(phases('FAILED', 'CLIENT_ERROR'))?.id).toBe('source-misconfigured')
    expect(new FailureDiagnoser().diagnose(phases('SUCCEEDED', 'CLIENT_ERROR'))).toBeUndefined()
    expect(new FailureDiagnoser().diagnose(phases('FAILED', 'YAML_FILE_ERROR'))).toBeUndefined()
  })

  it('does not keep what a diagnosis read from the build', () => {
    const diagnoser = new FailureDiagnoser()
    expect(diagnoser.diagnose({ buildStatus: 'TIMED_OUT' })?.id).toBe('timeout')
    expect(diagnoser.diagnose(FAILED)).toBeUndefined()
  })

  it('takes the SDK Build as it is', () => {
    const build: Build = {
      id: 'app-migrate:1234',
      buildStatus: 'FAILED',
      phases: [
        {
          phaseType: 'DOWNLOAD_SOURCE',
          phaseStatus: 'FAILED',
          startTime: new Date(0),
          contexts: [{ statusCode: 'CLIENT_ERROR', message: 'repository not found for primary source and source version main' }]
        }
      ]
    }
    expect(new FailureDiagnoser().diagnose(build)?.id).toBe('source-misconfigured')
  })

  it('reads 50,000 lines quickly', () => {
    const lines = [...START, ...LOGIN, ...PULL]
    const noise = [
      'Applying migration `20261125093000_add_orders_created_at_index`',
      '  ALTER TABLE "orders" ADD COLUMN "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;',
      agent('Running command echo "exec format error Connection timed out"'),
      `{"level":30,"time":1764072000000,"pid":1,"hostname":"${DB_HOST}","msg":"copied batch 1234 of 50000 rows"}`
    ]
    const diagnoser = new FailureDiagnoser()
    const filter = new AgentLineFilter()
    const started = performance.now()
    for (let i = 0; i < 50_000; i++) feed(diagnoser, [noise[i % noise.length] ?? ''], filter)
    feed(diagnoser, lines, filter)
    const elapsed = performance.now() - started
    expect(diagnoser.diagnose(FAILED)).toBeUndefined()
    expect(elapsed).toBeLessThan(2000)
  })
})

describe('formatDiagnosis', () => {
  it('gives title, cause, fix and evidence as plain text', () => {
    const diagnosis = diagnoseLog(EXCERPTS['secret-access']?.log ?? [])
    expect(diagnosis).toBeDefined()
    const message = formatDiagnosis(diagnosis as Diagnosis)
    expect(message).toContain(diagnosis?.title)
    expect(message).toContain(diagnosis?.cause)
    expect(message).toContain(`Fix: ${diagnosis?.fix}`)
    expect(message).toContain(`Evidence: ${diagnosis?.evidence}`)
    expect(message).not.toMatch(/^::|%0A/m)
    expect(message.split('\n')[0]).toMatch(/^Likely cause: The build role cannot read the secret\./)
  })
})

describe("the task's text cannot steer the IAM advice", () => {
  const denied = (role: string, resource: string): string =>
    `An error occurred (AccessDeniedException) when calling the GetSecretValue operation: User: ${role} is not authorized to perform: secretsmanager:GetSecretValue on resource: ${resource}`
  const ATTACKER = 'arn:aws:secretsmanager:us-east-1:999999999999:secret:exfil-AbCdEf'

  it("names a secret and the role of the build's own account", () => {
    const d = diagnoseLog([denied(ROLE, 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf')])
    expect(d?.fix).toContain('(arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf)')
    expect(d?.fix).toContain('(app-codebuild-role)')
  })

  it('quotes an ARN of another account as evidence only, never as a grant to make', () => {
    const d = diagnoseLog([denied('arn:aws:sts::999999999999:assumed-role/attacker-role/x', ATTACKER)])
    expect(d?.id).toBe('secret-access')
    expect(d?.evidence).toContain('attacker-role')
    expect(d?.fix).not.toContain('999999999999')
    expect(d?.fix).not.toContain('attacker-role')
    expect(d?.fix).not.toContain('exfil')
    expect(d?.fix).toMatch(/outside this build's account 123456789012: check the project's variables rather than granting access to it/)
  })

  it("names no resource from the log when the build's account is unknown", () => {
    const d = diagnoseLog([denied(ROLE, 'prod/database-url')], { buildStatus: 'FAILED' })
    expect(d?.fix).not.toContain('prod/database-url')
    expect(d?.fix).not.toContain('app-codebuild-role')
    const ecr = diagnoseLog([
      `denied: User: arn:aws:sts::999999999999:assumed-role/attacker-role/x is not authorized to perform: ecr:BatchGetImage`
    ])
    expect(ecr?.fix).not.toContain('attacker-role')
  })
})
