import { describe, expect, it, vi } from 'vitest';
import { InvalidOptionsError } from '../errors';
import { replicaLimit, resolveReplicas } from './replicas';

describe('resolveReplicas', () => {
  it('takes a count: every replica takes anything', () => {
    expect(resolveReplicas(undefined)).toEqual({ count: 1, maxRanks: [2] });
    expect(resolveReplicas(3)).toEqual({ count: 3, maxRanks: [2, 2, 2] });
  });

  it('keeps reserved replicas last, the strictest at the end', () => {
    expect(resolveReplicas({ count: 2, reserve: { interactive: 1 } })).toEqual({ count: 2, maxRanks: [2, 1] });
    expect(resolveReplicas({ count: 4, reserve: { realtime: 1, interactive: 1 } })).toEqual({ count: 4, maxRanks: [2, 2, 1, 0] });
    expect(resolveReplicas({ count: 2 })).toEqual({ count: 2, maxRanks: [2, 2] });
  });

  it.each([
    [0, 'replicas'],
    [1.5, 'replicas'],
    [17, 'replicas'],
    ['2', 'replicas'],
    [{ count: 0 }, 'replicas.count'],
    [{ count: 2, reserve: { interactive: 2 } }, 'replicas.reserve.interactive'],
    [{ count: 3, reserve: { interactive: 1, realtime: 2 } }, 'replicas.reserve'],
    [{ count: 3, reserve: { interactive: 2, realtime: 1 } }, 'replicas.reserve'],
    [{ count: 2, reserve: { background: 1 } }, 'replicas.reserve'],
    [{ count: 2, reserve: { interactive: -1 } }, 'replicas.reserve.interactive'],
  ])('rejects %j with INVALID_OPTIONS naming %s', (value, field) => {
    let caught: unknown;
    try {
      resolveReplicas(value as never); // malformed on purpose, as JavaScript may pass
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidOptionsError);
    expect(caught).toMatchObject({ input: field });
  });
});

describe('replicaLimit', () => {
  it('follows the cores, at least 4 and at most 16', () => {
    expect(replicaLimit(2)).toBe(4);
    expect(replicaLimit(8)).toBe(8);
    expect(replicaLimit(64)).toBe(16);
    expect(replicaLimit(undefined)).toBe(16);
    expect(replicaLimit(Number.NaN)).toBe(16);
  });

  it('refuses more replicas than the machine takes, saying why', () => {
    vi.stubGlobal('navigator', { hardwareConcurrency: 2 });
    try {
      expect(replicaLimit()).toBe(4);
      expect(() => resolveReplicas(5)).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS', input: 'replicas' }));
      expect(() => resolveReplicas({ count: 1000 })).toThrow('its 2 cores');
      expect(resolveReplicas(4).count).toBe(4);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
