/**
 * Entry of the short-lived backend probe process (dist/main/backend-probe.js): Core forks it once to
 * learn which backend training would use, without loading TF.js or native code into the host.
 */
import { probeBackend } from './probe';

probeBackend().then(
  (report) => process.send?.({ ok: true, report }, () => process.exit(0)),
  (error: unknown) => process.send?.({ ok: false, error: error instanceof Error ? error.message : String(error) }, () => process.exit(1)),
);
