// What a relayed message's origin signs. (Its key is checked against its id with
// keyMatchesPeerId; dedup keys come from the core KeyedHasher.)
//
// A PublishMessage carries the origin's id and its public key (a relay several hops away has
// no session with the origin to learn the key from). A receiver checks SHA-256(originKey) ==
// origin, then the signature.
//
// The signature covers (domain tag, topic, origin, seq, timestamp, data) and deliberately not
// `ttl` or `path`: relays change those on every hop. A relay can therefore lower ttl or rewrite
// the recent path, which at worst stops or duplicates its own forwarding; it cannot change what
// the origin said, to which topic, or replay it under another sequence number or time.
// Re-sending it unchanged later is refused by age once its timestamp is older than the
// receiver's maxMessageAgeMs, and before that by the per-origin replay windows
// (replay-window.ts), whatever the sender sent first.


/** Domain tag of publish signatures, so no other wasmesh signature can be passed off as one. */
export const PUBLISH_TAG = new TextEncoder().encode('wasmesh/relay/publish/v2\0')

const textEncoder = new TextEncoder()

/**
 * The bytes an origin signs: tag ‖ u16 topic length ‖ topic (UTF-8) ‖ origin (32) ‖
 * seq (u64 big-endian) ‖ timestampMs (u64 big-endian) ‖ data. The length prefix keeps topic
 * and origin from sliding into each other.
 */
export function signedBytes(topic: string, origin: Uint8Array, seq: bigint, timestampMs: number, data: Uint8Array): Uint8Array {
  const topicBytes = textEncoder.encode(topic)
  const out = new Uint8Array(PUBLISH_TAG.length + 2 + topicBytes.length + origin.length + 8 + 8 + data.length)
  const view = new DataView(out.buffer)
  let at = 0
  out.set(PUBLISH_TAG, at)
  at += PUBLISH_TAG.length
  view.setUint16(at, topicBytes.length)
  at += 2
  out.set(topicBytes, at)
  at += topicBytes.length
  out.set(origin, at)
  at += origin.length
  view.setBigUint64(at, seq)
  at += 8
  view.setBigUint64(at, BigInt(timestampMs))
  at += 8
  out.set(data, at)
  return out
}
