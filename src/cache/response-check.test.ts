import { describe, expect, it } from 'vitest';
import { messageOf, ModelLoadError } from '../errors';
import {
  bytesProblem,
  checkResponse,
  expectedFor,
  fetchChecked,
  fetchCheckedJson,
  fetchCheckedText,
  fileKindOf,
  looksLikeHtml,
  parseTfjsModelJson,
  responseProblem,
  type FileCheck,
} from './response-check';

const encode = (text: string): ArrayBuffer => new TextEncoder().encode(text).buffer;
const bytes = (...values: number[]): ArrayBuffer => Uint8Array.from(values).buffer;
const indexHtml = '<!DOCTYPE html>\n<html><head><script type="module" src="/assets/index.js"></script></head><body></body></html>';
const onnx = (url = 'http://app.test/models/vad.onnx'): FileCheck => ({ model: 'vad', url, kind: 'onnx' });

/** A fetch that answers every URL with `body` and `init`. */
function answering(body: BodyInit | null, init: ResponseInit = {}): { fetchImpl: typeof fetch; urls: string[] } {
  const urls: string[] = [];
  const fetchImpl: typeof fetch = async (input) => {
    urls.push(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    return new Response(body, init);
  };
  return { fetchImpl, urls };
}

describe('format sniff', () => {
  it('accepts the first bytes of real ONNX files (ir_version first) and other ModelProto fields', () => {
    // Silero VAD v5, PP-OCR and the generated decoder all start 08 08 (ir_version 8).
    expect(bytesProblem(bytes(0x08, 0x08, 0x12, 0x04, 0x73, 0x70, 0x6f, 0x78), onnx())).toBeUndefined();
    expect(bytesProblem(bytes(0x08, 0x0a, 0x3a, 0x8a), onnx())).toBeUndefined();
    // A writer that leaves ir_version out starts with another field: producer_name, graph, opset_import.
    expect(bytesProblem(bytes(0x12, 0x07, 0x70), onnx())).toBeUndefined();
    expect(bytesProblem(bytes(0x3a, 0x80, 0x01), onnx())).toBeUndefined();
  });

  it('rejects JSON, HTML/XML, an implausible ir_version and an empty file where ONNX is expected', () => {
    expect(bytesProblem(encode('{"a":1}'), onnx())).toMatchObject({
      got: 'starts with 7b 22 61 22 3a 31 7d',
      expected: 'an ONNX model (protobuf ModelProto, first byte 0x08)',
    });
    expect(bytesProblem(encode('<?xml version="1.0"?><Error>NoSuchKey</Error>'), onnx())?.message).toContain('is not an ONNX model (HTML or XML)');
    expect(bytesProblem(bytes(0x08, 0xc8, 0x01), onnx())?.message).toContain('(an ir_version of 200)');
    expect(bytesProblem(bytes(0x01, 0x02), onnx())?.message).toContain('(its first byte is no ModelProto field)');
    expect(bytesProblem(new ArrayBuffer(0), onnx())).toMatchObject({ got: '0 bytes', expected: 'an ONNX model' });
  });

  it('recognises an HTML page after a BOM or white space, in any case, and nothing else', () => {
    expect(looksLikeHtml(new Uint8Array(encode(indexHtml)))).toBe(true);
    expect(looksLikeHtml(Uint8Array.of(0xef, 0xbb, 0xbf, ...new TextEncoder().encode('\n  <HTML lang="en">')))).toBe(true);
    expect(looksLikeHtml(new Uint8Array(encode('<svg></svg>')))).toBe(false);
    expect(looksLikeHtml(new Uint8Array(encode('[["▁the", -3.1]]')))).toBe(false);
  });

  it('rejects an HTML page for every kind, with the single-page-app hint', () => {
    for (const kind of ['onnx', 'tfjs-model-json', 'json', 'text', 'binary'] as const) {
      const problem = bytesProblem(encode(indexHtml), { model: 'm', url: 'http://app.test/f', kind });
      expect(problem, kind).toBeInstanceOf(ModelLoadError);
      expect(problem?.got).toBe('an HTML page');
      expect(problem?.message).toContain(
        "a single-page-app fallback answered for a missing file; serve the model files (inpage/vite plugin or `npx inpage assets`) or set `appType: 'mpa'` in Vite.",
      );
    }
  });

  it('checks JSON and TF.js model.json structure', () => {
    const json: FileCheck = { model: 'embed-1', url: 'http://app.test/vocab.json', kind: 'json', what: 'the USE-lite vocabulary' };
    expect(bytesProblem(encode('[["a", 1]]'), json)).toBeUndefined();
    expect(bytesProblem(encode('version https://git-lfs.github.com/spec/v1'), json)?.message).toMatch(
      /^Model "embed-1": the USE-lite vocabulary at http:\/\/app\.test\/vocab\.json is not JSON \(.+; it starts with "version https:\/\/git-lfs."\); check the URL and the file on the server\.$/,
    );
    const modelJson: FileCheck = { model: 'pose', url: 'http://app.test/m.json', kind: 'tfjs-model-json' };
    const good = { modelTopology: {}, weightsManifest: [{ paths: ['a.bin'], weights: [] }] };
    expect(parseTfjsModelJson(encode(JSON.stringify(good)), modelJson)).toEqual(good);
    expect(() => parseTfjsModelJson(encode('{"weightsManifest":[{"paths":[1],"weights":[]}],"modelTopology":{}}'), modelJson)).toThrow(
      /is not a TF\.js graph model\.json/,
    );
    expect(bytesProblem(encode('[1,2]'), modelJson)).toMatchObject({ got: 'JSON array' });
  });

  it('checks the size when one is expected', () => {
    const check: FileCheck = { ...onnx(), expectedBytes: 4 };
    expect(bytesProblem(bytes(0x08, 0x08, 0x3a, 0x00), check)).toBeUndefined();
    expect(bytesProblem(bytes(0x08, 0x08, 0x3a), check)).toMatchObject({ code: 'INTEGRITY_ERROR', got: '3 bytes', expected: '4 bytes' });
  });

  it('picks a kind from the URL when the caller gives none', () => {
    expect(fileKindOf('http://a.test/m/Model.ONNX?v=2')).toBe('onnx');
    expect(fileKindOf('/models/pose/model.json')).toBe('json');
    expect(fileKindOf('/models/ocr/keys.txt')).toBe('text');
    expect(fileKindOf('/models/pose/group1-shard1of1.bin')).toBe('binary');
  });
});

describe('response checks', () => {
  it('rejects non-OK statuses, naming the URL and the status', () => {
    const problem = responseProblem(new Response('gone', { status: 410, statusText: 'Gone' }), onnx());
    expect(problem).toMatchObject({ code: 'MODEL_LOAD_FAILED', model: 'vad', got: 'HTTP 410', expected: 'HTTP 200' });
    expect(problem?.message).toMatch(/^Model "vad": http:\/\/app\.test\/models\/vad\.onnx could not be loaded: HTTP 410 Gone\. Serve the file/);
  });

  it('rejects text/html (with parameters, any case), whatever the body', () => {
    const response = new Response('whatever', { headers: { 'Content-Type': 'Text/HTML; charset=UTF-8' } });
    expect(responseProblem(response, onnx())).toMatchObject({ got: 'text/html', expected: 'an ONNX model' });
    expect(responseProblem(new Response('x', { headers: { 'Content-Type': 'application/octet-stream' } }), onnx())).toBeUndefined();
  });

  it('rejects an announced Content-Length other than the expected size, unless the body is encoded', () => {
    const check: FileCheck = { ...onnx(), expectedBytes: 10 };
    expect(responseProblem(new Response('x', { headers: { 'Content-Length': '12' } }), check)).toMatchObject({
      code: 'INTEGRITY_ERROR',
      got: '12 bytes',
      expected: '10 bytes',
    });
    expect(responseProblem(new Response('x', { headers: { 'Content-Length': '12', 'Content-Encoding': 'gzip' } }), check)).toBeUndefined();
    expect(responseProblem(new Response('x', { headers: { 'Content-Length': '10' } }), check)).toBeUndefined();
  });

  it('stops the download of a body it refuses before reading', () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      pull: (controller) => controller.enqueue(new Uint8Array(1024)),
      cancel: () => {
        cancelled = true;
      },
    });
    const response = new Response(body, { headers: { 'Content-Type': 'text/html' } });
    expect(() => checkResponse(response, onnx())).toThrow(ModelLoadError);
    expect(cancelled).toBe(true);
  });
});

describe('checked fetches (the engine without the store, the tasks’ auxiliary files)', () => {
  it('returns the bytes of a good file', async () => {
    const { fetchImpl, urls } = answering(bytes(0x08, 0x08, 0x3a, 0x00), { headers: { 'Content-Type': 'application/octet-stream' } });
    expect(new Uint8Array(await fetchChecked(onnx(), fetchImpl))).toEqual(Uint8Array.of(0x08, 0x08, 0x3a, 0x00));
    expect(urls).toEqual(['http://app.test/models/vad.onnx']);
  });

  it('wraps a failed fetch in MODEL_LOAD_FAILED with the URL', async () => {
    const offline: typeof fetch = () => Promise.reject(new TypeError('Failed to fetch'));
    const error = await fetchChecked(onnx(), offline).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MODEL_LOAD_FAILED', detail: 'Failed to fetch' });
    expect(messageOf(error)).toContain('http://app.test/models/vad.onnx could not be loaded: Failed to fetch.');
  });

  it('rejects an SPA fallback for a text file (the OCR character list), naming what the file is', async () => {
    const { fetchImpl } = answering(indexHtml, { headers: { 'Content-Type': 'text/html' } });
    const check = { model: 'ocr-1/rec', url: 'http://app.test/models/ocr/ppocr_keys_v1.txt', what: 'the OCR character list', input: 'keysUrl' };
    const error = await fetchCheckedText(check, fetchImpl).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelLoadError);
    expect(error).toMatchObject({ model: 'ocr-1/rec', input: 'keysUrl', got: 'text/html', expected: 'a text file' });
    expect(messageOf(error)).toBe(
      'Model "ocr-1/rec": the OCR character list at http://app.test/models/ocr/ppocr_keys_v1.txt answered 200 with text/html, not a text file — a single-page-app fallback answered for a missing file; serve the model files (inpage/vite plugin or `npx inpage assets`) or set `appType: \'mpa\'` in Vite.',
    );
  });

  it('rejects an HTML page served as text/plain for a text file, and returns real text', async () => {
    const html = answering(indexHtml, { headers: { 'Content-Type': 'text/plain' } });
    await expect(fetchCheckedText({ model: 'm', url: 'http://app.test/vocab.bpe' }, html.fetchImpl)).rejects.toMatchObject({ got: 'an HTML page' });
    const text = answering('#version: 0.2\nĠ t\n', { headers: { 'Content-Type': 'text/plain' } });
    expect(await fetchCheckedText({ model: 'm', url: 'http://app.test/vocab.bpe' }, text.fetchImpl)).toBe('#version: 0.2\nĠ t\n');
  });

  it('parses JSON files once and rejects what is not JSON', async () => {
    const good = answering('{"!": 0, "\\"": 1}', { headers: { 'Content-Type': 'application/json' } });
    expect(await fetchCheckedJson({ model: 'generate-1', url: 'http://app.test/encoder.json' }, good.fetchImpl)).toEqual({ '!': 0, '"': 1 });
    const bad = answering('{"!": 0,', { headers: { 'Content-Type': 'application/json' } });
    await expect(
      fetchCheckedJson({ model: 'generate-1', url: 'http://app.test/encoder.json', what: 'the BPE vocabulary', input: 'vocabUrl' }, bad.fetchImpl),
    ).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED', input: 'vocabUrl', expected: 'JSON', got: 'starts with "{"!": 0,"' });
    const missing = answering('not found', { status: 404, statusText: 'Not Found' });
    await expect(fetchCheckedJson({ model: 'embed-1', url: 'http://app.test/vocab.json', what: 'the USE-lite vocabulary' }, missing.fetchImpl)).rejects.toThrow(
      /vocab\.json could not be loaded: HTTP 404 Not Found/,
    );
  });
});

describe('expectedFor', () => {
  const source = 'http://app.test/models/pose/model.json';
  it('gives a single value to the source file only', () => {
    expect(expectedFor(123, source, source)).toBe(123);
    expect(expectedFor(123, 'http://app.test/models/pose/shard.bin', source)).toBeUndefined();
    expect(expectedFor(undefined, source, source)).toBeUndefined();
  });
  it('looks a map up by URL, relative path, then file name', () => {
    const map = { 'model.json': 1, 'weights/shard1.bin': 2, 'shard2.bin': 3, 'http://app.test/models/pose/shard3.bin': 4 };
    expect(expectedFor(map, source, source)).toBe(1);
    expect(expectedFor(map, 'http://app.test/models/pose/weights/shard1.bin', source)).toBe(2);
    expect(expectedFor(map, 'http://app.test/models/pose/x/shard2.bin', source)).toBe(3);
    expect(expectedFor(map, 'http://app.test/models/pose/shard3.bin', source)).toBe(4);
    expect(expectedFor(map, 'http://app.test/models/pose/other.bin', source)).toBeUndefined();
  });
});
