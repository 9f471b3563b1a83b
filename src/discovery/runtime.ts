// What the platform adds to discovery: a file system in Node (node-runtime.ts), none in
// browsers (browser-runtime.ts).

export interface FileSystemRuntime {
  /** The file's text; undefined when there is no such file; { tooLarge } when it is over maxBytes (unread). */
  readText(path: string, maxBytes: number): Promise<string | { readonly tooLarge: number } | undefined>
  /** Replaces the file's content with `text` all at once (written beside it, then renamed over it). */
  writeTextAtomically(path: string, text: string): Promise<void>
}
