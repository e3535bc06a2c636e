import { describe } from 'vitest';
import type { EventMessage } from '../../../src-main/contract';
import { contractSuite } from './contract-suite';
import { createFakeHost } from './fake-host';
import { TRANSPORTS, connect } from './transports';

describe.each(TRANSPORTS)('the contract over the %s transport', (transport) => {
  contractSuite('with the fake host', async () => {
    const host = createFakeHost();
    const connection = await connect(transport, host);
    let step = 0;
    return {
      client: connection.client,
      async triggerEvent() {
        step += 1;
        const event: EventMessage = {
          event: 'run.progress',
          data: {
            runId: 'run-1',
            epoch: 1,
            epochs: 2,
            step,
            stepsPerEpoch: 10,
            totalSteps: 20,
            imagesPerSec: 123.5,
            etaSeconds: null,
            metrics: [{ type: 'step', step, epoch: 1, loss: 0.5, accuracy: 0.75, learningRate: 0.01, imagesPerSec: 123.5, time: 1 }],
          },
        };
        host.emit(event);
        return (message) => JSON.stringify(message) === JSON.stringify(event);
      },
      close: connection.close,
    };
  });
});
