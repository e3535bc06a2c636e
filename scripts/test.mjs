// `npm test`: every check the project has, in one run, ending with the line `N passed, N failed`.
// Steps: build, lint (with the folder-boundary rules), type-check per runtime, unit tests (Vitest),
// the browser end-to-end journey (Playwright + Debian's Chromium), the Electron e2e suite (skipped
// with a visible reason where no Electron binary exists), and the Electronegativity security scan.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { ensureDependencies } from './lib/dependencies.mjs';

ensureDependencies((message) => console.log(`[test] ${message}`));
ensureSystemPackages();

/**
 * The browser tests drive Debian's Chromium and one data test imports Debian's full Fashion-MNIST.
 * On a fresh Debian machine where we are root, install them (as .ci/run does); elsewhere say what
 * is missing and how to get it, and let those tests fail with that reason.
 */
function ensureSystemPackages() {
  const missing = [];
  if (!process.env.CVB_CHROMIUM && !existsSync('/usr/bin/chromium')) missing.push('chromium');
  if (!existsSync('/usr/share/datasets/fashion-mnist')) missing.push('dataset-fashion-mnist');
  if (missing.length === 0) return;
  const canInstall = process.platform === 'linux' && process.getuid?.() === 0 && spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!canInstall) {
    console.log(`[test] missing Debian packages: ${missing.join(', ')} (apt-get install ${missing.join(' ')}; or set CVB_CHROMIUM to a Chromium binary)`);
    return;
  }
  console.log(`[test] installing Debian packages: ${missing.join(', ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
}

const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
mkdirSync('test-results', { recursive: true });

let passed = 0;
let failed = 0;
const failures = [];

function run(label, command, args, options = {}) {
  process.stdout.write(`\n=== ${label}: ${[command, ...args].join(' ')}\n`);
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  return result.status === 0;
}

/** A check that is not a test runner counts as one test. */
function check(label, command, args) {
  if (run(label, command, args)) passed += 1;
  else {
    failed += 1;
    failures.push(label);
  }
}

/** A test runner: its own JSON report gives the counts; a crash before any report counts as one failure. */
function suite(label, command, args, reportFile, count) {
  const ok = run(label, command, args);
  if (!existsSync(reportFile)) {
    failed += 1;
    failures.push(`${label} (no report)`);
    return;
  }
  const counts = count(JSON.parse(readFileSync(reportFile, 'utf8')));
  passed += counts.passed;
  failed += counts.failed;
  if (counts.skipped > 0) skipped.push(`${label}: ${counts.skipped} skipped (${counts.skippedTitles.join('; ')})`);
  if (counts.failed > 0 || !ok) failures.push(label);
  if (!ok && counts.failed === 0) failed += 1;
}

/** Skipped tests, listed before the summary so none hides: each says why in its own output. */
const skipped = [];

const only = process.argv.slice(2);
const wanted = (name) => only.length === 0 || only.includes(name);

if (wanted('build')) check('build', 'npm', ['run', 'build', '--silent']);
if (wanted('lint')) check('lint', npx, ['eslint', '.']);
if (wanted('typecheck')) {
  check('type-check (node side)', npx, ['tsc', '-p', 'tsconfig.node.json', '--noEmit']);
  check('type-check (renderer)', npx, ['vue-tsc', '-p', 'tsconfig.web.json', '--noEmit']);
}
if (wanted('unit')) {
  suite('unit tests', npx, ['vitest', 'run', '--reporter=default', '--reporter=json', '--outputFile.json=test-results/vitest.json'], 'test-results/vitest.json', (report) => {
    const skippedTests = report.testResults.flatMap((file) => file.assertionResults).filter((test) => test.status === 'pending' || test.status === 'skipped' || test.status === 'todo');
    return {
      passed: report.numPassedTests,
      failed: report.numFailedTests,
      skipped: skippedTests.length,
      skippedTitles: skippedTests.map((test) => test.fullName ?? test.title),
    };
  });
}
if (wanted('e2e')) {
  suite('browser e2e', npx, ['playwright', 'test', '--config', 'playwright.config.ts'], 'test-results/e2e.json', (report) => ({
    passed: report.stats.expected,
    failed: report.stats.unexpected + report.stats.flaky,
    skipped: report.stats.skipped,
    skippedTitles: [],
  }));
}
if (wanted('electron') && existsSync('playwright.electron.config.ts')) {
  suite('electron e2e', npx, ['playwright', 'test', '--config', 'playwright.electron.config.ts'], 'test-results/electron-e2e.json', (report) => ({
    passed: report.stats.expected,
    failed: report.stats.unexpected + report.stats.flaky,
    skipped: report.stats.skipped,
    skippedTitles: ['Electron e2e: see the "Electron e2e skipped:" line above'],
  }));
}
if (wanted('security') && existsSync('scripts/electronegativity.mjs')) check('electronegativity scan', 'node', ['scripts/electronegativity.mjs']);

if (skipped.length) process.stdout.write(`\n${skipped.join('\n')}\n`);
if (failures.length) process.stdout.write(`\nfailed: ${failures.join(', ')}\n`);
process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exitCode = failed > 0 ? 1 : 0;
