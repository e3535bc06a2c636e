// The README's Experiments screenshot from a real experiment: `node scripts/screenshot-experiment.mjs HOME ID [OUT]`
// (after `npm run build`). Serves HOME with `cvb serve` and photographs the experiment's detail
// (bands, arms, verdict) in Debian's Chromium. Photograph a copy of a home whose experiment
// still runs elsewhere: the server carries on every active experiment of the home it serves.
import { join } from 'node:path';
import { launchChromium, startServe } from './lib/serve-chromium.mjs';

const [home, id, out = join('docs', 'screenshots', '10-experiment.png')] = process.argv.slice(2);
if (!home || !id) throw new Error('usage: node scripts/screenshot-experiment.mjs HOME EXPERIMENT_ID [OUT.png]');

const { server, url } = await startServe(home);
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1250 } });
  await page.goto(`${url}#/experiments/${id}`);
  await page.getByTestId('experiment-verdict').waitFor({ timeout: 60_000 });
  await page.waitForTimeout(1500);
  await page.screenshot({ path: out, fullPage: false });
  console.log(out);
} finally {
  await browser.close();
  server.kill('SIGTERM');
}
