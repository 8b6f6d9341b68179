import { describe, expect, it } from 'vitest';
import { InvalidInputError, InvalidOptionsError, ModelNotFoundError } from '../src/errors';
import type { Engine, EngineResources, LoadRequest, ModelInfo, RunResult, TensorMap } from '../src/protocol';
import { tensor } from '../src/tensor';
import { EngineHost } from './engine-host';

/** An engine that doubles `x`, counting the calls that reach it. */
class DoublingEngine implements Engine {
  runs = 0;
  released: string[] = [];
  async load(request: LoadRequest): Promise<ModelInfo> {
    return {
      modelId: request.modelId,
      format: request.format,
      backend: 'wasm',
      backendReason: 'asked for "wasm"',
      inputs: [{ name: 'x', dtype: 'float32', shape: [null, 4] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: [null, 4] }],
      loadMs: 0,
    };
  }
  async run(_modelId: string, inputs: TensorMap): Promise<RunResult> {
    this.runs += 1;
    const x = inputs.x;
    if (x?.dtype !== 'float32') throw new Error('fake engine got no x');
    return {
      outputs: {
        y: tensor(
          'float32',
          x.dims,
          x.data.map((v) => v * 2),
        ),
      },
      timings: { prepareMs: 0, inferenceMs: 1 },
    };
  }
  async release(modelId: string): Promise<void> {
    this.released.push(modelId);
  }
  async backendOf(): Promise<'wasm'> {
    return 'wasm';
  }
  async engineResources(): Promise<EngineResources> {
    return { sessions: 7 }; // whatever the engine's own bookkeeping says, passed through
  }
}

function setup() {
  const engine = new DoublingEngine();
  const host = new EngineHost(async () => engine);
  const request: LoadRequest = {
    modelId: 'double',
    format: 'onnx',
    // In-memory bytes: a URL source would be downloaded (and checked) by the weights store first.
    source: { kind: 'bytes', bytes: new ArrayBuffer(8) },
    backend: 'wasm',
    rejectNaN: true,
    shapes: {},
  };
  return { engine, host, request };
}

describe('EngineHost', () => {
  it('rejects invalid input before the engine runs, then keeps serving', async () => {
    const { engine, host, request } = setup();
    await host.load(request);
    await expect(host.run('double', { x: tensor('float32', [1, 3], new Float32Array(3)) })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(host.run('double', { z: tensor('float32', [1, 4], new Float32Array(4)) })).rejects.toMatchObject({ code: 'INVALID_INPUT', input: 'z' });
    await expect(host.run('double', { x: tensor('float32', [1, 4], Float32Array.of(1, Number.NaN, 0, 0)) })).rejects.toMatchObject({
      got: 'NaN at flat index 1',
    });
    expect(engine.runs).toBe(0);
    const result = await host.run('double', { x: tensor('float32', [1, 4], Float32Array.of(1, 2, 3, 4)) });
    expect(engine.runs).toBe(1);
    expect([...(result.outputs.y?.data ?? [])]).toEqual([2, 4, 6, 8]);
    expect(result.timings.inferenceMs).toBe(1);
  });

  it('runs a batch the main thread stacked (validated there), giving its inputs back when asked', async () => {
    const { engine, host, request } = setup();
    await host.load(request);
    const x = tensor('float32', [2, 4], Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8));
    const result = await host.runStacked('double', { x }, 'interactive', true);
    expect(engine.runs).toBe(1);
    expect([...(result.outputs.y?.data ?? [])]).toEqual([2, 4, 6, 8, 10, 12, 14, 16]);
    expect(result.inputs?.x).toBe(x); // transferred back with the outputs, for the executor's pool
    const alone = await host.runStacked('double', { x: tensor('float32', [1, 4], new Float32Array(4)) });
    expect(alone.inputs).toBeUndefined();
    await expect(host.runStacked('gone', { x })).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
  });

  it('applies shape overrides to validation, and refuses contradicting ones without keeping the model', async () => {
    const { engine, host, request } = setup();
    const info = await host.load({ ...request, shapes: { x: ['batch', 4] } });
    expect(info.inputs[0]?.shape).toEqual(['batch', 4]);
    await expect(host.load({ ...request, modelId: 'other', shapes: { x: [2] } })).rejects.toBeInstanceOf(InvalidOptionsError);
    expect(engine.released).toEqual(['other']);
    await expect(host.run('other', { x: tensor('float32', [1, 4], new Float32Array(4)) })).rejects.toBeInstanceOf(ModelNotFoundError);
  });

  it('refuses a duplicate id and answers MODEL_NOT_FOUND after release', async () => {
    const { host, request } = setup();
    await host.load(request);
    await expect(host.load(request)).rejects.toMatchObject({ code: 'INVALID_OPTIONS', model: 'double' });
    await host.release('double');
    await expect(host.run('double', { x: tensor('float32', [1, 4], new Float32Array(4)) })).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    await expect(host.backendOf('double')).rejects.toBeInstanceOf(ModelNotFoundError);
  });

  it("reports what it holds: models, and each started engine's own count", async () => {
    const { host, request } = setup();
    expect(await host.resources()).toEqual({ models: 0, tasks: 0, engines: {} });
    await host.load(request);
    expect(await host.resources()).toEqual({ models: 1, tasks: 0, engines: { onnx: { sessions: 7 } } });
    await host.release('double');
    expect((await host.resources()).models).toBe(0);
  });

  it('refuses configure() once an engine exists', async () => {
    const { host, request } = setup();
    await host.configure({ ortWasmPrefix: '/a/', tfjsWasmPrefix: '/b/', ortNumThreads: 1 });
    await host.load(request);
    await expect(host.configure({ ortWasmPrefix: '/a/', tfjsWasmPrefix: '/b/', ortNumThreads: 1 })).rejects.toBeInstanceOf(InvalidOptionsError);
  });
});
