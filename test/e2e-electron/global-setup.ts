import { execFileSync } from 'node:child_process';
import { missingBuildOutputs, probeElectron, ROOT, SKIP_REASON_VARIABLE } from './environment';

/** Prints one line when the suite cannot run; builds the app when it can and dist is incomplete. */
export default function globalSetup(): void {
  const probe = probeElectron();
  if (probe.skipReason !== null) {
    process.env[SKIP_REASON_VARIABLE] = probe.skipReason;
    console.log(`Electron e2e skipped: ${probe.skipReason}`);
    return;
  }
  if (missingBuildOutputs().length > 0) {
    execFileSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit', shell: process.platform === 'win32' });
  }
}
