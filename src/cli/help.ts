/** --help: every flag (the action's inputs, from action.yml), the CLI's own, and the exit codes. */
import { FLAGS, WORKFLOW_ONLY } from './flags.generated.js'

function wrap(text: string, width: number, indent: string): string {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line)
      line = word
    } else line = line ? `${line} ${word}` : word
  }
  if (line) lines.push(line)
  return lines.map(l => indent + l).join('\n')
}

export function helpText(version: string): string {
  const flag = (name: string, value: string, text: string): string => `  --${name}${value}\n${wrap(text, 88, '      ')}\n`
  const inputs = FLAGS.filter(f => f.name !== 'task').map(f => {
    const value = f.kind === 'boolean' ? `[=true|false]` : ' <value>'
    const extra = [
      f.required ? 'Required.' : '',
      f.kind === 'multi' ? 'Repeat the flag for each value.' : '',
      f.default !== '' && f.kind !== 'boolean' ? `Default: ${f.default}.` : f.kind === 'boolean' ? `Default: ${f.default}.` : ''
    ]
      .filter(Boolean)
      .join(' ')
    return flag(f.name, value, `${f.description}${extra ? ` ${extra}` : ''}`)
  })
  const task = FLAGS.find(f => f.name === 'task')
  return [
    `codebuild-vpc-task ${version}: run a migration, seed or maintenance task on a VPC-attached AWS CodeBuild project,`,
    'streaming its log, from a terminal.',
    '',
    'Usage: codebuild-vpc-task <task> --project-name <name> [flags]',
    '',
    `  <task> (or --task <task>)\n${wrap(task?.description ?? '', 88, '      ')}`,
    '',
    "Flags (the action's inputs; same meaning, validation and defaults):",
    ...inputs,
    'Of the command line:',
    flag(
      'profile',
      ' <name>',
      "AWS profile of the shared config and credentials files (as AWS_PROFILE). Credentials come from the SDK's default chain: environment, shared config and credentials, SSO, credential_process, container and instance roles."
    ),
    flag(
      'json',
      '',
      'Print one JSON object with the result on stdout (exitCode, id, number, status, duration, links, phases, diagnosis, taskExitCode, taskOutputs; with the plan task pending, pendingCount and planDigest; message on failure, a refused flag included); the log goes to stderr.'
    ),
    flag('help', '', 'Show this help.'),
    flag('version', '', 'Show the version.'),
    `Left out (they only make sense in a GitHub workflow): ${WORKFLOW_ONLY.join(', ')}.`,
    '',
    'Exit codes:',
    '  0    the build succeeded (or the dry run passed, or wait is false and the build started)',
    '  1    the build failed, faulted, timed out or was stopped',
    '  2    bad flags or inputs: nothing was started',
    '  3    AWS, network or credential error, including watching given up while the build goes on',
    '  4    nothing started: a precondition failed (project busy with --if-running fail, a backup check, the project lookup)',
    '  130  interrupted with Ctrl-C (SIGINT), at any moment: the build is stopped (a second Ctrl-C exits at once and leaves it running)',
    '  143  terminated with SIGTERM (kill, timeout), at any moment: the same as Ctrl-C',
    ''
  ].join('\n')
}
