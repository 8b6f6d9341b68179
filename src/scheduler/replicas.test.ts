import { describe, expect, it } from 'vitest';
import { InvalidOptionsError } from '../errors';
import { resolveReplicas } from './replicas';

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
