import { describe, expect, it } from 'vitest';
import { StoredIds } from './stored-ids';

const hash = (n: number) => n.toString(16).padStart(64, '0').replace(/^0{7}/, n.toString(16).padStart(7, '0'));

describe('StoredIds', () => {
  it('answers "maybe" while scanning, then from what the scan and later writes found', async () => {
    let finish = () => undefined as void;
    const ids = new StoredIds(async (onChunk) => {
      onChunk([hash(1), hash(2)]);
      await new Promise<void>((resolve) => (finish = resolve));
      onChunk([hash(3)]);
    });
    expect(ids.ready).toBe(false);
    expect(ids.mightHold(hash(9))).toBe(true);
    finish();
    await ids.scanned;
    expect(ids.ready).toBe(true);
    expect([1, 2, 3, 9].map((n) => ids.mightHold(hash(n)))).toEqual([true, true, true, false]);
    ids.add(hash(9));
    ids.remove(hash(2));
    expect([2, 9].map((n) => ids.mightHold(hash(n)))).toEqual([false, true]);
    ids.clear();
    expect(ids.size).toBe(0);
    expect(ids.mightHold(hash(1))).toBe(false);
  });

  it('keeps answering "maybe" when the scan fails (every lookup reads IndexedDB, as without it)', async () => {
    const ids = new StoredIds(() => Promise.reject(new Error('no IndexedDB')));
    await ids.scanned;
    expect(ids.ready).toBe(false);
    expect(ids.mightHold(hash(5))).toBe(true);
  });

  it('answers "maybe" for a key it cannot read a prefix from', async () => {
    const ids = new StoredIds(async () => undefined);
    await ids.scanned;
    expect(ids.mightHold('xyz')).toBe(true);
  });
});
