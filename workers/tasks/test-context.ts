/** Cache settings for worker-task unit tests: every cache off. */
import type { WorkerCacheConfig } from '../../src/protocol';

export const testCacheConfig: WorkerCacheConfig = {
  weights: { enabled: false, budgetBytes: 0, verifyOnRead: true, revalidate: false },
  kvPrefix: { enabled: false, blockTokens: 16, memoryBytes: 0, persist: false, budgetBytes: 0 },
};
