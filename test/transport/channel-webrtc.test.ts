// ChannelConnection over a real node-datachannel data channel: two RTCPeerConnections of this
// process on 127.0.0.1, wired to each other directly, one channel wrapped at both ends.

import { afterEach, describe, expect, it } from 'vitest'
import { ChannelConnection } from '../../src/transport/channel/index.js'
import type { CloseInfo } from '../../src/transport/index.js'
import { asChannel, openDataChannelPair, type DataChannelPair } from './datachannel-pair.js'
import { frameOf, framesDiffering } from './frames.js'

const pairs: DataChannelPair[] = []
afterEach(() => {
  for (const pair of pairs.splice(0)) pair.close()
})

describe('ChannelConnection over node-datachannel on 127.0.0.1', () => {
  it('carries small, split and 1 MiB frames both ways, whole and in order; close() tells the far side the reason', async () => {
    const pair = await openDataChannelPair()
    pairs.push(pair)
    const here = new ChannelConnection(asChannel(pair.offerer), { direction: 'outbound' })
    const there = new ChannelConnection(asChannel(pair.answerer), { direction: 'inbound' })
    const sizes = [0, 100, 16_383, 16_384, 16_385, 100_000, 1_048_576, ...Array.from({ length: 2_000 }, (_, i) => (i * 37) % 300)]
    const gotThere: Uint8Array[] = []
    const gotHere: Uint8Array[] = []
    const allThere = new Promise<void>((resolve) => there.onMessage((frame) => gotThere.push(frame) === sizes.length && resolve()))
    const allHere = new Promise<void>((resolve) => here.onMessage((frame) => gotHere.push(frame) === sizes.length && resolve()))
    // Reusing one buffer for every frame checks that what was sent is copied before send() returns.
    const scratch = new Uint8Array(1_048_576)
    sizes.forEach((size, i) => {
      const frame = scratch.subarray(0, size)
      frame.set(frameOf(i, size))
      here.send(frame)
      there.send(frameOf(i, size))
      scratch.fill(0xee)
    })
    await Promise.all([allThere, allHere])
    const expected = sizes.map((size, i) => frameOf(i, size))
    expect(framesDiffering(gotThere, expected)).toEqual([])
    expect(framesDiffering(gotHere, expected)).toEqual([])
    expect(here.traffic.chunksSent).toBeLessThan(here.traffic.framesSent / 4)

    const closes: CloseInfo[] = []
    const closedThere = new Promise<void>((resolve) => there.onClose((info) => (closes.push(info), resolve())))
    here.close('test over')
    await closedThere
    expect(closes).toEqual([{ initiator: 'remote', reason: 'test over' }])
    await Promise.all([here.gone, there.gone])
    expect(pair.offerer.readyState).toBe('closed')
  }, 30_000)

  it('close() right after a burst far past the high-water mark still delivers every frame before the goodbye', async () => {
    const pair = await openDataChannelPair()
    pairs.push(pair)
    const here = new ChannelConnection(asChannel(pair.offerer))
    const there = new ChannelConnection(asChannel(pair.answerer), { direction: 'inbound' })
    const got: Uint8Array[] = []
    there.onMessage((frame) => got.push(frame))
    const closed = new Promise<CloseInfo>((resolve) => there.onClose(resolve))
    const expected = Array.from({ length: 400 }, (_, i) => frameOf(i, 20_000))
    let refused = 0
    for (const frame of expected) if (!here.send(frame)) refused++
    expect(refused).toBeGreaterThan(0)
    here.close('burst done')
    expect(await closed).toEqual({ initiator: 'remote', reason: 'burst done' })
    expect(framesDiffering(got, expected)).toEqual([])
    await Promise.all([here.gone, there.gone])
  }, 30_000)

  it('both ends closing at once are gone soon, each having read the other\'s goodbye', async () => {
    const pair = await openDataChannelPair()
    pairs.push(pair)
    // A wait for the timeout would outlast the test's own.
    const here = new ChannelConnection(asChannel(pair.offerer), { closeTimeoutMs: 60_000 })
    const there = new ChannelConnection(asChannel(pair.answerer), { direction: 'inbound', closeTimeoutMs: 60_000 })
    here.send(new Uint8Array(50_000))
    there.send(new Uint8Array(50_000))
    here.close('here done')
    there.close('there done')
    await Promise.all([here.gone, there.gone])
    expect([pair.offerer.readyState, pair.answerer.readyState]).toEqual(['closed', 'closed'])
  }, 20_000)
})
