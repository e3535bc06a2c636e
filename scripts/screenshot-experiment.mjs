// The README's Experiments screenshot from a real experiment: `node scripts/screenshot-experiment.mjs HOME ID [OUT]`
// (after `npm run build`). Serves HOME with `cvb serve` and photographs the experiment's detail
// (bands, arms, verdict) in Debian's Chromium. Photograph a copy of a home whose experiment
// still runs elsewhere: the server carries on every active experiment of the home it serves.
import { join } from 'node:path';
import { photograph } from './lib/serve-chromium.mjs';

const [home, id, out = join('docs', 'screenshots', '10-experiment.png')] = process.argv.slice(2);
if (!home || !id) throw new Error('usage: node scripts/screenshot-experiment.mjs HOME EXPERIMENT_ID [OUT.png]');

await photograph(home, { width: 1440, height: 1250 }, out, async (page, url) => {
  await page.goto(`${url}#/experiments/${id}`);
  await page.getByTestId('experiment-verdict').waitFor({ timeout: 60_000 });
  await page.waitForTimeout(1500);
});
