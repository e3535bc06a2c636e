/**
 * One suite of contract behaviour, run over every transport (shared/DESIGN.md: "A test runs the
 * same contract suite over both the in-process and the WebSocket transport"). It only uses the
 * ContractClient, so the same suite runs against the fake host here and against the real Core:
 *
 *   contractSuite('real core over websocket', async () => { ...; return { client, triggerEvent, close } });
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiErrorSchema,
  methods,
  type ApiError,
  type ContractClient,
  type EventMessage,
  type MethodName,
  type Result,
} from '../../../src-main/contract';

export interface ContractHarness {
  client: ContractClient;
  /**
   * Makes the host emit at least one event (the fake host emits one; a real Core might start a short
   * run) and resolves with a test that recognises an event the client must then receive.
   */
  triggerEvent(): Promise<(message: EventMessage) => boolean>;
  close(): Promise<void>;
}

const VALID_RUN = { model: 'resnet18', epochs: 1, batchSize: 8, learningRate: 0.01 };

function expectError(result: Result<unknown>, code: ApiError['code'], field?: string): ApiError {
  expect(result.ok, `expected a ${code} error, got ${JSON.stringify(result)}`).toBe(false);
  const error = ApiErrorSchema.parse((result as { error: unknown }).error);
  expect(error.code).toBe(code);
  if (field !== undefined) expect(error.field).toBe(field);
  expect(error.message.length).toBeGreaterThan(0);
  return error;
}

function expectValid<M extends MethodName>(method: M, result: Result<unknown>): void {
  expect(result.ok, `${method} failed: ${JSON.stringify(result)}`).toBe(true);
  if (result.ok) expect(() => methods[method].response.parse(result.value)).not.toThrow();
}

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Defines `describe(name)` with the contract's behaviour, against a harness made once for it. */
export function contractSuite(name: string, makeHarness: () => Promise<ContractHarness>): void {
  describe(name, () => {
    let harness: ContractHarness;
    const call = (method: string, params: unknown) => harness.client.call(method as MethodName, params as never);

    beforeAll(async () => {
      harness = await makeHarness();
    });
    afterAll(async () => {
      await harness?.close();
    });

    it('answers system.info with a response that matches its schema', async () => {
      expectValid('system.info', await call('system.info', {}));
    });

    it.each(['models.list', 'datasets.list', 'runs.list'] as const)('answers %s with a valid list', async (method) => {
      const result = await call(method, {});
      expectValid(method, result);
      expect(Array.isArray(result.ok && result.value)).toBe(true);
    });

    it('treats omitted params as {} for methods without params', async () => {
      expectValid('runs.list', await call('runs.list', undefined));
    });

    it('rejects runs.start with batchSize 0, naming the field and the value received', async () => {
      const error = expectError(await call('runs.start', { ...VALID_RUN, batchSize: 0 }), 'invalid_request', 'batchSize');
      expect(error.message).toContain('received 0');
    });

    it('rejects runs.start with a field the contract does not know', async () => {
      expectError(await call('runs.start', { ...VALID_RUN, turboMode: 3 }), 'invalid_request', 'turboMode');
    });

    it('rejects runs.start with Nesterov and no momentum, naming the nesterov field (the rule the Train form shows)', async () => {
      const error = expectError(await call('runs.start', { ...VALID_RUN, optimizer: 'sgd', nesterov: true }), 'invalid_request', 'nesterov');
      expect(error.message).toContain('needs a momentum above 0');
    });

    it('rejects runs.start without a model', async () => {
      const { model: _model, ...withoutModel } = VALID_RUN;
      expectError(await call('runs.start', withoutModel), 'invalid_request', 'model');
    });

    it('rejects params that are not an object', async () => {
      expectError(await call('runs.get', 'some-run'), 'invalid_request');
      expectError(await call('runs.get', [1, 2]), 'invalid_request');
    });

    it('answers an unknown method with unknown_method', async () => {
      expectError(await call('runs.delete_everything', {}), 'unknown_method');
      expectError(await call('__proto__', {}), 'unknown_method');
      expectError(await call('toString', {}), 'unknown_method');
    });

    it.each(['../x', '..', 'a/b', 'a\\b', '/etc/passwd', 'Run-1', ''])('rejects the run id %j', async (id) => {
      expectError(await call('runs.get', { id }), 'invalid_request', 'id');
      expectError(await call('runs.stop', { id }), 'invalid_request', 'id');
    });

    it('answers not_found for a well-formed id that names no run', async () => {
      expectError(await call('runs.get', { id: 'no-such-run-0' }), 'not_found');
      expectError(await call('runs.stop', { id: 'no-such-run-0' }), 'not_found');
    });

    it('matches each answer to its own call when calls overlap', async () => {
      const [info, unknown, invalid, list] = await Promise.all([
        call('system.info', {}),
        call('no.such.method', {}),
        call('runs.get', { id: '../x' }),
        call('runs.list', {}),
      ]);
      expectValid('system.info', info);
      expectError(unknown, 'unknown_method');
      expectError(invalid, 'invalid_request', 'id');
      expectValid('runs.list', list);
    });

    it('delivers an event to a subscribed client, and none after it unsubscribes', async () => {
      const received: EventMessage[] = [];
      const unsubscribe = harness.client.on((message) => received.push(message));
      const isExpected = await harness.triggerEvent();
      await until(() => received.some(isExpected), 'the event');
      unsubscribe();

      const countAfter = received.length;
      await harness.triggerEvent();
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(received.length).toBe(countAfter);
    });
  });
}
