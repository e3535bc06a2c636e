// The folder boundaries of shared/DESIGN.md are lint rules: a wrong import arrow fails `npm test`.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint();

async function restrictedImports(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('import boundaries', () => {
  it.each([
    ['src-main/contract/x.ts', "import { RunStore } from '../store/runs';\nexport const x = RunStore;"],
    ['src-main/contract/x.ts', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;"],
    ['src-main/zoo/x.ts', "import { app } from 'electron';\nexport const x = app;"],
    ['src-main/train/x.ts', "import { main } from '../cli/main';\nexport const x = main;"],
    ['src-main/core/x.ts', "import { startServer } from '../serve/server';\nexport const x = startServer;"],
    ['src-main/serve/x.ts', "import { app } from 'electron';\nexport const x = app;"],
    ['src-renderer/x.ts', "import { RunStore } from '../src-main/store/runs';\nexport const x = RunStore;"],
    ['src-renderer/x.ts', "import * as tf from '@tensorflow/tfjs-core';\nexport const x = tf;"],
  ])('%s may not import this: %s', async (file, code) => {
    expect(await restrictedImports(file, code)).not.toEqual([]);
  });

  it.each([
    ['src-main/core/x.ts', "import { RunStore } from '../store/runs';\nexport const x = RunStore;"],
    ['src-main/electron/x.ts', "import { app } from 'electron';\nexport const x = app;"],
    ['src-renderer/x.ts', "import { TrainConfigSchema } from '../src-main/contract';\nexport const x = TrainConfigSchema;"],
  ])('%s may import this: %s', async (file, code) => {
    expect(await restrictedImports(file, code)).toEqual([]);
  });
});
