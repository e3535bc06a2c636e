/** `cvb models`: the registered networks. */
import type { ModelInfo } from '../contract';
import { defineCommand } from './args';
import { printJson, table, UsageError } from './output';

export const modelsCommand = defineCommand({}, false, async (context) => {
  const workbench = await context.open('cli');
  try {
    const result = await workbench.request('models.list', {});
    if (!result.ok) throw new UsageError(result.error);
    const models = result.value as ModelInfo[];
    if (context.json) {
      printJson(models.map(({ name, family, input, classes, params }) => ({ name, family, input, classes, params })));
    } else {
      process.stdout.write(`${table(['NAME', 'FAMILY', 'INPUT', 'CLASSES', 'PARAMS'], models.map((m) => [m.name, m.family, m.input.join('×'), m.classes, m.params.toLocaleString('en-US')]))}\n`);
    }
    return 0;
  } finally {
    await workbench.close();
  }
});
