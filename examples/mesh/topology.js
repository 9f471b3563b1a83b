// The live topology around this node: itself in the middle, its neighbours on a circle, a line
// to each, and lines between neighbours that said (in their presence messages) they are linked.

import { svgElement } from './svg.js'

const SIZE = 320
const CENTER = SIZE / 2
const RADIUS = 120

/** Redraws `svg`: `self` and `neighbours` are { key, label }; `links` a Map of peer key to the keys it is linked with. */
export function drawTopology(svg, self, neighbours, links) {
  svg.replaceChildren()
  svg.setAttribute('viewBox', `0 0 ${SIZE} ${SIZE}`)
  const places = new Map([[self.key, { x: CENTER, y: CENTER }]])
  neighbours.forEach((peer, i) => {
    const angle = (2 * Math.PI * i) / neighbours.length - Math.PI / 2
    places.set(peer.key, { x: CENTER + RADIUS * Math.cos(angle), y: CENTER + RADIUS * Math.sin(angle) })
  })
  const edges = svgElement('g', { class: 'edges' }, svg)
  const line = (from, to, kind) => svgElement('line', { x1: from.x, y1: from.y, x2: to.x, y2: to.y, class: kind }, edges)
  for (const peer of neighbours) line(places.get(self.key), places.get(peer.key), 'edge')
  for (const peer of neighbours) {
    for (const other of links.get(peer.key) ?? []) {
      // Each pair once, and only between nodes drawn here.
      if (other > peer.key && places.has(other) && other !== self.key) line(places.get(peer.key), places.get(other), 'edge far')
    }
  }
  const nodes = svgElement('g', { class: 'nodes' }, svg)
  for (const [key, place] of places) {
    const group = svgElement('g', { class: key === self.key ? 'node self' : 'node', 'data-peer-key': key }, nodes)
    svgElement('circle', { cx: place.x, cy: place.y, r: key === self.key ? 14 : 10 }, group)
    const label = svgElement('text', { x: place.x, y: place.y + 26, 'text-anchor': 'middle' }, group)
    label.textContent = key === self.key ? self.label : neighbours.find((peer) => peer.key === key).label
  }
}
