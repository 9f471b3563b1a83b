// The base of every error wasmesh throws: a stable `code` to switch on, and a message that
// says what was wrong and what was expected.

export class WasmeshError extends Error {
  readonly code: string

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
    this.code = code
  }
}
