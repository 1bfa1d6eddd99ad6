/**
 * Who is running, as far as a front end knows it: the action fills it from the GitHub run (src/action/run-identity.ts),
 * the CLI leaves it empty. It goes to the build (for the audit trail in CodeBuild, and back links to the run), into
 * the snapshot's name and tags, the job summary and the pull-request comment.
 */
export interface RunIdentity {
  repository?: string
  sha?: string
  ref?: string
  runId?: string
  runAttempt?: string
  actor?: string
  job?: string
  step?: string
  eventName?: string
  /** The pull request the run belongs to. */
  pullRequest?: number
  /** …/actions/runs/<id>/attempts/<n>: where the CodeBuild console leads back to. */
  runUrl?: string
}
