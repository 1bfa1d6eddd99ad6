/**
 * The runner cancels a step with SIGINT, then SIGTERM, then kills it; a terminal sends SIGINT (Ctrl-C), `kill` and
 * `timeout` SIGTERM. The first signal aborts the work; later ones go to `onAgain` (the CLI exits at once), if given.
 */

export interface Cancellation {
  signal: AbortSignal
  dispose(): void
}

export function cancelOnSignals(
  onSignal: (name: NodeJS.Signals) => void,
  onAgain?: (name: NodeJS.Signals) => void,
  signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM']
): Cancellation {
  const controller = new AbortController()
  const handler = (name: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      onAgain?.(name)
      return
    }
    onSignal(name)
    controller.abort(new CancelledError(name))
  }
  for (const s of signals) process.on(s, handler)
  return {
    signal: controller.signal,
    dispose: () => {
      for (const s of signals) process.off(s, handler)
    }
  }
}

class CancelledError extends Error {
  override name = 'CancelledError'
  constructor(signalName: string) {
    super(`the step was cancelled (${signalName})`)
  }
}

/** Why a signal aborted, as an Error (an AbortSignal's reason is typed `any`). */
export function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason
  return reason instanceof Error ? reason : new Error(`aborted: ${String(reason)}`)
}
