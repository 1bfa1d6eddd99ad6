/** The runner cancels a step with SIGINT, then SIGTERM, then kills it: the first signal aborts the work. */

export interface Cancellation {
  signal: AbortSignal
  dispose(): void
}

export function cancelOnSignals(onSignal: (name: NodeJS.Signals) => void, signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM']): Cancellation {
  const controller = new AbortController()
  const handler = (name: NodeJS.Signals): void => {
    if (controller.signal.aborted) return
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
