// The layout of a direct message's 64-bit messageId. The wire's direct and directAck messages
// have no field for the routing mode, the attempt or the hop count, so the router keeps them
// in the id, which the origin signs (a relay cannot switch a message to flooding or change its
// declared TTL budget without breaking the signature at the target).
//
//   bits 63..16  send id (48 bits): one per send(), shared by its attempts; the target
//                delivers a send once whatever the number of attempts that reach it
//   bit  15      flood flag: relays forward to every neighbour instead of greedily
//   bits 14..8   attempt number, 0 to 127
//   bits  7..0   direct: the TTL the origin gave it (so the target can count hops);
//                directAck: the hops the direct message took (set and signed by the target)

export const SEND_ID_BITS = 48
export const SEND_ID_MASK = 2 ** SEND_ID_BITS - 1
export const MAX_ATTEMPTS = 128

const FLOOD_BIT = 0x8000n
const LOW_BYTE = 0xffn

export interface MessageIdFields {
  /** 0 to 2**48 - 1. */
  readonly sendId: number
  readonly isFlood: boolean
  /** 0 to 127. */
  readonly attempt: number
  /** 0 to 255: the initial TTL of a direct message, the hop count of an ack. */
  readonly low: number
}

export function composeMessageId(fields: MessageIdFields): bigint {
  return (
    (BigInt(fields.sendId) << 16n) |
    (fields.isFlood ? FLOOD_BIT : 0n) |
    (BigInt(fields.attempt & 0x7f) << 8n) |
    BigInt(fields.low & 0xff)
  )
}

export function parseMessageId(messageId: bigint): MessageIdFields {
  return {
    sendId: Number(messageId >> 16n),
    isFlood: (messageId & FLOOD_BIT) !== 0n,
    attempt: Number((messageId >> 8n) & 0x7fn),
    low: Number(messageId & LOW_BYTE),
  }
}

export function isFloodId(messageId: bigint): boolean {
  return (messageId & FLOOD_BIT) !== 0n
}

/** The same id with its low byte replaced (the target's ack carries the hop count there). */
export function withLowByte(messageId: bigint, low: number): bigint {
  return (messageId & ~LOW_BYTE) | BigInt(low & 0xff)
}
