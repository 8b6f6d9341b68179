import { describe, expect, it, vi } from 'vitest';
import { InvalidOptionsError } from '../errors';
import { DynamicBatcher } from './batcher';
import { checkCallOptions } from './call-options';
import { resolvePolicy } from './policy';

function failure(options: unknown): InvalidOptionsError | undefined {
  try {
    checkCallOptions('m', options);
    return undefined;
  } catch (error) {
    if (error instanceof InvalidOptionsError) return error;
    throw error;
  }
}

describe('checkCallOptions', () => {
  it('accepts what the docs allow', () => {
    for (const ok of [
      undefined,
      {},
      { priority: 'realtime' },
      { timeoutMs: 0 },
      { timeoutMs: 250 },
      { signal: new AbortController().signal },
      { supersedeKey: 'cam' },
    ])
      expect(failure(ok)).toBeUndefined();
  });

  it.each([
    [{ priority: 'urgent' }, 'priority', '"urgent"'],
    [{ timeoutMs: -1 }, 'timeoutMs', '-1'],
    [{ timeoutMs: Number.NaN }, 'timeoutMs', 'NaN'],
    [{ timeoutMs: Number.POSITIVE_INFINITY }, 'timeoutMs', 'Infinity'],
    [{ timeoutMs: '50' }, 'timeoutMs', '"50"'],
    [{ signal: {} }, 'signal', 'Object'],
    [{ signal: { aborted: false } }, 'signal', 'Object'],
    [{ supersedeKey: 5 }, 'supersedeKey', '5'],
    [7, 'options', '7'],
  ])('rejects %j naming `%s`', (options, field, got) => {
    const error = failure(options);
    expect(error?.code).toBe('INVALID_OPTIONS');
    expect(error?.input).toBe(field);
    expect(error?.got).toBe(got);
    expect(error?.message).toContain(`\`${field}\``);
    expect(error?.expected).toBeTruthy();
  });

  it('a bad option is rejected by the batcher before queueing, and counted', async () => {
    const execute = vi.fn(async (payloads: readonly number[]) => payloads.map((p) => p * 2));
    const onReject = vi.fn();
    const batcher = new DynamicBatcher('m', resolvePolicy('image', {}), execute, 1, { onReject });
    await expect(batcher.submit(1, { timeoutMs: -5 })).rejects.toMatchObject({ code: 'INVALID_OPTIONS', input: 'timeoutMs' });
    expect(onReject).toHaveBeenCalledWith('INVALID_OPTIONS');
    expect(execute).not.toHaveBeenCalled();
    await expect(batcher.submit(2)).resolves.toMatchObject({ value: 4 });
  });
});
