// Making SVG elements through the DOM (no markup strings), shared by the charts and the topology.

const SVG = 'http://www.w3.org/2000/svg'

export function svgElement(name, attributes = {}, parent = undefined) {
  const element = document.createElementNS(SVG, name)
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value))
  parent?.appendChild(element)
  return element
}
