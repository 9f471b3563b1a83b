// Two whole MeshNodes over one real WebRTC link on loopback (node-datachannel, in this
// process): 100-byte publishes from one to the other, and 100-byte direct sends to the
// neighbour, each acknowledged; then what bounds them, measured in the same run: Ed25519
// signing and verifying of the same messages, and the link's own rate (section webrtc-link).
//
// The node's defaults hold every origin to 100 messages a second at every hop (issue 10:
// relay.originRateLimit, routing.originRateLimit, peers.rateLimitPerPeer), so with them a
// single publisher gets exactly 100/s by design. To measure the machinery instead, these runs
// lift those limits; the notes say so. A run publishes (or sends) a batch with a bounded
// number in flight and ends once the other node has delivered every message (each checked,
// once); the direct sends end when every ack came back.

import { createMeshNode, type MeshNode } from '../src/node.js'
import { Identity, verifySignature } from '../src/peers/identity.js'
import { usePlatformEd25519 } from '../src/peers/identity-crypto.js'
import { MemorySignaling, WebRtcTransport } from '../src/transport/webrtc/index.js'
import { formatRate, runAsyncTasks, type AsyncTaskSpec, type Context } from './harness.js'
import { resultTable, type Ratio, type Section } from './report.js'

const MESSAGE_BYTES = 100
const PUBLISHES = 2_000
const SENDS = 1_000
const SIGNATURES = 2_000
/** Sends (or signatures) awaited at once. */
const IN_FLIGHT = 64
/**
 * Publishes not yet delivered at the neighbour, at most. Gossip has no end-to-end flow
 * control: a publisher that outruns the receiver's signature checks has the excess shed there
 * (dropped as 'overload', past relay.maxPendingVerifications), so the run keeps its own window.
 */
const PUBLISH_WINDOW = 256
const LIFTED = 1_000_000

/** Runs `count` calls of `start(i)` with at most IN_FLIGHT pending. */
async function windowed(count: number, start: (index: number) => Promise<unknown>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < count) await start(next++)
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker))
}

function waitUntil(isDone: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs
  return new Promise((resolve, reject) => {
    const check = () => {
      if (isDone()) resolve()
      else if (performance.now() > deadline) reject(new Error(`timed out waiting for ${what}`))
      else setTimeout(check, 1)
    }
    check()
  })
}

export async function runNodeThroughput(ctx: Context): Promise<Section> {
  usePlatformEd25519() // WebCrypto where it has Ed25519, as a node uses by default, whatever a section before chose
  const hub = new MemorySignaling()
  const nodes: MeshNode[] = []
  const limits = {
    peers: { rateLimitPerPeer: LIFTED, relayRateLimitPerPeer: LIFTED },
    relay: { originRateLimit: LIFTED },
    routing: { originRateLimit: LIFTED },
  }
  try {
    const a = await createMeshNode({ seed: 41, transport: new WebRtcTransport({ signaling: hub.connect('bench-a') }), ...limits })
    await a.start()
    nodes.push(a)
    const b = await createMeshNode({ seed: 42, bootstrap: a.addresses, transport: new WebRtcTransport({ signaling: hub.connect('bench-b') }), ...limits })
    nodes.push(b)
    let published = 0
    let wrongPublishes = 0
    let onDelivered: (() => void) | undefined
    b.subscribe('bench', (message) => {
      if (message.data.length !== MESSAGE_BYTES) wrongPublishes++
      published++
      onDelivered?.()
    })
    /** Publishes `count`, keeping at most PUBLISH_WINDOW undelivered. */
    const publishWindowed = async (count: number) => {
      for (let sent = 0; sent < count; sent++) {
        while (sent - published >= PUBLISH_WINDOW) await new Promise<void>((resolve) => (onDelivered = resolve))
        await a.publish('bench', payload)
      }
    }
    let direct = 0
    b.onDirect((message) => {
      if (message.data.length === MESSAGE_BYTES) direct++
    })
    await b.start()
    await a.waitForSubscribers('bench', { timeoutMs: 30_000 })
    const payload = new Uint8Array(MESSAGE_BYTES).fill(7)
    const identity = Identity.generate()
    const signature = await identity.sign(payload)

    const tasks: AsyncTaskSpec[] = [
      {
        name: 'publish 100 B, delivered at the neighbour',
        items: PUBLISHES,
        isAsync: true,
        beforeEach: () => {
          published = 0
          wrongPublishes = 0
        },
        fn: async () => {
          await publishWindowed(PUBLISHES)
          await waitUntil(() => published >= PUBLISHES, 'every publish to be delivered')
          if (published !== PUBLISHES || wrongPublishes !== 0) throw new Error(`${published} of ${PUBLISHES} publishes delivered, ${wrongPublishes} wrong`)
        },
      },
      {
        name: 'send 100 B to the neighbour, each acknowledged',
        items: SENDS,
        isAsync: true,
        beforeEach: () => {
          direct = 0
        },
        fn: async () => {
          await windowed(SENDS, () => a.send(b.id, payload))
          if (direct !== SENDS) throw new Error(`${direct} of ${SENDS} direct messages delivered`)
        },
      },
      {
        name: 'Ed25519 sign, 100 B (what a publish and a send cost their origin)',
        items: SIGNATURES,
        isAsync: true,
        fn: async () => {
          await windowed(SIGNATURES, () => identity.sign(payload))
        },
      },
      {
        name: 'Ed25519 verify, 100 B (what each receiver pays per message)',
        items: SIGNATURES,
        isAsync: true,
        fn: async () => {
          let bad = 0
          await windowed(SIGNATURES, async () => {
            if (!(await verifySignature(identity.publicKey, payload, signature))) bad++
          })
          if (bad !== 0) throw new Error(`${bad} signatures did not verify`)
        },
      },
    ]
    const results = await runAsyncTasks('node-throughput', tasks, ctx.settings, 'msgs/s')
    const [publish, send, sign, verify] = results
    const signingBound = Math.min(sign.itemsPerSec, verify.itemsPerSec)
    const ratios: Ratio[] = [
      {
        label: `publish through the whole node (${formatRate(publish.itemsPerSec)} msgs/s) vs Ed25519 alone (min of sign ${formatRate(sign.itemsPerSec)}/s and verify ${formatRate(verify.itemsPerSec)}/s)`,
        measures: 'what is left for framing, dedup, queues and the link once signatures are paid: 1 would mean signatures are the whole cost',
        value: publish.itemsPerSec / signingBound,
        noTarget: 'context: what bounds a node',
      },
      {
        label: `send to the neighbour (${formatRate(send.itemsPerSec)} msgs/s, each signed, verified, acknowledged with a signed ack) vs publish`,
        measures: 'a send is two signatures and two verifies (message and ack) and a round trip; a publish one of each',
        value: send.itemsPerSec / publish.itemsPerSec,
        noTarget: 'context',
      },
    ]
    return {
      id: 'node-throughput',
      title: 'Whole-node throughput: publish and send between two MeshNodes over one WebRTC link',
      notes: [
        'Two MeshNodes in this process, each on a WebRtcTransport (node-datachannel on 127.0.0.1, the in-process MemorySignaling), ' +
          'one session between them. Both share this machine\'s cores with libdatachannel\'s threads.',
        `The node's defaults hold each origin to 100 msg/s at every hop (peers.rateLimitPerPeer, relay.originRateLimit, routing.originRateLimit): ` +
          `with them one publisher gets 100/s, by design. These runs lift all three to ${LIFTED.toLocaleString('en-US')}/s to measure the machinery.`,
        `A publish run publishes ${PUBLISHES.toLocaleString('en-US')} messages of ${MESSAGE_BYTES} B, at most ${PUBLISH_WINDOW} not yet delivered (gossip has no ` +
          'flow control of its own: a publisher that outruns the receiver\'s signature checks has the excess shed there as overload), and ends when ' +
          'the neighbour\'s subscriber has all of them (checked: count and size). A send run sends ' +
          `${SENDS.toLocaleString('en-US')} and ends when every ack came back (and every message was delivered).`,
        'Sign and verify run WebCrypto Ed25519 (noble where WebCrypto lacks it) on the same 100 B, as the node does, with the same window.',
      ],
      tables: [resultTable('Two MeshNodes over one data channel on loopback', 'msgs/s', results)],
      ratios,
    }
  } finally {
    await Promise.all(nodes.map((node) => node.stop()))
    hub.close()
  }
}
