/**
 * Every public handle is safe to `JSON.stringify`, spread and log: its references to
 * worker clients, queues and the runtime are not enumerable, and `toJSON()` gives a small
 * plain summary. The worker connection is a stand-in that records every property read,
 * like a comlink proxy (which answers any property, `toJSON` included, with a worker call).
 */
import { describe, expect, it } from 'vitest';
import { MetricsRegistry } from '../metrics/registry';
import { resolveBatchPlan } from '../batching/plan';
import { createModel, type ModelAnswer, type ModelRequest } from '../model';
import { resolveSequence } from '../model-session';
import type { ModelInfo, TaskInfo, TaskKind } from '../protocol';
import type { WorkerClient } from '../worker-client';
import { Replica } from '../replica';
import { EmbeddingTask } from './embeddings';
import { TextGenerator } from './generation';
import type { LoadedTask, TaskLoader } from './loaded-task';
import { OcrTask } from './ocr';
import { PoseTask } from './pose';
import { TaskQueue } from './task-queue';
import { VadTask } from './vad';
import { SentencePieceTokenizer } from './text/sentencepiece';

/** An object on which every property read is recorded (and answered with a function, as comlink does). */
function tripwire(): { readonly target: object; readonly reads: (string | symbol)[] } {
  const reads: (string | symbol)[] = [];
  const target = new Proxy(
    {},
    {
      get(_, property) {
        reads.push(property);
        return () => Promise.reject(new Error(`worker call ${String(property)}`));
      },
      ownKeys() {
        reads.push('ownKeys');
        return [];
      },
    },
  );
  return { target, reads };
}

/** A replica on a stand-in client (never healed here). */
const replicaOn = (client: WorkerClient): Replica =>
  new Replica(
    client,
    () => Promise.reject(new Error('no worker')),
    () => Promise.resolve(),
    { restarted: () => undefined, retried: () => undefined },
  );

const modelInfo: ModelInfo = {
  modelId: 'silero_vad_v5',
  format: 'onnx',
  backend: 'wasm',
  backendReason: 'asked for "wasm"',
  inputs: [{ name: 'input', dtype: 'float32', shape: ['batch', 576] }],
  outputs: [{ name: 'output', dtype: 'float32', shape: [null, 1] }],
  loadMs: 12.5,
};

/** A loaded task whose `call` records that it was called; what a worker call would cost. */
function loadedTask(kind: TaskKind, taskId: string): { task: LoadedTask; calls: number[] } {
  const calls: number[] = [];
  const info: TaskInfo = { taskId, kind, backend: 'wasm', models: [modelInfo], loadMs: 1, facts: { layers: 2 } };
  let disposed = false;
  const task: LoadedTask = {
    info,
    get disposed() {
      return disposed;
    },
    call: () => {
      calls.push(1);
      return Promise.reject(new Error('no worker in this test'));
    },
    reportAs: () => undefined,
    dispose: async () => {
      disposed = true;
    },
  };
  return { task, calls };
}

function queue<P, R>(name: string): TaskQueue<P, R> {
  return new TaskQueue<P, R>(name, 'image', 'wasm', {}, {}, 1, () => Promise.reject(new Error('no engine')), new MetricsRegistry());
}

const sileroInfo: ModelInfo = {
  modelId: 'vad-1',
  format: 'onnx',
  backend: 'wasm',
  backendReason: 'asked for "wasm"',
  inputs: [
    { name: 'input', dtype: 'float32', shape: ['batch', 576] },
    { name: 'state', dtype: 'float32', shape: [2, 'batch', 128] },
    { name: 'sr', dtype: 'int64', shape: [] },
  ],
  outputs: [
    { name: 'output', dtype: 'float32', shape: ['batch', 1] },
    { name: 'stateN', dtype: 'float32', shape: [2, 'batch', 128] },
  ],
  loadMs: 3,
};

/** A VAD task on a stand-in worker client that records every property read. */
function vadTask(id: string): { vad: VadTask; model: ReturnType<typeof createModel>; reads: (string | symbol)[] } {
  const client = tripwire();
  const info = { ...sileroInfo, modelId: id };
  const plan = resolveBatchPlan(id, info.inputs, info.outputs, { batchAxes: { state: 1, stateN: 1, sr: null } });
  const states = resolveSequence(id, { state: [{ input: 'state', output: 'stateN' }] }, plan, info.inputs, info.outputs);
  const model = createModel(info, [replicaOn(client.target as WorkerClient)], queue<ModelRequest, ModelAnswer>(id), plan, () => undefined, false, states);
  return { vad: new VadTask({ model, segmenter: {} }), model, reads: client.reads };
}

/** Own enumerable keys, and what JSON.stringify gives, of a handle. */
function walk(handle: object): { keys: string[]; json: unknown } {
  return { keys: Object.keys(handle), json: JSON.parse(JSON.stringify(handle)) as unknown };
}

describe('JSON-safe handles', () => {
  it('a model gives its summary and never touches its worker client', async () => {
    const client = tripwire();
    // The stand-in is typed as the client it replaces: any property it is asked for is recorded.
    const plan = resolveBatchPlan(modelInfo.modelId, modelInfo.inputs, modelInfo.outputs, {});
    const model = createModel(
      modelInfo,
      [replicaOn(client.target as WorkerClient)],
      queue<ModelRequest, ModelAnswer>('silero_vad_v5'),
      plan,
      () => undefined,
      false,
    );
    const { keys, json } = walk(model);
    expect(json).toEqual({
      id: 'silero_vad_v5',
      format: 'onnx',
      backend: 'wasm',
      backendReason: 'asked for "wasm"',
      disposed: false,
      inputs: modelInfo.inputs,
      outputs: modelInfo.outputs,
      loadMs: 12.5,
    });
    expect(keys).not.toContain('client');
    expect(keys.some((k) => /client|dispose|reject/i.test(k))).toBe(false);
    expect({ ...model }).not.toHaveProperty('client');
    expect(client.reads).toEqual([]);
    model.markDisposed();
    expect(model.toJSON()).toMatchObject({ disposed: true });
    await model.dispose();
  });

  it('pose and OCR handles give their summary, not their replicas, queue or runtime', () => {
    const loader = tripwire();
    const cases = [
      (task: LoadedTask) => new PoseTask([task], queue('pose-1'), loader.target as TaskLoader, 4096 * 4096), // a recording stand-in for the runtime
      (task: LoadedTask) => new OcrTask([task], queue('ocr-2'), loader.target as TaskLoader, 4096 * 4096),
    ] as const;
    const kinds: TaskKind[] = ['pose', 'ocr'];
    cases.forEach((create, i) => {
      const kind = kinds[i] ?? 'pose';
      const { task, calls } = loadedTask(kind, `${kind}-${i + 1}`);
      const handle = create(task);
      const { keys, json } = walk(handle);
      expect(json).toEqual({ kind, name: handle.name, backend: 'wasm', disposed: false, replicas: 1 });
      expect(keys, kind).toEqual([]);
      expect(calls).toEqual([]);
    });
    expect(loader.reads).toEqual([]);
  });

  it('an embedding task gives its summary, not its model, tokenizer, queue or worker', () => {
    const client = tripwire();
    const inputs = [
      { name: 'indices', dtype: 'int32', shape: [null, 2] },
      { name: 'values', dtype: 'int32', shape: [null] },
    ] as const;
    const info: ModelInfo = {
      ...modelInfo,
      modelId: 'embed-3',
      format: 'tfjs-graph',
      inputs,
      outputs: [{ name: 'l2_normalize', dtype: 'float32', shape: [null, 512] }],
    };
    const plan = resolveBatchPlan('embed-3', info.inputs, info.outputs, { ragged: { mode: 'concat', inputs: { indices: { itemColumn: 0 }, values: {} } } });
    const model = createModel(info, [replicaOn(client.target as WorkerClient)], queue<ModelRequest, ModelAnswer>('embed-3'), plan, () => undefined, false);
    const encoder = new EmbeddingTask(model, new SentencePieceTokenizer([['▁a', -1]]));
    const { keys, json } = walk(encoder);
    expect(json).toEqual({ kind: 'embed', name: 'embed-3', backend: 'wasm', disposed: false, replicas: 1 });
    expect(keys).toEqual([]);
    expect(client.reads).toEqual([]);
  });

  it('a VAD task gives its summary, not its model, queue or worker', () => {
    const { vad, reads } = vadTask('vad-4');
    const { keys, json } = walk(vad);
    expect(json).toEqual({ kind: 'vad', name: 'vad-4', backend: 'wasm', disposed: false, replicas: 1 });
    expect(keys).toEqual([]);
    expect(reads).toEqual([]);
  });

  it('a disposed task says so', async () => {
    const { vad, model } = vadTask('vad-1');
    model.markDisposed();
    expect(JSON.parse(JSON.stringify(vad))).toMatchObject({ kind: 'vad', disposed: true });
  });

  it('a VAD stream and a model session give their summary, not their model or state', () => {
    const { vad, reads } = vadTask('vad-1');
    const stream = vad.stream({ onProbability: () => undefined });
    const { keys, json } = walk(stream);
    expect(json).toEqual({ kind: 'vad-stream', task: 'vad-1', timeMs: 0, ended: false });
    expect(keys).toEqual([]);
    const session = walk(vad.model.session());
    expect(session).toEqual({ keys: [], json: { kind: 'session', model: 'vad-1', calls: 0, ended: false, state: ['state'] } });
    expect(reads).toEqual([]);
  });

  it('a text generator gives its summary; its semantic cache stays reachable', () => {
    const { task, calls } = loadedTask('generate', 'generate-1');
    const generator = new TextGenerator(task, new MetricsRegistry(), 'writer');
    const { keys, json } = walk(generator);
    expect(json).toEqual({ kind: 'generate', name: 'writer', backend: 'wasm', disposed: false, replicas: 1 });
    expect(keys).toEqual(['name']);
    expect(generator.semanticCache).toBeUndefined();
    expect(generator.facts).toEqual({ layers: 2 });
    expect(calls).toEqual([]);
  });
});
