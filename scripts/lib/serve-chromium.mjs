// What the screenshot scripts share: `cvb serve` on a home (its URL once it listens) and Debian's headless Chromium.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { chromium } from '@playwright/test';

export async function startServe(home, cli = join('dist', 'main', 'cli.js')) {
  const server = spawn(process.execPath, [cli, 'serve', '--port', '0', '--home', home], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    let text = '';
    server.stdout.on('data', (chunk) => {
      text += chunk;
      const match = /^URL: (\S+)$/m.exec(text);
      if (match) resolve(match[1]);
    });
    server.once('exit', (code) => reject(new Error(`cvb serve exited with ${code}`)));
  });
  return { server, url };
}

export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CVB_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Serves HOME, opens a page of the given size in Chromium, lets `act(page, url)` set it up, and writes a PNG to `out`. */
export async function photograph(home, viewport, out, act) {
  const { server, url } = await startServe(home);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport });
    await act(page, url);
    await page.screenshot({ path: out, fullPage: false });
    console.log(out);
  } finally {
    await browser.close();
    server.kill('SIGTERM');
  }
}
