import { expose, wrap } from 'comlink';
import { afterEach, describe, expect, it } from 'vitest';
import { BackendUnavailableError, errorForCode, InpageError, InvalidInputError, WorkerCrashedError } from './errors';
import { deserializeError, installErrorTransfer, serializeError } from './wire-errors';

describe('error serialisation', () => {
  it('round-trips an inpage error as the same class with its fields', () => {
    const original = new InvalidInputError('bad', { model: 'vad', input: 'state', expected: '[2, batch, 128]', got: '[3, 1, 128]' });
    const copy = deserializeError(structuredClone(serializeError(original)));
    expect(copy).toBeInstanceOf(InvalidInputError);
    expect(copy).toBeInstanceOf(InpageError);
    expect(copy).toMatchObject({ name: 'InvalidInputError', code: 'INVALID_INPUT', message: 'bad', model: 'vad', input: 'state', got: '[3, 1, 128]' });
  });

  it('keeps plain errors and thrown non-errors recognisable', () => {
    const plain = deserializeError(serializeError(new TypeError('nope')));
    expect(plain).toBeInstanceOf(Error);
    expect(plain).toMatchObject({ name: 'TypeError', message: 'nope' });
    expect(deserializeError(serializeError('a string'))).toBe('a string');
  });

  it('maps every code to its class', () => {
    expect(errorForCode('WORKER_CRASHED', 'x')).toBeInstanceOf(WorkerCrashedError);
    expect(errorForCode('BACKEND_UNAVAILABLE', 'x')).toBeInstanceOf(BackendUnavailableError);
  });
});

describe('comlink throw handler', () => {
  const channels: MessageChannel[] = [];
  afterEach(() => {
    for (const channel of channels.splice(0)) {
      channel.port1.close();
      channel.port2.close();
    }
  });

  it('delivers an error thrown on the far side as an instance of the same class', async () => {
    installErrorTransfer();
    const channel = new MessageChannel();
    channels.push(channel);
    const api = {
      run(): number {
        throw new BackendUnavailableError('no WebGPU here', { model: 'm', backend: 'webgpu', detail: 'requestAdapter() returned no adapter' });
      },
    };
    expose(api, channel.port1);
    const remote = wrap<typeof api>(channel.port2);
    const error: unknown = await remote.run().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect(error).toMatchObject({ code: 'BACKEND_UNAVAILABLE', model: 'm', backend: 'webgpu', detail: 'requestAdapter() returned no adapter' });
  });
});
