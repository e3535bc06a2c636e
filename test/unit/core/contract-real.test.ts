// The contract suite of test/unit/serve, run against the real Core over both transports.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll } from 'vitest';
import { createWorkbench } from '../../../src-main/core/workbench';
import { buildMain, distMain, repoRoot } from '../helpers/build';
import { contractSuite } from '../serve/contract-suite';
import { TRANSPORTS, connect } from '../serve/transports';

beforeAll(() => buildMain());

for (const transport of TRANSPORTS) {
  contractSuite(`real Core over ${transport}`, async () => {
    const workbench = await createWorkbench({
      home: mkdtempSync(join(tmpdir(), 'cvb-contract-')),
      mode: 'test',
      resourcesDir: join(repoRoot, 'resources'),
      workerEntry: join(distMain, 'train-worker.js'),
    });
    const connection = await connect(transport, workbench);
    return {
      client: connection.client,
      async triggerEvent() {
        const started = await connection.client.call('runs.start', { model: 'resnet20', epochs: 1, batchSize: 8, learningRate: 0.01, maxSteps: 1 });
        if (!started.ok) throw new Error(started.error.message);
        return (message) => message.event === 'run.status' && message.data.runId === started.value.id;
      },
      async close() {
        await connection.close();
        await workbench.close();
      },
    };
  });
}
