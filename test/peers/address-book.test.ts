import { describe, expect, it } from 'vitest'
import { ADDRESS_RETRY_BASE_MS, ADDRESS_RETRY_MAX_MS, AddressBook, MAX_ADDRESS_BOOK_ENTRIES, MAX_ADDRESS_FAILURES } from '../../src/peers/address-book.js'
import { toHex } from '../../src/util/hex.js'

const idOf = (n: number) => {
  const id = new Uint8Array(32)
  new DataView(id.buffer).setUint32(0, n)
  return id
}
const peer = (n: number) => ({ id: idOf(n), addresses: [`memory://peer-${n}`] })
const none = () => false

describe('AddressBook', () => {
  it('offers the most recently learned peers first, skips excluded ones, and ignores peers without addresses', () => {
    const book = new AddressBook()
    for (let n = 1; n <= 4; n++) book.add(peer(n))
    book.add({ id: idOf(9), addresses: [] })
    book.add(peer(2)) // learned again: now the most recent
    expect(book.size).toBe(4)
    expect(book.dialable(0, 10, none).map((info) => info.addresses[0])).toEqual(['memory://peer-2', 'memory://peer-4', 'memory://peer-3', 'memory://peer-1'])
    expect(book.dialable(0, 2, (key) => key === toHex(idOf(4))).map((info) => info.addresses[0])).toEqual(['memory://peer-2', 'memory://peer-3'])
    expect(book.dialable(0, 0, none)).toEqual([])
  })

  it('isDialable: false only while a failed dial backs the peer off; unknown peers are dialable', () => {
    const book = new AddressBook()
    book.add(peer(1))
    const key = toHex(idOf(1))
    expect(book.isDialable(key, 0)).toBe(true)
    expect(book.isDialable(toHex(idOf(2)), 0)).toBe(true)
    book.markFailed(key, 0)
    expect(book.isDialable(key, ADDRESS_RETRY_BASE_MS - 1)).toBe(false)
    expect(book.isDialable(key, ADDRESS_RETRY_BASE_MS)).toBe(true)
  })

  it('a failed peer waits out a backoff doubling from 1 s to a minute, is offered again after it, and is forgotten after 8 failures in a row', () => {
    const book = new AddressBook()
    book.add(peer(1))
    const key = toHex(idOf(1))
    let now = 0
    const waits: number[] = []
    for (let failure = 1; failure < MAX_ADDRESS_FAILURES; failure++) {
      book.markFailed(key, now)
      expect(book.dialable(now, 1, none)).toEqual([])
      const retryAt = book.nextRetryAtMs(now)!
      waits.push(retryAt - now)
      expect(book.dialable(retryAt - 1, 1, none)).toEqual([])
      expect(book.dialable(retryAt, 1, none)).toHaveLength(1)
      now = retryAt
    }
    expect(ADDRESS_RETRY_BASE_MS).toBe(1_000)
    expect(ADDRESS_RETRY_MAX_MS).toBe(60_000)
    expect(waits).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000])
    book.markFailed(key, now)
    expect(book.has(key)).toBe(false)
    expect(book.nextRetryAtMs(now)).toBeUndefined()
  })

  it('a successful dial ends the backoff', () => {
    const book = new AddressBook()
    book.add(peer(1))
    book.markFailed(toHex(idOf(1)), 0)
    book.markConnected(toHex(idOf(1)))
    expect(book.dialable(0, 1, none)).toHaveLength(1)
  })

  it(`holds at most ${MAX_ADDRESS_BOOK_ENTRIES} peers, forgetting the least recently learned first`, () => {
    const book = new AddressBook()
    for (let n = 0; n < MAX_ADDRESS_BOOK_ENTRIES + 50; n++) book.add(peer(n))
    expect(book.size).toBe(MAX_ADDRESS_BOOK_ENTRIES)
    expect(book.has(toHex(idOf(49)))).toBe(false)
    expect(book.has(toHex(idOf(50)))).toBe(true)
  })
})
