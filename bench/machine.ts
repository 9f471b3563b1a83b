// The machine a run was measured on, from node:os and process.

import os from 'node:os'

export interface Machine {
  readonly os: string
  readonly cpu: string
  readonly cores: number
  readonly memoryGiB: number
  readonly node: string
  readonly v8: string
}

export function machine(): Machine {
  const cpus = os.cpus()
  return {
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length,
    memoryGiB: os.totalmem() / 2 ** 30,
    node: process.version,
    v8: process.versions.v8,
  }
}

export function describeMachine(m: Machine): string {
  return `${m.os}; ${m.cpu}, ${m.cores} cores, ${m.memoryGiB.toFixed(0)} GiB; Node ${m.node} (V8 ${m.v8})`
}
