// What the platform adds to discovery: a file system and UDP multicast in Node
// (node-runtime.ts), neither in browsers (browser-runtime.ts).

/** A file read with a bound: its bytes, or how large it is when that is over the bound (unread). */
export type BoundedRead = Uint8Array | { readonly tooLarge: number }

export interface FileSystemRuntime {
  /** The file's text; undefined when there is no such file; { tooLarge } when it is over maxBytes (unread). */
  readText(path: string, maxBytes: number): Promise<string | { readonly tooLarge: number } | undefined>
  /** Replaces the file's content with `text` all at once (written beside it, then renamed over it). */
  writeTextAtomically(path: string, text: string): Promise<void>
  /**
   * The regular file at `segments` below the directory `root`, read only when every link on
   * the way resolves inside `root` (a symbolic link out of it is no file here); undefined when
   * there is none (or it is a directory). The caller has checked each segment is a plain name.
   */
  readFileWithin(root: string, segments: readonly string[], maxBytes: number): Promise<BoundedRead | undefined>
  /** Whether `path` is a directory that can be read. */
  isDirectory(path: string): Promise<boolean>
}

/** A socket in a multicast group: what is sent goes to the group; close() leaves it. */
export interface MulticastSocket {
  send(bytes: Uint8Array): void
  close(): Promise<void>
}

export interface MulticastOptions {
  readonly group: string
  readonly port: number
  /** The local address to join and send on; undefined: the system's default interface. */
  readonly interfaceAddress: string | undefined
  /** Hops a datagram may take (1: this link only). */
  readonly ttl: number
}

export interface UdpRuntime {
  /** Joins `options.group` on `options.port`, shared with other sockets on this host; each datagram goes to `onMessage`. */
  openMulticast(options: MulticastOptions, onMessage: (bytes: Uint8Array, from: string) => void): Promise<MulticastSocket>
}
