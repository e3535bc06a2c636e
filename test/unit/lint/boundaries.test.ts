// The shape of shared/DESIGN.md is lint rules: each one fires on a small bad example, and
// stays quiet on the imports the layers allow.
import { ESLint } from 'eslint';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const typeAware = ['@typescript-eslint/no-floating-promises', '@typescript-eslint/no-misused-promises'];
// Examples given as text are not files of a TypeScript project: the type-aware rules get their
// own fixture files below.
const eslint = new ESLint({
  cwd: repoRoot,
  overrideConfig: { languageOptions: { parserOptions: { project: null } }, rules: Object.fromEntries(typeAware.map((rule) => [rule, 'off'])) },
});

async function ruleIds(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(repoRoot, filePath) });
  return result.messages.map((m) => m.ruleId ?? m.message);
}

const boundary = ['no-restricted-imports', 'import-x/no-restricted-paths'];
const crossings = (ids: string[]) => ids.filter((id) => boundary.includes(id));

describe('import boundaries', () => {
  it.each([
    ['src-main/contract/x.ts', "import { RunStore } from '../store/runs';\nexport const x = RunStore;"],
    ['src-main/contract/x.ts', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;"],
    // Built-ins come from node:module's list, not a hand list: these two were missing from it.
    ['src-main/contract/x.ts', "import { gzipSync } from 'zlib';\nexport const x = gzipSync;"],
    ['src-main/contract/x.ts', "import { channel } from 'diagnostics_channel';\nexport const x = channel;"],
    ['src-main/zoo/x.ts', "import { app } from 'electron';\nexport const x = app;"],
    ['src-main/core/x.ts', "import { startServer } from '../serve/server';\nexport const x = startServer;"],
    ['src-main/serve/x.ts', "import { app } from 'electron';\nexport const x = app;"],
    ['src-renderer/x.ts', "import { RunStore } from '../src-main/store/runs';\nexport const x = RunStore;"],
    ['src-renderer/x.ts', "import * as tf from '@tensorflow/tfjs-core';\nexport const x = tf;"],
    // Upward arrows between the layers below the hosts.
    ['src-main/infer/x.ts', "import { WorkbenchError } from '../core/errors';\nexport const x = WorkbenchError;"],
    ['src-main/train/x.ts', "import { loadModel } from '../infer/models';\nexport const x = loadModel;"],
    ['src-main/data/x.ts', "import { planTraining } from '../train/loop';\nexport const x = planTraining;"],
    ['src-main/zoo/x.ts', "import { RunStore } from '../store/runs';\nexport const x = RunStore;"],
    ['src-main/store/x.ts', "import { createModel } from '../zoo';\nexport const x = createModel;"],
    ['src-main/core/x.ts', "import { commands } from '../cli/commands';\nexport const x = commands;"],
    ['src-main/experiments/x.ts', "import { createWorkbench } from '../core/workbench';\nexport const x = createWorkbench;"],
    ['src-main/export/x.ts', "import { createWorkbench } from '../core/workbench';\nexport const x = createWorkbench;"],
    // A process entry runs on import: nothing imports one, not even from its own folder.
    ['src-main/cli/x.ts', "import { main } from './main';\nexport const x = main;"],
    ['src-main/data/x.ts', "import './batch-worker';\nexport const x = 1;"],
  ])('%s may not import this: %s', async (file, code) => {
    expect(crossings(await ruleIds(file, code))).not.toEqual([]);
  });

  it.each([
    ['src-main/core/x.ts', "import { RunStore } from '../store/runs';\nexport const x = RunStore;"],
    ['src-main/infer/x.ts', "import { planTraining } from '../train/loop';\nexport const x = planTraining;"],
    ['src-main/cli/x.ts', "import { startServer } from '../serve/server';\nexport const x = startServer;"],
    ['src-main/cli/x.ts', "import { parseCommandArgs } from './args';\nexport const x = parseCommandArgs;"],
    ['src-main/electron/x.ts', "import { app } from 'electron';\nexport const x = app;"],
    ['src-renderer/x.ts', "import { TrainConfigSchema } from '../src-main/contract';\nexport const x = TrainConfigSchema;"],
  ])('%s may import this: %s', async (file, code) => {
    expect(crossings(await ruleIds(file, code))).toEqual([]);
  });
});

describe('cycles and dropped promises (fixture files)', () => {
  // The fixtures mirror a src-main folder, so the project's own config applies to them as is.
  const fixtures = new ESLint({ cwd: join(repoRoot, 'test/unit/lint/fixtures'), overrideConfigFile: join(repoRoot, 'eslint.config.js'), ignore: false });
  const lint = async (file: string) => {
    const [result] = await fixtures.lintFiles([join(repoRoot, 'test/unit/lint/fixtures/src-main', file)]);
    return result.messages.map((m) => m.ruleId ?? m.message);
  };

  it('an import cycle fails', async () => {
    expect(await lint('store/cycle-a.ts')).toContain('import-x/no-cycle');
  });

  it('a promise neither awaited nor handled fails', async () => {
    expect(await lint('store/floating.ts')).toEqual(['@typescript-eslint/no-floating-promises']);
  });
});
