/**
 * How many threads a run uses by default. Apart from the engine's tfjs imports so that a host
 * process (which never trains) can ask without loading TF.js.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';

/**
 * The default thread count of a run: the physical cores (Linux: distinct core ids in /proc/cpuinfo,
 * hyper-threads not counted; elsewhere the logical count) minus one left for the UI, at least 1.
 */
export function defaultThreads(cpuinfo: string | null = readCpuinfo()): number {
  return Math.max(1, physicalCores(cpuinfo) - 1);
}

function readCpuinfo(): string | null {
  try {
    return process.platform === 'linux' ? readFileSync('/proc/cpuinfo', 'utf8') : null;
  } catch {
    return null;
  }
}

/** Distinct (physical id, core id) pairs of /proc/cpuinfo; the logical count when it has none. */
export function physicalCores(cpuinfo: string | null): number {
  const cores = new Set<string>();
  for (const block of (cpuinfo ?? '').split(/\n\s*\n/)) {
    const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.+)$`, 'm').exec(block)?.[1].trim();
    const core = field('core id');
    if (core !== undefined) cores.add(`${field('physical id') ?? '0'}:${core}`);
  }
  return cores.size > 0 ? cores.size : os.availableParallelism();
}
