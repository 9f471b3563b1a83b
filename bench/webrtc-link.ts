// One real WebRTC link on loopback: two node-datachannel peers in this process, messages per
// second through ChannelConnection (coalescing and fragmentation on) against one plain
// data-channel send() per message and against simple-peer (what a user of it gets: its
// stream's write() and 'drain', over the same node-datachannel), in the same run, on channels
// of the same kind, the tasks interleaved so a change in the machine's load hits each.
//
// Both sides are paced the same way: send while the buffer is at most 1 MiB, resume when it
// falls to 256 KiB (the channel's bufferedamountlow; ChannelConnection's onDrain). Every
// message carries its sequence number; an iteration ends when the last one has arrived, and
// fails unless every one arrived, once, in order.

import { ChannelConnection } from '../src/transport/channel/index.js'
import { openSimplePeerPair, type SimplePeerPair } from './simple-peer-pair.js'
import { asChannel, openDataChannelPair, type DataChannelPair } from '../test/transport/datachannel-pair.js'
import { formatRate, runAsyncTasks, type AsyncTaskSpec, type Context, type TaskResult } from './harness.js'
import { resultTable, type Ratio, type Section } from './report.js'

const HIGH_WATER_BYTES = 1_048_576
const LOW_WATER_BYTES = 262_144
const SMALL_BYTES = 100
const SMALL_COUNT = 50_000
const LARGE_BYTES = 16_384
const LARGE_COUNT = 1_000
/** The target for 100-byte messages through the connection. */
const TARGET_MSGS_PER_SEC = 300_000

/** Sends `count` messages of `size` bytes numbered 0.. and resolves once the last arrived, counting in `tally` what came wrong. */
interface Link {
  run(count: number, size: number, tally: Tally): Promise<void>
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
function plainLink(pair: DataChannelPair): Link {
  const tx = pair.offerer
  const rx = pair.answerer
  tx.bufferedAmountLowThreshold = LOW_WATER_BYTES
  rx.binaryType = 'arraybuffer'
  return {
    run: (count, size, tally) => new Promise<void>((resolve) => {
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
function connectionLink(pair: DataChannelPair): Link {
  const options = { highWaterMarkBytes: HIGH_WATER_BYTES, lowWaterMarkBytes: LOW_WATER_BYTES }
  const tx = new ChannelConnection(asChannel(pair.offerer), options)
  const rx = new ChannelConnection(asChannel(pair.answerer), { ...options, direction: 'inbound' })
  return {
    run: (count, size, tally) => new Promise<void>((resolve) => {
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

/** simple-peer as its users send: write() on its stream until it returns false, resume on 'drain' (its own pacing: 64 KiB of channel buffer). */
function simplePeerLink(pair: SimplePeerPair): Link {
  let onData: ((data: Uint8Array) => void) | undefined
  pair.receiver.on('data', (data: Uint8Array) => onData?.(data))
  return {
    run: (count, size, tally) => new Promise<void>((resolve) => {
      const message = numbered(size)
      let next = 0
      onData = (data) => {
        if (data.length !== size || new DataView(data.buffer, data.byteOffset).getUint32(0) !== tally.received) tally.wrong++
        if (++tally.received === count) resolve()
      }
      const pump = () => {
        while (next < count) {
          message.number(next++)
          // The stream keeps what it is given until it is sent: each write needs its own bytes.
          if (!pair.initiator.write(message.buffer.slice())) return
        }
      }
      pair.initiator.removeAllListeners('drain')
      pair.initiator.on('drain', pump)
      pump()
    }),
  }
}

/** One side of a paired comparison: its link, what its iterations saw and how long each took. */
interface Side {
  readonly name: string
  readonly link: Link
  readonly tally: Tally
  /** Milliseconds of each run, warm-up runs included (the last `samples` are the measured ones). */
  readonly times: number[]
}

function side(name: string, link: Link): Side {
  return { name, link, tally: { received: 0, wrong: 0 }, times: [] }
}

/**
 * One tinybench task whose every iteration runs both sides once, in alternating order, each
 * timed on its own: the machine's load drifts by 3x within seconds here, and two blocks of
 * iterations one after the other compared the load as much as the code (the plain link alone
 * ran at 14 to 45 MB/s in one minute).
 */
function pairedTask(name: string, sides: readonly Side[], count: number, size: number): AsyncTaskSpec {
  let round = 0
  return {
    name,
    items: sides.length * count,
    isAsync: true,
    fn: async () => {
      // Each round starts one side further on, so none always runs first.
      const start = round++ % sides.length
      for (const one of [...sides.slice(start), ...sides.slice(0, start)]) {
        one.tally.received = 0
        one.tally.wrong = 0
        const t0 = performance.now()
        await one.link.run(count, size, one.tally)
        one.times.push(performance.now() - t0)
        if (one.tally.received !== count || one.tally.wrong !== 0) {
          throw new Error(`${one.name}: ${one.tally.received} of ${count} messages arrived, ${one.tally.wrong} out of order or of the wrong size`)
        }
      }
    },
  }
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((x, y) => x - y)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/** A side's measured runs as a row of the table, as the harness reports a task. */
function sideResult(one: Side, samples: number, count: number): TaskResult {
  const times = one.times.slice(-samples)
  const p50Ms = median(times)
  const mean = times.reduce((sum, t) => sum + t, 0) / times.length
  const sd = Math.sqrt(times.reduce((sum, t) => sum + (t - mean) ** 2, 0) / Math.max(1, times.length - 1))
  // 95% margin of the mean (normal approximation), as a percentage, like tinybench's rme.
  return { name: one.name, items: count, p50Ms, itemsPerSec: count / (p50Ms / 1_000), samples: times.length, rme: (1.96 * sd) / Math.sqrt(times.length) / mean * 100 }
}

/** The median over rounds of ours' rate / theirs' rate within the same round. */
function pairedRatio(ours: Side, theirs: Side, samples: number): number {
  const a = ours.times.slice(-samples)
  const b = theirs.times.slice(-samples)
  return median(a.map((time, i) => b[i] / time))
}

export async function runWebRtcLink(ctx: Context): Promise<Section> {
  const pairs: { close(): void }[] = []
  const results: TaskResult[] = []
  const paired = new Map<string, number>()
  try {
    const [plainPair, connectionPair] = [await openDataChannelPair('bench-plain'), await openDataChannelPair('bench-connection')]
    const simplePeerPair = await openSimplePeerPair()
    pairs.push(plainPair, connectionPair, simplePeerPair)
    const plainSmall = side('plain send() per message, 100 B', plainLink(plainPair))
    const oursSmall = side('ChannelConnection, 100 B', connectionLink(connectionPair))
    const simpleSmall = side('simple-peer write(), 100 B', simplePeerLink(simplePeerPair))
    const plainLarge = side('plain send() per message, 16 KiB', plainSmall.link)
    const oursLarge = side('ChannelConnection, 16 KiB', oursSmall.link)
    const simpleLarge = side('simple-peer write(), 16 KiB', simpleSmall.link)
    const rounds = await runAsyncTasks('webrtc-link', [
      pairedTask('100 B: plain, ChannelConnection and simple-peer, one run each', [plainSmall, oursSmall, simpleSmall], SMALL_COUNT, SMALL_BYTES),
      pairedTask('16 KiB: plain, ChannelConnection and simple-peer, one run each', [plainLarge, oursLarge, simpleLarge], LARGE_COUNT, LARGE_BYTES),
    ], ctx.settings, 'msgs/s (all sides)')
    results.push(
      sideResult(plainSmall, rounds[0].samples, SMALL_COUNT), sideResult(oursSmall, rounds[0].samples, SMALL_COUNT), sideResult(simpleSmall, rounds[0].samples, SMALL_COUNT),
      sideResult(plainLarge, rounds[1].samples, LARGE_COUNT), sideResult(oursLarge, rounds[1].samples, LARGE_COUNT), sideResult(simpleLarge, rounds[1].samples, LARGE_COUNT),
    )
    paired.set('small', pairedRatio(oursSmall, plainSmall, rounds[0].samples))
    paired.set('large', pairedRatio(oursLarge, plainLarge, rounds[1].samples))
    paired.set('small simple-peer', pairedRatio(oursSmall, simpleSmall, rounds[0].samples))
    paired.set('large simple-peer', pairedRatio(oursLarge, simpleLarge, rounds[1].samples))
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
    {
      label: '100 B messages/s: ChannelConnection vs one plain send() per message (median of the rounds\' ratios)',
      measures: 'coalescing into 16 KiB chunks vs none, same link kind, same pacing',
      value: paired.get('small') as number,
      target: 2,
    },
    {
      // Context: the link's byte rate bounds the message rate (the JavaScript thread idles most of the time meanwhile).
      label: `bytes/s on the wire of 100 B messages through ChannelConnection (${SMALL_BYTES + 2} B each) vs plain 16 KiB sends`,
      measures: 'how much of what the link carries at 16 KiB the small messages get',
      value: (small.itemsPerSec * (SMALL_BYTES + 2)) / (mbPerSec('plain send() per message, 16 KiB') * 1e6),
    },
    {
      label: `16 KiB messages, bytes/s: ChannelConnection (${mbPerSec('ChannelConnection, 16 KiB').toFixed(1)} MB/s) vs plain send() (${mbPerSec('plain send() per message, 16 KiB').toFixed(1)} MB/s), median of the rounds' ratios`,
      measures: 'chunk format and reassembly vs none',
      value: paired.get('large') as number,
      target: 0.9,
    },
    {
      label: '100 B messages/s: ChannelConnection vs simple-peer\'s write() (median of the rounds\' ratios)',
      measures: 'what a simple-peer user gets over the same node-datachannel: a stream write per message, paced by its 64 KiB buffer',
      value: paired.get('small simple-peer') as number,
      noTarget: 'context: simple-peer is not used (docs/dependencies.md)',
    },
    {
      label: '16 KiB messages, bytes/s: ChannelConnection vs simple-peer\'s write() (median of the rounds\' ratios)',
      measures: 'chunk format and reassembly vs simple-peer\'s stream',
      value: paired.get('large simple-peer') as number,
      noTarget: 'context',
    },
  ]
  return {
    id: 'webrtc-link',
    title: 'WebRTC link: messages per second over one node-datachannel data channel on loopback',
    notes: [
      'Two RTCPeerConnections of node-datachannel\'s W3C polyfill in this process, host candidates on 127.0.0.1 handed across ' +
        'directly; one ordered, reliable channel for each side of the comparison, both opened before timing. libdatachannel\'s ' +
        'SCTP runs on its own threads, so this is not one core\'s work alone, and both peers share the machine.',
      `plain: one channel.send() per message, paced by the channel's bufferedAmount (send while <= 1 MiB, resume on bufferedamountlow at 256 KiB). ` +
        'ChannelConnection: send() until it returns false, resume on onDrain, with the same water marks; default 16 KiB chunks. ' +
        'simple-peer 9.11.1 over the same polyfill (its RTCPeerConnection wrapped to hand out writable descriptions, bench/simple-peer-pair.ts): ' +
        'write() on its stream until it returns false, resume on \'drain\'; its pacing is its own (64 KiB of channel buffer).',
      `Paired rounds: each tinybench iteration runs every side once, each round starting with the next side, each timed alone, because the load of ` +
        'this shared machine drifts by 3x within seconds (the plain link alone ran at 14 to 45 MB/s in one minute). The rows are ' +
        'each side\'s median over the measured rounds; the ratios with targets are medians of the per-round ratios.',
      `A run sends ${SMALL_COUNT.toLocaleString('en-US')} messages of ${SMALL_BYTES} B (or ${LARGE_COUNT.toLocaleString('en-US')} of 16 KiB), each numbered, and ends ` +
        'when the last arrives; it fails unless all arrived, in order and of their size. msgs/s = messages / median run time.',
    ],
    tables: [resultTable('One data channel on loopback', 'msgs/s', results)],
    ratios,
  }
}
