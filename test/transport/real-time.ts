// Helpers of the tests that run mesh nodes over real sockets and data channels, on the system
// clock: waiting for a condition with a generous deadline (only behaviour is asserted, never
// how long it took), and text to bytes and back.

export async function waitFor(isDone: () => boolean, what: string, timeoutMs = 40_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!isDone()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

export const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes)
export const bytes = (value: string): Uint8Array => new TextEncoder().encode(value)
