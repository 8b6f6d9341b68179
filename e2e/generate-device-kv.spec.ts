/**
 * The decode batch's KV cache kept where the engine computed it (`kvOnDevice`, the
 * default): on WebGPU, ONNX Runtime Web's GPU buffers fed back step after step; on WASM,
 * its own CPU tensors fed back unconverted. Greedy tokens must equal the round trip
 * through the CPU (`kvOnDevice: false`), the worker must hold the caches while decoding,
 * and nothing may stay behind once the generations end.
 */
import { backends, expect, test } from './fixtures/page';

for (const backend of backends) {
  test(`the decode batch's KV cache stays on the device between steps, with the tokens of the CPU round trip, on ${backend}`, async ({ harness }) => {
    test.slow(backend === 'webgpu', 'SwiftShader WebGPU: seconds per decoder step');
    const result = await harness.evaluate(
      async ({ backend, maxNewTokens }) => {
        const { inspectableWorker, workerResources } = window.harness;
        const workers: Worker[] = [];
        const runtime = window.inpage.createRuntime({
          createWorker: (name) => {
            const worker = inspectableWorker(name);
            workers.push(worker);
            return worker;
          },
        });
        const onDevice = await runtime.textGeneration({ backend });
        const roundTrip = await runtime.textGeneration({ backend, kvOnDevice: false });
        const prompts = ['The page runs models in', 'Once upon a time'];
        const ids = async (generator: typeof onDevice) => Promise.all(prompts.map(async (p) => (await generator.generate(p, { maxNewTokens }).stats).tokenIds));
        const expected = await ids(roundTrip);
        const got = await ids(onDevice);
        const worker = workers[0];
        if (worker === undefined) throw new Error('no worker started');
        // While a batch decodes, the worker holds its caches: 2 per layer (key, value), at least.
        const controller = new AbortController();
        const runs = prompts.map((p) => onDevice.generate(p, { maxNewTokens: 200, signal: controller.signal }));
        for await (const piece of runs[0] ?? []) {
          void piece;
          if ((runs[0]?.steps.length ?? 0) >= 3) break; // a decode step has run: its caches are kept
        }
        const held = (await workerResources(worker)).engines.onnx?.deviceTensors ?? -1;
        controller.abort();
        await Promise.all(runs.map((run) => window.harness.caught(run.stats)));
        // The step in flight when the abort came finishes first; the round after it frees the batch.
        let after = -1;
        for (let polls = 0; polls < 600 && after !== 0; polls++) {
          after = (await workerResources(worker)).engines.onnx?.deviceTensors ?? -1;
          if (after !== 0) await new Promise((resolve) => setTimeout(resolve, 100));
        }
        const out = { expected, got, held, after, layers: onDevice.facts.layers, facts: [onDevice.facts.kvBetweenSteps, roundTrip.facts.kvBetweenSteps] };
        await runtime.dispose();
        return out;
      },
      { backend, maxNewTokens: backend === 'webgpu' ? 3 : 12 },
    );
    expect(result.got).toEqual(result.expected);
    expect(result.got[0]?.length).toBe(backend === 'webgpu' ? 3 : 12);
    expect(result.facts).toEqual([backend === 'webgpu' ? 'gpu-buffer' : 'cpu', 'cpu']);
    expect(result.held).toBeGreaterThanOrEqual(2 * Number(result.layers));
    expect(result.after).toBe(0);
  });
}
