// One dial in progress on the in-memory network, as a real dial looks to the dialler:
// the request reaches the listener after the link's delay and the answer comes back after the
// return delay; nobody listening answers "refused" after that round trip; a cut link answers
// nothing, so the dial times out.

import type { TimerHandle } from '../../util/clock.js'
import { TransportAbortError, TransportError } from '../errors.js'
import type { MemoryConnection } from './connection.js'
import type { Fabric } from './fabric.js'
import type { MemoryTransport } from './transport.js'

export class PendingDial {
  private stageTimer: TimerHandle | undefined
  private timeoutTimer: TimerHandle | undefined
  private connection: MemoryConnection | undefined
  private isSettled = false
  private readonly onAbort = () => {
    const signal = this.signal as AbortSignal
    this.fail(new TransportAbortError(`dial from ${this.from.localAddress} to ${this.to} was aborted`, { cause: signal.reason }))
  }

  constructor(
    private readonly fabric: Fabric,
    private readonly from: MemoryTransport,
    private readonly to: string,
    private readonly timeoutMs: number,
    private readonly signal: AbortSignal | undefined,
    private readonly resolve: (connection: MemoryConnection) => void,
    private readonly reject: (error: Error) => void,
  ) {}

  start(): void {
    const clock = this.fabric.clock
    this.from.pendingDials.add(this)
    this.signal?.addEventListener('abort', this.onAbort, { once: true })
    this.timeoutTimer = clock.setTimeout(() => {
      this.timeoutTimer = undefined
      this.fail(new TransportError('TRANSPORT_TIMEOUT', `dial from ${this.from.localAddress} to ${this.to} got no answer in ${this.timeoutMs} ms`))
    }, this.timeoutMs)
    // Across a cut link the request is lost and only the timeout answers.
    if (this.fabric.isCutBetween(this.from.localAddress, this.to)) return
    this.stageTimer = clock.setTimeout(() => this.arrive(), this.fabric.delay(this.from.localAddress, this.to))
  }

  /** The request reaches the listener's side. */
  private arrive(): void {
    this.stageTimer = undefined
    const fabric = this.fabric
    if (fabric.isCutBetween(this.from.localAddress, this.to)) return
    const target = fabric.listenerAt(this.to)
    const returnDelay = fabric.delay(this.to, this.from.localAddress)
    if (target === undefined) {
      this.stageTimer = fabric.clock.setTimeout(() => {
        this.stageTimer = undefined
        this.fail(new TransportError('TRANSPORT_UNREACHABLE', `nothing listens at ${this.to} (dialled from ${this.from.localAddress})`))
      }, returnDelay)
      return
    }
    const [outbound, inbound] = fabric.connect(this.from, target, fabric.clock.now() + returnDelay)
    this.connection = outbound
    // The answer is armed before the listener runs, so frames the listener sends at once
    // (which cannot arrive before the answer) find the dialler's end already handed over.
    this.stageTimer = fabric.clock.setTimeout(() => this.answered(), returnDelay)
    const handler = target.connectionHandler as (connection: MemoryConnection) => void
    handler(inbound)
  }

  /** The listener's answer reaches the dialler. */
  private answered(): void {
    this.stageTimer = undefined
    const connection = this.connection as MemoryConnection
    if (connection.peer.isCut) return // the answer is lost; the timeout closes our end
    this.settle()
    this.resolve(connection)
  }

  /** Rejects, and closes our end if the listener had already accepted. */
  fail(error: Error): void {
    if (this.isSettled) return
    this.settle()
    this.connection?.close(error.message)
    this.reject(error)
  }

  private settle(): void {
    this.isSettled = true
    const clock = this.fabric.clock
    if (this.stageTimer !== undefined) clock.clearTimeout(this.stageTimer)
    if (this.timeoutTimer !== undefined) clock.clearTimeout(this.timeoutTimer)
    this.stageTimer = this.timeoutTimer = undefined
    this.signal?.removeEventListener('abort', this.onAbort)
    this.from.pendingDials.delete(this)
  }
}
