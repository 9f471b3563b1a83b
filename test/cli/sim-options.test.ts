// The flags of `wasmesh sim`: scenario parameters by their kebab-case names, nested node
// options, sweeps and expectations parsed; every mistake a UsageError naming the flag.

import { describe, expect, it } from 'vitest'
import { flagOf, MAX_SWEEP_POINTS, parseSimOptions, parseValue, simUsage } from '../../src/cli/sim-options.js'
import { UsageError } from '../../src/cli/usage-error.js'
import { scenarioNames } from '../../src/sim/index.js'

function usageError(args: string[]): string {
  try {
    parseSimOptions(args)
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError)
    return (error as Error).message
  }
  throw new Error(`${args.join(' ')} was accepted`)
}

describe('wasmesh sim flags', () => {
  it('the issue\'s command line: scenario, nodes, seed and out, with defaults for the rest', () => {
    expect(parseSimOptions(['--nodes', '10000', '--scenario', 'join', '--seed', '1', '--out', 'report/'])).toEqual({
      scenario: 'join', parameters: { nodes: 10_000, seed: 1 }, sweep: [], outDir: 'report/', expectations: [], isQuiet: false, hasCharts: true,
    })
  })

  it('any other flag is a scenario parameter named in kebab case; dotted flags set node options; values are numbers where they read as one', () => {
    const options = parseSimOptions([
      '--scenario=broadcast', '--arrival-rate-per-sec', '2.5', '--settle-ms=1e4', '--messages', '10_000', '--signatures', 'ed25519',
      '--node.relay.fanout', '8', '--node.peers.target-peers', '12', '--quiet', '--no-charts',
    ])
    expect(options.parameters).toEqual({ arrivalRatePerSec: 2.5, settleMs: 10_000, messages: 10_000, signatures: 'ed25519', node: { relay: { fanout: 8 }, peers: { targetPeers: 12 } } })
    expect([options.isQuiet, options.hasCharts]).toEqual([true, false])
    expect(parseSimOptions(['--scenario', 'join', '--node', '{"relay":{"fanout":3}}']).parameters).toEqual({ node: { relay: { fanout: 3 } } })
    expect([parseValue('-0.5'), parseValue('.5'), parseValue('ten'), parseValue('true'), parseValue('1_000_000')]).toEqual([-0.5, 0.5, 'ten', true, 1_000_000])
    expect(flagOf(['node', 'relay', 'defaultTtl'])).toBe('--node.relay.default-ttl')
  })

  it('a scenario\'s own parameters need nothing here: hotspot\'s --gets-per-reader and --read-ms reach it by name', () => {
    expect(parseSimOptions(['--scenario', 'hotspot', '--nodes', '1000', '--gets-per-reader', '5', '--read-ms', '10_000'])).toMatchObject({
      scenario: 'hotspot', parameters: { nodes: 1_000, getsPerReader: 5, readMs: 10_000 },
    })
    expect(simUsage()).toContain('--scenario hotspot --nodes 1000 --gets-per-reader 5 --read-ms 10000')
  })

  it('--sweep takes one parameter and its values (repeated: every combination); --expect a figure, a comparison and a number', () => {
    const options = parseSimOptions(['--scenario', 'broadcast', '--sweep', 'nodes=1000,10000,100000', '--sweep', 'node.relay.fanout=2,4', '--sweep', 'signatures=stand-in,ed25519',
      '--expect', 'broadcast.deliveryRatio>=0.999', '--expect', 'shutdown.timersLeft == 0'])
    expect(options.sweep).toEqual([
      { path: ['nodes'], values: [1_000, 10_000, 100_000] },
      { path: ['node', 'relay', 'fanout'], values: [2, 4] },
      { path: ['signatures'], values: ['stand-in', 'ed25519'] },
    ])
    expect(options.expectations).toEqual([
      { figure: 'broadcast.deliveryRatio', comparison: '>=', value: 0.999 },
      { figure: 'shutdown.timersLeft', comparison: '==', value: 0 },
    ])
    // kebab-case and camelCase names are the same parameter.
    expect(parseSimOptions(['--scenario', 'join', '--sweep', 'arrival-rate-per-sec=1,2']).sweep).toEqual(parseSimOptions(['--scenario', 'join', '--sweep', 'arrivalRatePerSec=1,2']).sweep)
  })

  it.each([
    [[], `--scenario is required: one of ${scenarioNames.join(', ')}`],
    [['--scenario', 'gossip'], `--scenario must be one of ${scenarioNames.join(', ')}, got "gossip"`],
    [['--scenario', 'join', '--scenario', 'broadcast'], '--scenario is given twice'],
    [['--scenario', 'join', '--nodes'], '--nodes needs a value'],
    [['--scenario', 'join', '--nodes', '--seed', '2'], '--nodes needs a value'],
    [['--scenario', 'join', '--nodes', '5', '--nodes', '6'], '--nodes is given twice'],
    [['--scenario', 'join', 'nodes'], 'unexpected argument "nodes": every option is --name value'],
    [['--scenario', 'join', '--Nodes', '5'], '--Nodes: "Nodes" is not a parameter name'],
    [['--scenario', 'join', '--quiet=yes'], '--quiet takes no value'],
    [['--scenario', 'join', '--node', '[1]'], '--node must be a JSON object of node options, got "[1]"'],
    [['--scenario', 'join', '--node', '{'], '--node must be a JSON object of node options, got "{"'],
    [['--scenario', 'join', '--node', '{}', '--node.relay.fanout', '3'], 'give node options either as --node <json> or as --node.<section>.<option> flags, not both'],
    [['--scenario', 'join', '--sweep', 'nodes'], '--sweep must be <parameter>=<value>,<value>..., got "nodes"'],
    [['--scenario', 'join', '--sweep', 'nodes=1,,2'], '--sweep nodes: an empty value in "nodes=1,,2"'],
    [['--scenario', 'join', '--sweep', 'nodes=10,10'], '--sweep nodes: 10 is given twice'],
    [['--scenario', 'join', '--sweep', 'node={}'], '--sweep: sweep one node option (node.relay.fanout=4,8), not the whole --node object'],
    [['--scenario', 'join', '--nodes', '5', '--sweep', 'nodes=10,20'], 'nodes is both swept and set by --nodes'],
    [['--scenario', 'join', '--node', '{}', '--sweep', 'node.relay.fanout=1,2'], 'node.relay.fanout is both swept and set by --node'],
    [['--scenario', 'join', '--sweep', 'nodes=10,20', '--sweep', 'nodes=30'], '--sweep nodes is swept twice'],
    [['--scenario', 'join', '--sweep', 'nodes=1,2,3,4,5,6,7,8', '--sweep', 'seed=1,2,3,4,5,6,7,8,9'], `--sweep asks for 72 runs; at most ${MAX_SWEEP_POINTS}`],
    [['--scenario', 'join', '--expect', 'broadcast.deliveryRatio'], '--expect must be <figure><op><number>'],
    [['--scenario', 'join', '--expect', 'a.b>=high'], '--expect must be <figure><op><number>'],
  ])('%j is refused: %s', (args, message) => {
    expect(usageError(args)).toContain(message)
  })

  it('the usage lists the registry\'s scenarios and the exit codes', () => {
    const usage = simUsage()
    expect(usage).toMatch(/^usage: wasmesh sim --scenario <name>/)
    expect(usage).toContain(`--scenario <name>       ${scenarioNames.join(', ')}`)
    for (const code of ['exit codes: 0 done', '1 the run failed', '2 a usage error', '130 interrupted']) expect(usage.replace(/\s+/g, ' ')).toContain(code)
  })
})
