import { spawnSync } from 'node:child_process';

/**
 * A Python 3 that has PyTorch and torchvision: $CVB_PYTHON, else Debian's /usr/bin/python3 (where
 * python3-torch installs), else python3 on the PATH. Throws with the way to get one, so a machine
 * without PyTorch fails these tests with a reason instead of skipping them.
 */
export function pythonWithTorch(): string {
  const candidates = [process.env.CVB_PYTHON, '/usr/bin/python3', 'python3'].filter((c): c is string => !!c);
  for (const candidate of candidates) {
    const probe = spawnSync(candidate, ['-c', 'import torch, torchvision'], { encoding: 'utf8' });
    if (probe.status === 0) return candidate;
  }
  throw new Error(`no Python with torch and torchvision among ${candidates.join(', ')}: apt-get install python3-torch python3-torchvision (as .ci/run does), or set CVB_PYTHON`);
}

export function runPython(python: string, args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  const result = spawnSync(python, args, { encoding: 'utf8', cwd: options.cwd, env: { ...process.env, OMP_NUM_THREADS: '1', ...options.env }, timeout: 300_000 });
  if (result.status !== 0) throw new Error(`${python} ${args.join(' ')} exited with ${result.status}:\n${result.stderr.slice(-3000)}`);
  return result.stdout;
}
