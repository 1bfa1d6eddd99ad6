/**
 * The commands every bundled buildspec shares, one text each so each rule has one home: the guard that keeps the
 * project's DATABASE_URL, and the commands that carry a task's outputs out of the build (README "Task outputs"). The
 * buildspecs that share them: the container-mode ones (scripts/buildspec-template.ts, run by bash) and image mode's
 * (scripts/image-mode-buildspec.ts, run by POSIX /bin/sh, which may be dash or BusyBox's ash). One text, so the rule
 * has one home: POSIX shell and POSIX tools only (`base64` with no option, since BusyBox's may lack GNU's `-w`,
 * and `tr` to join its lines).
 *
 * The contract, the same in both modes: the task gets TASK_OUTPUT, the path of a file it may write in GitHub's
 * `$GITHUB_OUTPUT` format, in OUTPUT_DIR; post_build (which runs after a failed build phase too) exports that file as
 * TASK_OUTPUTS, base64 without line breaks; the mark NO_OUTPUTS when there is none or it is empty (never '': whether
 * CodeBuild reports an exported variable set to '' is undocumented, and the action waits for one it does not see); a mark instead (src/core/results/task-outputs.ts)
 * when it is not a regular file (a symbolic link could carry a file of the build host out), is over
 * MAX_TASK_OUTPUT_BYTES, or could not be encoded (no base64 or tr on the PATH). It never fails, so it never fails a
 * build that succeeded.
 */
import {
  MAX_TASK_OUTPUT_BYTES,
  NO_OUTPUTS,
  REFUSED_NOT_A_FILE,
  REFUSED_NOT_ENCODED,
  REFUSED_TOO_LARGE,
  TASK_OUTPUTS_VARIABLE
} from '../src/core/results/task-outputs.js'

/**
 * The outputs directory: in the source directory CodeBuild makes for every build (NO_SOURCE included), else the
 * working directory; a fixed path, so the build and post_build commands agree without a variable. In container mode
 * the container gets it at the same path.
 */
const OUTPUT_DIR = '"${CODEBUILD_SRC_DIR:-$PWD}/.task-output"'

/** Sets the shell variable `variable` to the outputs directory and makes it, writable by the task whatever its user (sticky, as /tmp). */
export function makeOutputDir(variable: string): string {
  return `${variable}=${OUTPUT_DIR}; mkdir -p -m 1777 "$${variable}"`
}

/** post_build's one command: the outputs file as TASK_OUTPUTS, or a mark saying why not. */
export const EXPORT_OUTPUTS_COMMAND = [
  `f=${OUTPUT_DIR}/outputs`,
  `if [ -L "$f" ] || { [ -e "$f" ] && [ ! -f "$f" ]; }; then ${TASK_OUTPUTS_VARIABLE}='${REFUSED_NOT_A_FILE}'`,
  `elif [ ! -s "$f" ]; then ${TASK_OUTPUTS_VARIABLE}='${NO_OUTPUTS}'`,
  `elif size=$(wc -c < "$f") && [ "$size" -gt ${MAX_TASK_OUTPUT_BYTES} ]; then ${TASK_OUTPUTS_VARIABLE}="${REFUSED_TOO_LARGE}$((size))"`,
  // The pipeline's status is tr's: a missing base64 shows as no text for a file that is not empty.
  `elif ${TASK_OUTPUTS_VARIABLE}=$(base64 < "$f" | tr -d '\\n') && [ -n "$${TASK_OUTPUTS_VARIABLE}" ]; then :`,
  `else ${TASK_OUTPUTS_VARIABLE}='${REFUSED_NOT_ENCODED}'; fi`,
  `export ${TASK_OUTPUTS_VARIABLE}`
].join('; ')

/**
 * pre_build's guard: a DATABASE_URL the project sets is never replaced by one of the user's variables (their names
 * are in TASK_ENV_NAMES); the task does not run. POSIX (`case`), for bash and /bin/sh alike.
 */
export const KEEP_DATABASE_URL = `case " \${TASK_ENV_NAMES:-} " in *" DATABASE_URL "*) [ -z "\${DATABASE_URL+set}" ] || { echo "DATABASE_URL is the project's: a variable of the action may not replace it" >&2; false; } ;; esac`

/**
 * From `env:` on, what every bundled buildspec has: its shell, TASK_OUTPUTS declared as its one exported variable,
 * the phases' commands (each a YAML block scalar, so that no character of a command is read as YAML), and the
 * post_build command that sets TASK_OUTPUTS: the declaration and the command that fills it have one home (the run
 * reads the build again for outputs only when the buildspec declares them, src/core/run/follow.ts).
 */
export function buildspecBody(shell: string, preBuild: readonly string[], build: readonly string[]): string {
  const commands = (list: readonly string[]): string => list.map(command => `      - |-\n        ${command}\n`).join('')
  return `env:
  shell: ${shell}
  exported-variables:
    - ${TASK_OUTPUTS_VARIABLE}

phases:
  pre_build:
    commands:
${commands(preBuild)}  build:
    commands:
${commands(build)}  post_build:
    commands:
${commands([EXPORT_OUTPUTS_COMMAND])}`
}
