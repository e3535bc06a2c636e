// README screenshots from real runs: `node scripts/screenshot-run.mjs HOME OUT.png RUN_ID [RUN_ID ...]`
// (after `npm run build`). Serves HOME with `cvb serve` and photographs, in Debian's Chromium, one
// run's detail scrolled to its curves, or the Compare screen with several runs overlaid.
import { photograph } from './lib/serve-chromium.mjs';

const [home, out, ...ids] = process.argv.slice(2);
if (!home || !out || ids.length === 0) throw new Error('usage: node scripts/screenshot-run.mjs HOME OUT.png RUN_ID [RUN_ID ...]');

await photograph(home, { width: 1440, height: 1100 }, out, async (page, url) => {
  if (ids.length === 1) {
    await page.goto(`${url}#/runs/${ids[0]}`);
    await page.getByTestId('chart-loss').waitFor({ timeout: 60_000 });
    await page.getByTestId('chart-loss').scrollIntoViewIfNeeded();
  } else {
    // The Compare screen reads its runs from what it remembered (localStorage), as after a reload.
    await page.addInitScript((compared) => localStorage.setItem('cvb.compare', JSON.stringify(compared)), ids);
    await page.goto(`${url}#/compare`);
    await page.locator('[data-testid^="compare-chart-"]').first().waitFor({ timeout: 60_000 });
    // Unsmoothed: a smoothed curve of a few epoch points lags behind the values it is drawn from.
    await page.locator('input[type="range"]').first().fill('0');
    await page.locator('input[type="range"]').first().blur();
  }
  await page.waitForTimeout(2000);
});
