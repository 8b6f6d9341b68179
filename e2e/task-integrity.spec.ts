/**
 * The built-in tasks check the files at their default URLs against inpage's model manifest
 * (issue 11): a different file there — a valid model of another version, an edited
 * auxiliary file — fails the task's load with INTEGRITY_ERROR naming the URL and both
 * hashes, and nothing is cached; `verifyTaskModels: false` turns the check off, and files at
 * URLs the caller passes are never checked.
 */
import { readFileSync } from 'node:fs';
import { expect, test } from './fixtures/page';

interface ManifestFile {
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
}
const manifest = JSON.parse(readFileSync(new URL('../src/model-manifest.json', import.meta.url), 'utf8')) as {
  tasks: Record<string, { files: ManifestFile[] }>;
}; // the committed manifest, the same file the runtime bundles
const fileOf = (task: string, path: string): ManifestFile => {
  const file = manifest.tasks[task]?.files.find((f) => f.path === path);
  if (file === undefined) throw new Error(`${path} is not in the manifest`);
  return file;
};

test('a different (valid) ONNX file at VAD’s default URL fails with INTEGRITY_ERROR and is not cached; verifyTaskModels: false lets it through', async ({
  harness,
}) => {
  const vad = fileOf('vad', 'silero_vad_v5.onnx');
  // Another real ONNX model, of another size and hash: what a stale or foreign copy looks like.
  const other = readFileSync(new URL('../public/models/ocr/ch_ppocr_mobile_v2.0_cls_infer.onnx', import.meta.url));
  await harness.route('**/models/silero_vad_v5.onnx', (route) => route.fulfill({ status: 200, contentType: 'application/octet-stream', body: other }));
  const result = await harness.evaluate(async () => {
    const caught = window.harness.caught;
    const checked = window.inpage.createRuntime();
    const refused = await caught(checked.vad({ backend: 'wasm' }));
    await checked.dispose();
    const stored = await window.inpage.createRuntime().cache.entries('weights');
    // Unchecked, the wrong model loads, and then cannot take VAD's inputs: the check is what caught it.
    const unchecked = window.inpage.createRuntime({ verifyTaskModels: false, cache: { weights: false } });
    const loaded = await caught(unchecked.vad({ backend: 'wasm' }));
    await unchecked.dispose();
    return { refused, stored: stored.map((entry) => entry.id), loaded };
  });
  // Another file has another size here: refused on its size (announced before the body is read).
  expect(result.refused).toMatchObject({
    code: 'INTEGRITY_ERROR',
    name: 'IntegrityError',
    isOwnClass: true,
    expected: `${vad.bytes} bytes`,
    got: `${other.byteLength} bytes`,
  });
  expect(result.refused?.message).toContain('/models/silero_vad_v5.onnx has');
  expect(result.stored.filter((key) => key.includes('silero_vad_v5'))).toEqual([]);
  expect(result.loaded?.code).not.toBe('INTEGRITY_ERROR');
});

test('an edited weight shard of the sentence encoder at its default URL fails with INTEGRITY_ERROR naming both hashes, and is not cached', async ({
  harness,
}) => {
  const shard = fileOf('embeddings', 'use-lite/fp32/group1-shard7of7');
  // Same size, one byte changed: only the hash can tell.
  const edited = readFileSync(new URL('../public/models/use-lite/fp32/group1-shard7of7', import.meta.url));
  edited[0] = (edited[0] ?? 0) ^ 0xff;
  await harness.route('**/models/use-lite/fp32/group1-shard7of7', (route) =>
    route.fulfill({ status: 200, contentType: 'application/octet-stream', body: edited }),
  );
  const result = await harness.evaluate(async () => {
    const runtime = window.inpage.createRuntime();
    const refused = await window.harness.caught(runtime.embeddings({ backend: 'wasm' }));
    await runtime.dispose();
    const stored = await window.inpage.createRuntime().cache.entries('weights');
    return { refused, stored: stored.map((entry) => entry.id) };
  });
  expect(result.refused).toMatchObject({ code: 'INTEGRITY_ERROR', expected: shard.sha256 });
  expect(result.refused?.message).toContain('group1-shard7of7');
  expect(result.stored.filter((key) => key.includes('group1-shard7of7'))).toEqual([]);
});

test('an edited auxiliary file (the OCR character list) fails with INTEGRITY_ERROR; the same file at a URL of your own loads', async ({ harness }) => {
  const keys = fileOf('ocr', 'ocr/ppocr_keys_v1.txt');
  const original = readFileSync(new URL('../public/models/ocr/ppocr_keys_v1.txt', import.meta.url), 'utf8');
  const edited = original.replace(/^a$/m, 'A');
  expect(edited).not.toBe(original);
  await harness.route('**/models/ocr/ppocr_keys_v1.txt', (route) => route.fulfill({ status: 200, contentType: 'text/plain', body: edited }));
  await harness.route('**/mine/keys.txt', (route) => route.fulfill({ status: 200, contentType: 'text/plain', body: edited }));
  const result = await harness.evaluate(async () => {
    const runtime = window.inpage.createRuntime();
    const refused = await window.harness.caught(runtime.ocr({ backend: 'wasm' }));
    const own = await window.harness.caught(runtime.ocr({ backend: 'wasm', keysUrl: '/mine/keys.txt' }));
    await runtime.dispose();
    return { refused, own };
  });
  expect(result.refused).toMatchObject({ code: 'INTEGRITY_ERROR', input: 'keysUrl', expected: keys.sha256 });
  expect(result.refused?.message).toMatch(
    /the OCR character list at http:\/\/[^ ]+\/models\/ocr\/ppocr_keys_v1\.txt has SHA-256 [0-9a-f]{64}, but [0-9a-f]{64} was expected/,
  );
  expect(result.own).toBeNull();
});
