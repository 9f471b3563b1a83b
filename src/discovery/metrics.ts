// The bootstrap server's metrics in the Prometheus text exposition format (version 0.0.4):
// counters named *_total, gauges without, base units, `# HELP` and `# TYPE` for each, label
// values escaped. A few fixed series need no client library (docs/dependencies.md).

export interface MetricFamily {
  readonly name: string
  readonly help: string
  readonly type: 'counter' | 'gauge'
  /** One sample per label set; {} for an unlabelled metric. */
  readonly samples: readonly { readonly labels: Readonly<Record<string, string>>; readonly value: number }[]
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

const escapeLabel = (value: string) => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')
const escapeHelp = (value: string) => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')

export function renderMetrics(families: readonly MetricFamily[]): string {
  const lines: string[] = []
  for (const family of families) {
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`)
    for (const { labels, value } of family.samples) {
      const entries = Object.entries(labels)
      const labelText = entries.length === 0 ? '' : `{${entries.map(([key, text]) => `${key}="${escapeLabel(text)}"`).join(',')}}`
      lines.push(`${family.name}${labelText} ${Number.isFinite(value) ? value : 0}`)
    }
  }
  return lines.join('\n') + '\n'
}
