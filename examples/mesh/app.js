// The mesh page: joins (join.js), then shows this node, its peers as a list and a drawing,
// a chat over publish/subscribe, DHT put and get, and live stats charted every second. Every
// failure is written on the page (#errors); nothing is left to throw uncaught.

import { joinMesh, serverUrl } from './join.js'
import { LineChart } from './chart.js'
import { drawTopology } from './topology.js'

const CHAT = 'wasmesh/chat'
/** Once a second each page (and each `wasmesh demo` node) says who its neighbours are: the drawing's far lines, and latency samples. */
const PRESENCE = 'wasmesh/presence'
const MAX_CHAT_LINES = 200
const MAX_CHAT_CHARS = 500
/** Presence older than this is forgotten: that node stopped or left. */
const PRESENCE_TTL_MS = 5_000

const $ = (selector) => document.querySelector(selector)
const encode = (text) => new TextEncoder().encode(text)
const decode = (bytes) => new TextDecoder().decode(bytes)
const short = (key) => key.slice(0, 8)
const hex = (bytes) => Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')
const fromHex = (text) => {
  if (!/^([0-9a-f]{2})+$/i.test(text)) throw new Error(`an owner is a public key in hex, got ${JSON.stringify(text)}`)
  return Uint8Array.from(text.match(/../g), (pair) => Number.parseInt(pair, 16))
}

function showError(error) {
  const item = document.createElement('li')
  item.textContent = `${new Date().toLocaleTimeString()} ${error?.code ? `${error.code}: ` : ''}${error?.message ?? String(error)}`
  $('#errors').append(item)
  $('#errors-box').hidden = false
}

/** Runs an action of a button or a form, its failure shown on the page. */
const guarded = (action) => (event) => {
  event?.preventDefault()
  Promise.resolve().then(action).catch(showError)
}

window.addEventListener('error', (event) => showError(event.error ?? event.message))
window.addEventListener('unhandledrejection', (event) => {
  event.preventDefault()
  showError(event.reason)
})

function setStatus(text) {
  $('#status').textContent = text
  document.body.dataset.status = text
}

function addChatLine(from, text, isOwn) {
  const item = document.createElement('li')
  if (isOwn) item.className = 'own'
  const who = document.createElement('b')
  who.textContent = from
  item.append(who, ' ', text)
  const log = $('#chat-log')
  log.append(item)
  while (log.children.length > MAX_CHAT_LINES) log.firstElementChild.remove()
  log.scrollTop = log.scrollHeight
}

function renderPeers(node) {
  const peers = node.peers()
  $('#peer-count').textContent = String(peers.length)
  $('#peers').replaceChildren(...peers.map((peer) => {
    const item = document.createElement('li')
    item.dataset.peerKey = peer.peerKey
    item.textContent = `${short(peer.peerKey)} ${peer.direction === 'outbound' ? '→' : '←'} ${peer.remoteAddress}`
    return item
  }))
  const owners = $('#owners')
  owners.replaceChildren(...peers.map((peer) => {
    const option = document.createElement('option')
    option.value = hex(peer.publicKey)
    option.label = short(peer.peerKey)
    return option
  }))
  return peers
}

async function main() {
  const controller = new AbortController()
  const url = serverUrl(location)
  $('#server').textContent = url
  setStatus('joining')
  const { id, node, transport } = await joinMesh(url, controller.signal)
  window.addEventListener('pagehide', () => {
    controller.abort()
    void node.stop().then(() => transport.close()).catch(() => undefined)
  }, { once: true })
  $('#signaling-id').textContent = id
  $('#node-id').textContent = node.peerKey
  $('#public-key').textContent = hex(node.publicKey)
  setStatus('running')

  let latencies = []
  const links = new Map()
  const noteLatency = (message) => latencies.push(Math.max(0, Date.now() - message.timestampMs))
  node.subscribe(CHAT, (message) => {
    noteLatency(message)
    addChatLine(short(hex(message.origin)), decode(message.data).slice(0, MAX_CHAT_CHARS), false)
  })
  node.subscribe(PRESENCE, (message) => {
    noteLatency(message)
    try {
      const said = JSON.parse(decode(message.data))
      if (Array.isArray(said?.peers)) links.set(hex(message.origin), { atMs: Date.now(), peers: said.peers.filter((key) => typeof key === 'string').slice(0, 100) })
    } catch {
      // Another program's presence on this topic: nothing to draw from it.
    }
  })

  $('#chat-form').addEventListener('submit', guarded(async () => {
    const input = $('#chat-input')
    const text = input.value.trim().slice(0, MAX_CHAT_CHARS)
    if (text === '') return
    const result = await node.publish(CHAT, encode(text))
    addChatLine('me', text, true)
    input.value = ''
    if (!result.isSent) throw new Error(`nobody received it yet (${result.notSentReason}): no neighbour follows the chat`)
  }))

  const dhtResult = (text) => ($('#dht-result').textContent = text)
  $('#dht-put').addEventListener('click', guarded(async () => {
    const key = $('#dht-key').value
    if (key === '') throw new Error('a DHT put needs a key')
    dhtResult('putting…')
    const result = await node.dht.put(key, encode($('#dht-value').value))
    dhtResult(`put ${JSON.stringify(key)}: stored on ${result.storedAt} node${result.storedAt === 1 ? '' : 's'}${result.storedLocally ? ' and here' : ''}`)
  }))
  $('#dht-get').addEventListener('click', guarded(async () => {
    const key = $('#dht-key').value
    if (key === '') throw new Error('a DHT get needs a key')
    const ownerText = $('#dht-owner').value.trim()
    dhtResult('getting…')
    const value = await node.dht.get(key, ownerText === '' ? {} : { owner: fromHex(ownerText) })
    dhtResult(value === undefined ? `not found: ${JSON.stringify(key)}` : `got ${JSON.stringify(key)}: ${decode(value)}`)
  }))

  const charts = {
    rate: new LineChart($('#chart-rate'), { unit: 'msg/s' }),
    peers: new LineChart($('#chart-peers'), { unit: 'peers' }),
    latency: new LineChart($('#chart-latency'), { unit: 'ms' }),
  }
  let lastIn = node.stats().messages.in
  let lastAtMs = performance.now()
  const tick = () => {
    if (!node.isRunning) return setStatus('stopped')
    const stats = node.stats()
    const nowMs = performance.now()
    charts.rate.push(((stats.messages.in - lastIn) * 1_000) / Math.max(1, nowMs - lastAtMs))
    lastIn = stats.messages.in
    lastAtMs = nowMs
    charts.peers.push(stats.peers)
    charts.latency.push(latencies.length === 0 ? undefined : latencies.reduce((sum, ms) => sum + ms, 0) / latencies.length)
    latencies = []
    const peers = renderPeers(node)
    const neighbourKeys = new Set(peers.map((peer) => peer.peerKey))
    for (const [key, said] of links) if (!neighbourKeys.has(key) || Date.now() - said.atMs > PRESENCE_TTL_MS) links.delete(key)
    drawTopology($('#topology'), { key: node.peerKey, label: 'me' }, peers.map((peer) => ({ key: peer.peerKey, label: short(peer.peerKey) })),
      new Map([...links].map(([key, said]) => [key, said.peers])))
    if (peers.length > 0) node.publish(PRESENCE, encode(JSON.stringify({ peers: [...neighbourKeys] }))).catch(showError)
  }
  const timer = setInterval(() => {
    try {
      tick()
    } catch (error) {
      showError(error)
    }
  }, 1_000)
  window.addEventListener('pagehide', () => clearInterval(timer), { once: true })
  node.addEventListener('peer:connect', () => renderPeers(node))
  node.addEventListener('peer:disconnect', () => renderPeers(node))
  tick()
}

main().catch((error) => {
  setStatus('failed')
  showError(error)
})
