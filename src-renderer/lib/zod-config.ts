/**
 * zod compiles fast object parsers with `new Function` when it may; under the renderer's CSP
 * (no 'unsafe-eval') even the probe is reported as a violation. The interpreted parsers are
 * plenty fast for form validation. Import this before anything that imports the contract.
 */
import { z } from 'zod';

z.config({ jitless: true });
