import { describe, expect, it } from 'vitest';
import { Router } from './router';

describe('Router.end', () => {
  it('counts a batch sent behind another from when that one ended, not from when it was sent', () => {
    const router = new Router(1, 2);
    const [replica] = router.replicas;
    if (replica === undefined) throw new Error('no replica');
    router.begin(replica, 1, 0, 10);
    router.begin(replica, 1, 2, 10); // pipelined: waits in the worker until the first ends
    expect(router.end(replica, 1, 0, 10)).toBe(10);
    expect(router.end(replica, 1, 2, 18)).toBe(8);
    // Alone on an idle replica: from when it was sent.
    router.begin(replica, 1, 30, 10);
    expect(router.end(replica, 1, 30, 41)).toBe(11);
    expect(replica.endedAt).toBe(41);
  });
});
