// Where a connection comes from, as keys that several connections of one attacker share:
//   - its source: the host of its remote address, widened to the network an attacker cheaply
//     holds many addresses in (an IPv4 address alone, an IPv6 /64). Used to cap what one
//     source may hold before it has proven anything (pending handshakes);
//   - its prefix: the wider network one operator (a hosting provider, a data centre) holds
//     many hosts in, an IPv4 /16 or an IPv6 /32 (Bitcoin Core's netgroups). Used to keep a
//     node's sessions diverse (inbound-eviction.ts, the per-prefix share of inbound sessions).
// A name that is no IP address (DNS, a MemoryNetwork name, a WebRTC signalling id) is its own
// source and its own prefix; a MemoryNetwork name written as an IPv4 address
// ('memory://45.1.0.7') is grouped as one, so tests can place simulated peers in prefixes.
//
// The limit of this defence: an attacker with many hosts or many prefixes is many sources.
// The overall caps (connection-manager.ts) bound it anyway.

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

/**
 * The prefix key of `address` ('ws://203.0.113.9:4312' -> '203.0', 'ws://[2001:db8::1]:80' ->
 * '2001:db8'); the host itself when it is no IP address; undefined for loopback and private
 * ranges (127/8, 10/8, 172.16/12, 192.168/16, 169.254/16, ::1, fc00::/7, fe80::/10), which
 * are exempt: every such session counts as a prefix of its own (see isLoopbackSource: a LAN
 * or this machine is one network, and per-prefix shares would only throttle a local mesh).
 */
export function prefixOf(address: string): string | undefined {
  const host = hostOf(address)?.toLowerCase()
  if (host === undefined) return address
  if (host === 'localhost') return undefined
  if (host.includes(':')) {
    const groups = ipv6Prefix64(host).split(':')
    const first = Number.parseInt(groups[0] ?? '', 16)
    if (host.split('%')[0] === '::1' || (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80) return undefined
    return groups.slice(0, 2).join(':')
  }
  const octets = IPV4.test(host) ? host.split('.').map(Number) : undefined
  if (octets === undefined) return host
  const [a, b] = octets as [number, number]
  if (a === 127 || a === 10 || (a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168) || (a === 169 && b === 254)) return undefined
  return `${a}.${b}`
}

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/

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
