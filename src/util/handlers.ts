// Calling application handlers from protocol code: a handler that throws must not stop the
// layer that called it, so its error is reported as an uncaught one, as EventTarget does.

/** Calls every handler with `value`. Pass a snapshot (a fresh array), so a handler may unsubscribe itself. */
export function callEach<T>(handlers: readonly ((value: T) => void)[], value: T): void {
  for (const handler of handlers) {
    try {
      handler(value)
    } catch (error) {
      queueMicrotask(() => {
        throw error
      })
    }
  }
}
