// Calling application handlers from protocol code: a handler that throws must not stop the
// layer that called it, so its error is reported as an uncaught one, as EventTarget does.

/** Calls every handler with `value`. Pass a snapshot (a fresh array), so a handler may unsubscribe itself. */
export function callEach<T>(handlers: readonly ((value: T) => void)[], value: T): void {
  for (const handler of handlers) {
    try {
      handler(value)
    } catch (error) {
      reportUncaught(error)
    }
  }
}

/** Reports a handler's error as an uncaught one, from a microtask, so the caller carries on. */
export function reportUncaught(error: unknown): void {
  queueMicrotask(() => {
    throw error
  })
}
