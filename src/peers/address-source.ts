// Where a connection comes from, as a key that several connections of one attacker share:
// the host of its remote address, widened to the network an attacker cheaply holds many
// addresses in (an IPv4 address alone, an IPv6 /64). Used to cap what one source may hold
// before it has proven anything (pending handshakes).
//
// The limit of this defence: an attacker with many hosts or many IPv4 addresses is many
// sources. The overall caps (connection-manager.ts) bound it anyway.

/** The source key of `address` ('ws://203.0.113.9:4312' -> '203.0.113.9'); the address itself when it has no host part. */
export function sourceOf(address: string): string {
  const host = hostOf(address)
  if (host === undefined) return address
  if (host.includes(':')) return ipv6Prefix64(host)
  return host.toLowerCase()
}

/**
 * True for loopback sources (127.0.0.0/8, ::1, localhost): everything on this machine is one
 * source, and whoever runs code here needs no network trick to hurt the node, so per-source
 * caps would only throttle a local mesh (tests, the demo) without stopping anyone.
 */
export function isLoopbackSource(source: string): boolean {
  return source === 'localhost' || source.startsWith('127.') || source === '::1'
}

function hostOf(address: string): string | undefined {
  const scheme = address.indexOf('://')
  if (scheme < 0) return undefined
  let rest = address.slice(scheme + 3)
  const end = rest.search(/[/?#]/)
  if (end >= 0) rest = rest.slice(0, end)
  const at = rest.lastIndexOf('@')
  if (at >= 0) rest = rest.slice(at + 1)
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']')
    return close > 0 ? rest.slice(1, close) : undefined
  }
  const colons = rest.split(':').length - 1
  // 'host:port' has one colon; a bare IPv6 address has several.
  if (colons === 1) rest = rest.slice(0, rest.indexOf(':'))
  return rest.length > 0 ? rest : undefined
}

/** The first four groups of an IPv6 address, expanded ('2001:db8::1' -> '2001:db8:0:0'); '::1' stays itself. */
function ipv6Prefix64(host: string): string {
  const bare = host.split('%')[0].toLowerCase()
  if (bare === '::1') return bare
  const [head, tail = ''] = bare.split('::')
  const left = head === '' ? [] : head.split(':')
  const right = bare.includes('::') ? (tail === '' ? [] : tail.split(':')) : []
  const groups = bare.includes('::') ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left
  return groups.slice(0, 4).map((group) => group.replace(/^0+(?=.)/, '')).join(':')
}
