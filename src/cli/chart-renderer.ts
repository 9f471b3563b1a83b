// Renders the simulator's Vega-Lite specs to SVG, headless: vega-lite compiles a spec to Vega,
// a Vega View with no renderer draws it to an SVG string. vega and vega-lite are optional
// peers of the package, not dependencies (the library never needs them), so they are imported
// when charts are asked for; without them the caller writes its reports and says how to get charts.

import type { ChartSpec } from './sim-charts.js'

export interface ChartRenderer {
  toSvg(spec: ChartSpec): Promise<string>
}

/** What the renderer needs of vega and vega-lite. */
export interface ChartLibraries {
  readonly vega: {
    parse(spec: unknown): unknown
    View: new (runtime: never, options: { renderer: 'none' }) => { toSVG(): Promise<string>; finalize(): unknown }
  }
  readonly vegaLite: { compile(spec: never): { spec: unknown } }
}

export const CHARTS_HINT = 'npm install vega vega-lite'

async function importChartLibraries(): Promise<ChartLibraries> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')])
  return { vega, vegaLite } as unknown as ChartLibraries
}

const isModuleMissing = (error: unknown) =>
  typeof error === 'object' && error !== null && ['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND'].includes((error as { code?: string }).code ?? '')

/**
 * The renderer, or why there is none: `{ missing }` when vega or vega-lite is not installed.
 * Any other failure to load them is thrown.
 */
export async function loadChartRenderer(load: () => Promise<ChartLibraries> = importChartLibraries): Promise<ChartRenderer | { readonly missing: string }> {
  let libraries: ChartLibraries
  try {
    libraries = await load()
  } catch (error) {
    if (!isModuleMissing(error)) throw error
    return { missing: `no charts: vega and vega-lite are not installed (${(error as Error).message.split('\n')[0]}); \`${CHARTS_HINT}\` adds them` }
  }
  const { vega, vegaLite } = libraries
  return {
    async toSvg(spec) {
      const view = new vega.View(vega.parse(vegaLite.compile(spec as never).spec) as never, { renderer: 'none' })
      try {
        return await view.toSVG()
      } finally {
        view.finalize()
      }
    },
  }
}
