/**
 * State the main step hands to the post step (GITHUB_STATE → STATE_* in the post process). action.yml does not
 * declare it: these names are the action's own, shared only by src/action/main.ts and src/action/post.ts.
 */
export const State = {
  BuildId: 'build-id',
  Region: 'region',
  StopOnCancel: 'stop-on-cancel',
  /** Saved before StartBuild is sent: the post step can still find a build whose start answer never came. */
  ProjectName: 'project-name',
  StartToken: 'start-token',
  /** Set once the build no longer needs the post step: it ended, was stopped, or was started with wait: false. */
  Settled: 'settled'
} as const
