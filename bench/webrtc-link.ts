// One real WebRTC link on loopback: two node-datachannel peers in this process, messages per
// second through ChannelConnection (coalescing and fragmentation on) against one plain
// data-channel send() per message, in the same run, on two channels of the same kind, the
// tasks interleaved (plain, ours, plain, ours) so a change in the machine's load hits both.
//
// Both sides are paced the same way: send while the buffer is at most 1 MiB, resume when it
// falls to 256 KiB (the channel's bufferedamountlow; ChannelConnection's onDrain). Every
// message carries its sequence number; an iteration ends when the last one has arrived, and
// fails unless every one arrived, once, in order.

import { ChannelConnection } from '../src/transport/channel/index.js'
import { asChannel, openDataChannelPair, type DataChannelPair } from '../test/transport/datachannel-pair.js'
import { formatRate, runAsyncTasks, type AsyncTaskSpec, type Context, type TaskResult } from './harness.js'
import { ratioOf, resultTable, type Ratio, type Section } from './report.js'

const HIGH_WATER_BYTES = 1_048_576
const LOW_WATER_BYTES = 262_144
const SMALL_BYTES = 100
const SMALL_COUNT = 100_000
const LARGE_BYTES = 16_384
const LARGE_COUNT = 1_000
/** The target for 100-byte messages through the connection. */
const TARGET_MSGS_PER_SEC = 300_000

/** Sends `count` messages of `size` bytes numbered 0.. and resolves once the last arrived; an out-of-order one rejects. */
interface Link {
  run(count: number, size: number): Promise<void>
}

/** What an iteration saw, checked in afterEach. */
interface Tally {
  received: number
  wrong: number
}

function numbered(size: number): { buffer: Uint8Array<ArrayBuffer>; number(index: number): void } {
  const buffer = new Uint8Array(size)
  const view = new DataView(buffer.buffer)
  return { buffer, number: (index) => view.setUint32(0, index) }
}

/** One plain send() per message, paced by the channel's own bufferedAmount and bufferedamountlow. */
function plainLink(pair: DataChannelPair, tally: Tally): Link {
  const tx = pair.offerer
  const rx = pair.answerer
  tx.bufferedAmountLowThreshold = LOW_WATER_BYTES
  rx.binaryType = 'arraybuffer'
  return {
    run: (count, size) => new Promise<void>((resolve) => {
      const message = numbered(size)
      let next = 0
      rx.onmessage = (event: MessageEvent<ArrayBuffer>) => {
        if (event.data.byteLength !== size || new DataView(event.data).getUint32(0) !== tally.received) tally.wrong++
        if (++tally.received === count) resolve()
      }
      const pump = () => {
        while (next < count && tx.bufferedAmount <= HIGH_WATER_BYTES) {
          message.number(next++)
          tx.send(message.buffer)
        }
      }
      tx.onbufferedamountlow = pump
      pump()
    }),
  }
}

/** ChannelConnection at both ends, paced by send()'s false and onDrain. */
function connectionLink(pair: DataChannelPair, tally: Tally): Link {
  const options = { highWaterMarkBytes: HIGH_WATER_BYTES, lowWaterMarkBytes: LOW_WATER_BYTES }
  const tx = new ChannelConnection(asChannel(pair.offerer), options)
  const rx = new ChannelConnection(asChannel(pair.answerer), { ...options, direction: 'inbound' })
  return {
    run: (count, size) => new Promise<void>((resolve) => {
      const message = numbered(size)
      let next = 0
      rx.onMessage((frame) => {
        if (frame.length !== size || new DataView(frame.buffer, frame.byteOffset).getUint32(0) !== tally.received) tally.wrong++
        if (++tally.received === count) resolve()
      })
      const pump = () => {
        while (next < count) {
          message.number(next++)
          if (!tx.send(message.buffer)) return
        }
      }
      tx.onDrain(pump)
      pump()
    }),
  }
}

function task(name: string, link: Link, tally: Tally, count: number, size: number): AsyncTaskSpec {
  return {
    name,
    items: count,
    isAsync: true,
    beforeEach: () => {
      tally.received = 0
      tally.wrong = 0
    },
    fn: () => link.run(count, size),
    afterEach: () => {
      if (tally.received !== count || tally.wrong !== 0) {
        throw new Error(`${name}: ${tally.received} of ${count} messages arrived, ${tally.wrong} out of order`)
      }
    },
  }
}

export async function runWebRtcLink(ctx: Context): Promise<Section> {
  const pairs: DataChannelPair[] = []
  let results: TaskResult[]
  try {
    pairs.push(await openDataChannelPair('bench-plain'), await openDataChannelPair('bench-connection'))
    const plainTally: Tally = { received: 0, wrong: 0 }
    const oursTally: Tally = { received: 0, wrong: 0 }
    const plain = plainLink(pairs[0], plainTally)
    const ours = connectionLink(pairs[1], oursTally)
    results = await runAsyncTasks('webrtc-link', [
      task('plain send() per message, 100 B', plain, plainTally, SMALL_COUNT, SMALL_BYTES),
      task('ChannelConnection, 100 B', ours, oursTally, SMALL_COUNT, SMALL_BYTES),
      task('plain send() per message, 16 KiB', plain, plainTally, LARGE_COUNT, LARGE_BYTES),
      task('ChannelConnection, 16 KiB', ours, oursTally, LARGE_COUNT, LARGE_BYTES),
    ], ctx.settings, 'msgs/s')
  } finally {
    for (const pair of pairs) pair.close()
  }
  const small = results.find((r) => r.name === 'ChannelConnection, 100 B') as TaskResult
  const mbPerSec = (name: string) => ((results.find((r) => r.name === name) as TaskResult).itemsPerSec * LARGE_BYTES) / 1e6
  const ratios: Ratio[] = [
    {
      label: `100 B messages through ChannelConnection, ${formatRate(small.itemsPerSec)} msgs/s, vs the issue's ${formatRate(TARGET_MSGS_PER_SEC)} msgs/s`,
      measures: 'rate / target rate',
      value: small.itemsPerSec / TARGET_MSGS_PER_SEC,
      target: 1,
    },
    ratioOf(results, 'ChannelConnection, 100 B', 'plain send() per message, 100 B', {
      label: '100 B messages/s: ChannelConnection vs one plain send() per message',
      measures: 'coalescing into 16 KiB chunks vs none, same link kind, same pacing',
      target: 2,
    }),
    ratioOf(results, 'ChannelConnection, 16 KiB', 'plain send() per message, 16 KiB', {
      label: `16 KiB messages, bytes/s: ChannelConnection (${mbPerSec('ChannelConnection, 16 KiB').toFixed(1)} MB/s) vs plain send() (${mbPerSec('plain send() per message, 16 KiB').toFixed(1)} MB/s)`,
      measures: 'chunk format and reassembly vs none',
      target: 0.9,
    }),
  ]
  return {
    id: 'webrtc-link',
    title: 'WebRTC link: messages per second over one node-datachannel data channel on loopback',
    notes: [
      'Two RTCPeerConnections of node-datachannel\'s W3C polyfill in this process, host candidates on 127.0.0.1 handed across ' +
        'directly; one ordered, reliable channel for each side of the comparison, both opened before timing, the tasks ' +
        'interleaved. libdatachannel\'s SCTP runs on ' +
        'its own threads, so this is not one core\'s work alone, and both peers share the machine.',
      `plain: one channel.send() per message, paced by the channel's bufferedAmount (send while <= 1 MiB, resume on bufferedamountlow at 256 KiB). ` +
        'ChannelConnection: send() until it returns false, resume on onDrain, with the same water marks; default 16 KiB chunks.',
      `Each iteration sends ${SMALL_COUNT.toLocaleString('en-US')} messages of ${SMALL_BYTES} B (or ${LARGE_COUNT.toLocaleString('en-US')} of 16 KiB), each numbered, and ends ` +
        'when the last arrives; it fails unless all arrived, in order and of their size. msgs/s = messages / median iteration time.',
    ],
    tables: [resultTable('One data channel on loopback', 'msgs/s', results)],
    ratios,
  }
}
