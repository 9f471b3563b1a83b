// A small live line chart: the last `capacity` samples (one a second), scaled to the largest
// one shown, with the latest value and its unit written beside the title.

import { svgElement } from './svg.js'

const WIDTH = 240
const HEIGHT = 60

export class LineChart {
  #samples = []
  #capacity
  #unit
  #line
  #value
  #scale

  /** Draws into the <figure> `figure`, whose <figcaption> holds the title. */
  constructor(figure, { unit, capacity = 60 }) {
    this.#capacity = capacity
    this.#unit = unit
    const svg = svgElement('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, width: WIDTH, height: HEIGHT, role: 'img' }, figure)
    svgElement('line', { x1: 0, y1: HEIGHT - 0.5, x2: WIDTH, y2: HEIGHT - 0.5, class: 'axis' }, svg)
    this.#line = svgElement('polyline', { points: '', class: 'series' }, svg)
    this.#scale = svgElement('text', { x: 2, y: 10, class: 'scale' }, svg)
    this.#value = document.createElement('output')
    figure.querySelector('figcaption').append(' ', this.#value)
  }

  /** Adds a sample; `undefined` (nothing measured this second) leaves a gap at zero and shows '–'. */
  push(value) {
    this.#samples.push(value ?? 0)
    if (this.#samples.length > this.#capacity) this.#samples.shift()
    const top = Math.max(1, ...this.#samples)
    const step = WIDTH / (this.#capacity - 1)
    const offset = this.#capacity - this.#samples.length
    this.#line.setAttribute('points', this.#samples.map((sample, i) => `${((offset + i) * step).toFixed(1)},${(HEIGHT - 1 - (sample / top) * (HEIGHT - 14)).toFixed(1)}`).join(' '))
    this.#scale.textContent = `max ${format(top)}`
    this.#value.textContent = value === undefined ? '–' : `${format(value)} ${this.#unit}`
  }
}

function format(value) {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2).replace(/\.?0+$/, '') || '0'
}
