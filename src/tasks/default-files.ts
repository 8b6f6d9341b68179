/**
 * The built-in tasks' default files and what they must be: size and SHA-256 from inpage's
 * model manifest (`src/model-manifest.json`, shipped as `inpage/model-manifest.json`). The
 * runtime hands these to every task it loads; the worker checks any task file fetched from
 * one of these URLs against them (`INTEGRITY_ERROR` on a mismatch, nothing cached), so a
 * stale or foreign file at a default URL fails loudly instead of running. Files at URLs you
 * pass yourself (`modelUrl`, `vocabUrl` …) are yours and are not checked.
 */
import { tasks } from '../model-manifest.json';
import type { FileExpectation } from '../protocol';

/** Every built-in task file's expectation, by its absolute default URL (`modelUrl(path)`). */
export function defaultFileExpectations(modelUrl: (path: string) => string): Record<string, FileExpectation> {
  const expected: Record<string, FileExpectation> = {};
  for (const task of Object.values(tasks)) for (const file of task.files) expected[modelUrl(file.path)] = { sha256: file.sha256, bytes: file.bytes };
  return expected;
}
