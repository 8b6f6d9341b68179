/**
 * Malformed arguments and options across the public API (issue 15's list): each gets a
 * typed `INVALID_INPUT` / `INVALID_OPTIONS` naming the field, what was expected and what
 * was given, on the main thread before any message to a worker, and the runtime keeps
 * serving afterwards, valid calls queued among the bad ones included. Nothing is accepted
 * silently.
 *
 * Decisions the cases pin: an empty or whitespace-only text is not embeddable (`INVALID_INPUT`
 * `texts`, like `[]`); an empty prompt is `INVALID_INPUT` `prompt`; an empty URL, empty or
 * detached bytes are not a model source; a detached sample or tensor buffer reads as empty
 * and is refused as such. The model loads are few and share workers (every load costs
 * seconds on a shared 2-core machine): the ONNX models in the VAD task's worker, the TF.js
 * ones in the pose task's. OCR is not loaded: `ocr.read` prepares images with the same code
 * as `pose.detect`, whose image cases cover it.
 */
import { expect, test } from './fixtures/page';

test('malformed arguments and options are typed errors naming the field, refused before any worker message; the runtime keeps serving', async ({ harness }) => {
  test.setTimeout(240_000);
  const result = await harness.evaluate(async () => {
    const { createRuntime, tensor } = window.inpage;
    const { caught } = window.harness;
    // Count the messages the page posts to its workers: a refusal posts none.
    let posted = 0;
    const post = Reflect.get(Worker.prototype, 'postMessage') as (this: Worker, ...args: unknown[]) => void;
    Worker.prototype.postMessage = function (this: Worker, ...args: unknown[]) {
      posted += 1;
      Reflect.apply(post, this, args);
    };
    const outcomes: Record<string, { error: Awaited<ReturnType<typeof caught>>; messages: number }> = {};
    /** Run `fn` (sync or async) and record how it failed, and how many worker messages it posted. */
    const refuse = async (name: string, fn: () => unknown): Promise<void> => {
      const before = posted;
      const error = await caught((async () => fn())());
      outcomes[name] = { error, messages: posted - before };
    };

    const runtime = createRuntime();
    const source = '/models/silero_vad_v5.onnx';
    // Every ONNX model in the VAD task's worker, every TF.js one in the pose task's: one engine start each.
    const onnx = 'audio-onnx';
    const base = { format: 'onnx', source, backend: 'wasm', worker: onnx } as const;
    const model = await runtime.load({ ...base, rejectNaN: true, batchAxes: { state: 1, stateN: 1, sr: null } });
    const vad = await runtime.vad({ backend: 'wasm' });
    const generator = await runtime.textGeneration({ backend: 'wasm', worker: onnx, modelUrl: '/models/decoder-gqa/decoder.onnx' });
    const pose = await runtime.pose({ backend: 'wasm' });
    const encoder = await runtime.embeddings({ backend: 'wasm', variant: 'uint8', worker: 'image-tfjs:wasm' });

    const frame = () => ({
      input: tensor('float32', [1, 576], new Float32Array(576)),
      state: tensor('float32', [2, 1, 128], new Float32Array(256)),
      sr: tensor('int64', [], BigInt64Array.of(16000n)),
    });
    const clip = () => ({ samples: new Float32Array(16000), sampleRate: 16000 });
    /** `view` with its buffer transferred away (detached: it reads as empty). */
    const detached = <T extends ArrayBufferView>(view: T): T => {
      structuredClone(view.buffer, { transfer: [view.buffer as ArrayBuffer] });
      return view;
    };
    const bitmap = await createImageBitmap(new ImageData(8, 8));
    bitmap.close();
    // A PNG whose header claims 20000×20000 pixels, with a junk body: refused from its header.
    const bomb = new Uint8Array(4096);
    bomb.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
    new DataView(bomb.buffer).setUint32(16, 20000);
    new DataView(bomb.buffer).setUint32(20, 20000);

    // ── createRuntime ──
    await refuse('createRuntime: assetBaseUrl malformed', () => createRuntime({ assetBaseUrl: 'http://[' }));
    await refuse('createRuntime: modelBaseUrl malformed', () => createRuntime({ modelBaseUrl: 'http://[' }));
    await refuse('createRuntime: cache "off"', () => createRuntime({ cache: 'off' as never }));
    await refuse('createRuntime: cache.tokens (no such cache)', () => createRuntime({ cache: { tokens: false } as never }));
    await refuse('createRuntime: cache.kvPrefix.blockTokens 0', () => createRuntime({ cache: { kvPrefix: { blockTokens: 0 } } }));
    await refuse('createRuntime: cache.embeddings.memoryEntries -1', () => createRuntime({ cache: { embeddings: { memoryEntries: -1 } } }));
    await refuse('createRuntime: ortNumThreads -1', () => createRuntime({ ortNumThreads: -1 }));
    await refuse('createRuntime: ortNumThreads 1.5', () => createRuntime({ ortNumThreads: 1.5 }));
    await refuse('createRuntime: allowSoftwareWebGpu "yes"', () => createRuntime({ allowSoftwareWebGpu: 'yes' as never }));
    await refuse('createRuntime: verifyTaskModels 0', () => createRuntime({ verifyTaskModels: 0 as never }));
    await refuse('createRuntime: createWorker a URL string', () => createRuntime({ createWorker: '/worker.js' as never }));
    await refuse('createRuntime: workerWatchdogMs NaN', () => createRuntime({ workerWatchdogMs: Number.NaN }));
    await refuse('createRuntime: workerWatchdogMs -1', () => createRuntime({ workerWatchdogMs: -1 }));
    await refuse('createRuntime: models an array', () => createRuntime({ models: [] as never }));
    await refuse('createRuntime: models.vad null', () => createRuntime({ models: { vad: null as never } }));
    await refuse('createRuntime: models.vad source 42', () => createRuntime({ models: { vad: { format: 'onnx', source: 42 as never } } }));
    await refuse('createRuntime: models.vad batching.maxBatch (a typo)', () =>
      createRuntime({ models: { vad: { format: 'onnx', source, batching: { maxBatch: 4 } as never } } }),
    );
    await refuse('createRuntime: cache.weights "yes"', () => createRuntime({ cache: { weights: 'yes' as never } }));
    await refuse('createRuntime: cache.embeddings.memoryEntrys (a typo)', () => createRuntime({ cache: { embeddings: { memoryEntrys: 5 } as never } }));
    await refuse('createRuntime: metrics.slotMs 0', () => createRuntime({ metrics: { slotMs: 0 } }));
    await refuse('createRuntime: metrics.userTiming "yes"', () => createRuntime({ metrics: { userTiming: 'yes' as never } }));
    await refuse('metrics.subscribe: intervalMs 0', () => runtime.metrics.subscribe(() => undefined, 0));
    await refuse('metrics.subscribe: listener a string', () => runtime.metrics.subscribe('console.log' as never));

    // ── runtime.load ──
    await refuse('load: null', () => runtime.load(null as never));
    await refuse('load: no format', () => runtime.load({ source } as never));
    await refuse('load: no source', () => runtime.load({ format: 'onnx' } as never));
    await refuse('load: malformed URL', () => runtime.load({ ...base, source: 'http://[' }));
    await refuse('load: source ""', () => runtime.load({ ...base, source: '' }));
    await refuse('load: source 42', () => runtime.load({ ...base, source: 42 as never }));
    await refuse('load: source a Blob', () => runtime.load({ ...base, source: new Blob([new Uint8Array(8)]) as never }));
    await refuse('load: source 0 bytes', () => runtime.load({ ...base, source: new Uint8Array(0) }));
    await refuse('load: source a detached ArrayBuffer', () => {
      const bytes = new ArrayBuffer(16);
      structuredClone(bytes, { transfer: [bytes] });
      return runtime.load({ ...base, source: bytes });
    });
    await refuse('load: id 42', () => runtime.load({ ...base, id: 42 as never }));
    await refuse('load: worker ""', () => runtime.load({ ...base, worker: '' }));
    await refuse('load: rejectNaN "yes"', () => runtime.load({ ...base, rejectNaN: 'yes' as never }));
    await refuse('load: shapes "batch"', () => runtime.load({ ...base, shapes: 'batch' as never }));
    await refuse('load: shapes.input [-1, 576]', () => runtime.load({ ...base, shapes: { input: [-1, 576] } }));
    await refuse('load: batchAxes.state -1', () => runtime.load({ ...base, batchAxes: { state: -1 } }));
    await refuse('load: batchAxes.state 1.5', () => runtime.load({ ...base, batchAxes: { state: 1.5 } }));
    // Which tensors a model has is known only once its graph is: this one reaches the worker.
    await refuse('load: batchAxes names no tensor (checked against the graph)', () => runtime.load({ ...base, batchAxes: { audio: 0 } }));
    await refuse('load: ragged.mode "zip"', () => runtime.load({ ...base, ragged: { mode: 'zip' } as never }));
    await refuse('load: batching "fast"', () => runtime.load({ ...base, batching: 'fast' as never }));
    await refuse('load: batching.maxQueueDelayMs -1', () => runtime.load({ ...base, batching: { maxQueueDelayMs: -1 } }));
    await refuse('load: batching.preferredBatchSizes 4 (not a list)', () => runtime.load({ ...base, batching: { preferredBatchSizes: 4 as never } }));
    await refuse('load: replicas 0', () => runtime.load({ ...base, replicas: 0 }));
    await refuse('load: replicas "two"', () => runtime.load({ ...base, replicas: 'two' as never }));
    await refuse('load: replicas.reserve.background 1', () => runtime.load({ ...base, replicas: { count: 2, reserve: { background: 1 } as never } }));
    await refuse('load: modality "video"', () => runtime.load({ ...base, modality: 'video' as never }));
    await refuse('load: sha256 "abc"', () => runtime.load({ ...base, sha256: 'abc' }));
    await refuse('load: expectedBytes -1', () => runtime.load({ ...base, expectedBytes: -1 }));
    await refuse('load: onProgress "log"', () => runtime.load({ ...base, onProgress: 'log' as never }));
    await refuse('load: probe.fill.sr NaN', () => runtime.load({ ...base, probe: { fill: { sr: Number.NaN } } }));
    await refuse('load: sequence.state []', () => runtime.load({ ...base, sequence: { state: [] } }));
    await refuse('load: idleUnloadMs (repository models only)', () => runtime.load({ ...base, idleUnloadMs: 1000 }));

    // ── runtime.register / runtime.model ──
    runtime.register('repo-vad', base); // nothing loads until its first use
    await refuse('register: empty name', () => runtime.register('', base));
    await refuse('register: a name already registered', () => runtime.register('repo-vad', base));
    await refuse('register: descriptor null', () => runtime.register('x', null as never));
    await refuse('register: id other than the name', () => runtime.register('x', { ...base, id: 'y' }));
    await refuse('register: idleUnloadMs -1', () => runtime.register('x', { ...base, idleUnloadMs: -1 }));
    await refuse('register: source 0 bytes', () => runtime.register('x', { ...base, source: new ArrayBuffer(0) }));
    await refuse('model: a name never registered', () => runtime.model('nope'));
    await refuse('repository run: options null (nothing loads)', () => runtime.model('repo-vad').run(frame(), null as never));

    // ── model.run / runDetailed / session / reconfigure ──
    await refuse('run: priority "urgent"', () => model.run(frame(), { priority: 'urgent' as never }));
    await refuse('run: timeoutMs -1', () => model.run(frame(), { timeoutMs: -1 }));
    await refuse('run: timeoutMs NaN', () => model.run(frame(), { timeoutMs: Number.NaN }));
    await refuse('run: signal {}', () => model.run(frame(), { signal: {} as never }));
    await refuse('run: supersedeKey 5', () => model.run(frame(), { supersedeKey: 5 as never }));
    await refuse('run: input a number, not a tensor', () => model.run({ ...frame(), input: 42 as never }));
    await refuse('run: state dtype "float64"', () =>
      model.run({ ...frame(), state: { dtype: 'float64', dims: [2, 1, 128], data: new Float32Array(256) } as never }),
    );
    await refuse('run: input dims [1, -576]', () => model.run({ ...frame(), input: { dtype: 'float32', dims: [1, -576], data: new Float32Array(576) } }));
    await refuse('run: input data a plain array', () =>
      model.run({ ...frame(), input: { dtype: 'float32', dims: [1, 576], data: new Array<number>(576).fill(0) } as never }),
    );
    await refuse('run: input data detached (transferred away)', () => {
      const input = tensor('float32', [1, 576], new Float32Array(576));
      detached(input.data);
      return model.run({ ...frame(), input });
    });
    await refuse('run: NaN in state (rejectNaN)', () =>
      model.run({ ...frame(), state: tensor('float32', [2, 1, 128], new Float32Array(256).fill(Number.NaN)) }),
    );
    await refuse('run: state missing', () => {
      const { input, sr } = frame();
      return model.run({ input, sr });
    });
    await refuse('run: an output given as an input', () => model.run({ ...frame(), stateN: tensor('float32', [2, 1, 128], new Float32Array(256)) }));
    await refuse('runDetailed: inputs an array', () => model.runDetailed([frame()] as never));
    await refuse('runDetailed: timeoutMs Infinity', () => model.runDetailed(frame(), { timeoutMs: Number.POSITIVE_INFINITY }));
    await refuse('session: a model without a sequence config', () => model.session());
    await refuse('reconfigure: maxBatchSize 0', () => model.reconfigure({ maxBatchSize: 0 }));
    await refuse('reconfigure: null', () => model.reconfigure(null as never));
    await refuse('reconfigure: maxBatch (a typo)', () => model.reconfigure({ maxBatch: 4 } as never));
    await refuse('reconfigure: preferredBatchSizes above maxBatchSize', () => model.reconfigure({ preferredBatchSizes: [64] }));
    // The VAD task's model carries its recurrent state in sessions.
    const stateful = vad.model;
    await refuse('session: options null', () => stateful.session(null as never));
    await refuse('session: initial names no state input', () => stateful.session({ initial: { input: tensor('float32', [1, 576], new Float32Array(576)) } }));
    await refuse('session: initial.state of the wrong shape', () =>
      stateful.session({ initial: { state: tensor('float32', [2, 2, 128], new Float32Array(512)) } }),
    );
    await refuse('session: call.priority "urgent"', () => stateful.session({ call: { priority: 'urgent' as never } }));
    const session = stateful.session();
    await refuse('session.run: the state given', () => session.run(frame()));
    session.end();
    await refuse('session.run: after end()', () => session.run({ input: frame().input, sr: frame().sr }));

    // ── VAD ──
    await refuse('vad.detect: NaN samples', () => vad.detect({ samples: new Float32Array(16000).fill(Number.NaN), sampleRate: 16000 }));
    await refuse('vad.detect: Infinity samples', () => vad.detect({ samples: new Float32Array(16000).fill(Number.POSITIVE_INFINITY), sampleRate: 16000 }));
    await refuse('vad.detect: sampleRate 0', () => vad.detect({ samples: new Float32Array(16000), sampleRate: 0 }));
    await refuse('vad.detect: sampleRate NaN', () => vad.detect({ samples: new Float32Array(16000), sampleRate: Number.NaN }));
    await refuse('vad.detect: sampleRate "16000"', () => vad.detect({ samples: new Float32Array(16000), sampleRate: '16000' as never }));
    await refuse('vad.detect: samples a plain array', () => vad.detect({ samples: [0, 0, 0] as never, sampleRate: 16000 }));
    await refuse('vad.detect: samples detached (transferred away)', () => vad.detect({ samples: detached(new Float32Array(16000)), sampleRate: 16000 }));
    await refuse('vad.detect: an empty Blob', () => vad.detect(new Blob([], { type: 'audio/wav' })));
    await refuse('vad.detect: a number', () => vad.detect(42 as never));
    await refuse('vad.detect: options null', () => vad.detect(clip(), null as never));
    await refuse('vad.detect: positiveThreshold 2', () => vad.detect(clip(), { positiveThreshold: 2 }));
    await refuse('vad.detect: negativeThreshold above positiveThreshold', () => vad.detect(clip(), { positiveThreshold: 0.3, negativeThreshold: 0.6 }));
    await refuse('vad.detect: redemptionMs -1', () => vad.detect(clip(), { redemptionMs: -1 }));
    await refuse('vad.detect: an already-aborted signal', () => vad.detect(clip(), { signal: AbortSignal.abort() }));
    await refuse('vad.detect: priority "urgent"', () => vad.detect(clip(), { priority: 'urgent' as never }));
    const stream = vad.stream();
    await refuse('vad.stream: NaN chunk', () => stream.push(new Float32Array(512).fill(Number.NaN)));
    await refuse('vad.stream: push a Float64Array', () => stream.push(new Float64Array(512) as never));
    await refuse('vad.stream: push with signal {}', () => stream.push(new Float32Array(512), { signal: {} as never }));
    await stream.end();
    await refuse('vad.stream: push after end()', () => stream.push(new Float32Array(512)));
    await refuse('vad.stream: options null', () => vad.stream(null as never));
    await refuse('vad.stream: call.timeoutMs -1', () => vad.stream({ call: { timeoutMs: -1 } }));
    await refuse('vad.stream: onProbability "log"', () => vad.stream({ onProbability: 'log' as never }));
    await refuse('vad.reconfigure: maxQueueDelayMs -1', () => vad.reconfigure({ maxQueueDelayMs: -1 }));
    await refuse('runtime.vad: options "fast"', () => runtime.vad('fast' as never));
    await refuse('runtime.vad: minSpeechMs NaN', () => runtime.vad({ backend: 'wasm', minSpeechMs: Number.NaN }));
    await refuse('runtime.vad: modelUrl malformed', () => runtime.vad({ backend: 'wasm', modelUrl: 'http://[' }));
    await refuse('runtime.vad: name 42', () => runtime.vad({ backend: 'wasm', name: 42 as never }));
    await refuse('runtime.vad: backend "gpu"', () => runtime.vad({ backend: 'gpu' as never }));
    await refuse('runtime.vad: replicas 0', () => runtime.vad({ backend: 'wasm', replicas: 0 }));

    // ── Pose (and OCR's options) ──
    await refuse('pose.detect: closed ImageBitmap', () => pose.detect(bitmap));
    await refuse('pose.detect: PNG header claims 20000×20000', () => pose.detect(new Blob([bomb], { type: 'image/png' })));
    await refuse('pose.detect: a number', () => pose.detect(42 as never));
    await refuse('pose.detect: a plain object', () => pose.detect({ width: 8, height: 8, data: [] } as never));
    await refuse('pose.detect: an empty Blob', () => pose.detect(new Blob([], { type: 'image/png' })));
    await refuse('pose.detect: a <video> element', () => pose.detect(document.createElement('video') as never));
    await refuse('pose.detect: an <img> without a source', () => pose.detect(new Image()));
    await refuse('pose.detect: URL ""', () => pose.detect(''));
    await refuse('pose.detect: URL "http://["', () => pose.detect('http://['));
    await refuse('pose.detect: options null', () => pose.detect(new ImageData(8, 8), null as never));
    await refuse('pose.detect: signal {}', () => pose.detect(new ImageData(8, 8), { signal: {} as never }));
    await refuse('pose.reconfigure: maxBatchSize 4 (one image per call)', () => pose.reconfigure({ maxBatchSize: 4 }));
    await refuse('runtime.ocr: maxImagePixels -1', () => runtime.ocr({ backend: 'wasm', maxImagePixels: -1 }));
    await refuse('runtime.ocr: boxThreshold 2', () => runtime.ocr({ backend: 'wasm', boxThreshold: 2 }));
    await refuse('runtime.ocr: maxSideLength NaN', () => runtime.ocr({ backend: 'wasm', maxSideLength: Number.NaN }));

    // ── Embeddings ──
    await refuse('embed: a number', () => encoder.embed(42 as never));
    await refuse('embed: []', () => encoder.embed([]));
    await refuse('embed: a number among strings', () => encoder.embed(['fine', 7 as never]));
    await refuse('embed: ""', () => encoder.embed(''));
    await refuse('embed: whitespace only', () => encoder.embed(['fine', ' \n\t']));
    await refuse('embed: priority "urgent"', () => encoder.embed('fine', { priority: 'urgent' as never }));
    await refuse('embedDetailed: options null', () => encoder.embedDetailed('fine', null as never));
    await refuse('runtime.embeddings: variant "int4"', () => runtime.embeddings({ backend: 'wasm', variant: 'int4' as never }));
    await refuse('runtime.embeddings: modelUrl malformed', () => runtime.embeddings({ backend: 'wasm', modelUrl: 'http://[' }));
    await refuse('runtime.embeddings: vocabUrl malformed', () => runtime.embeddings({ backend: 'wasm', vocabUrl: 'http://[' }));
    await refuse('runtime.embeddings: cache "yes"', () => runtime.embeddings({ backend: 'wasm', cache: 'yes' as never }));
    await refuse('runtime.embeddings: name ""', () => runtime.embeddings({ backend: 'wasm', name: '' }));

    // ── Text generation ──
    await refuse('generate: prompt 42', () => generator.generate(42 as never));
    await refuse('generate: prompt ""', () => generator.generate(''));
    await refuse('generate: maxNewTokens -1', () => generator.generate('Hello', { maxNewTokens: -1 }));
    await refuse('generate: maxNewTokens NaN', () => generator.generate('Hello', { maxNewTokens: Number.NaN }));
    await refuse('generate: temperature -0.5', () => generator.generate('Hello', { temperature: -0.5 }));
    await refuse('generate: topK 2.5', () => generator.generate('Hello', { topK: 2.5 }));
    await refuse('generate: seed "x"', () => generator.generate('Hello', { seed: 'x' as never }));
    await refuse('generate: useKvCache "yes"', () => generator.generate('Hello', { useKvCache: 'yes' as never }));
    await refuse('generate: options null', () => generator.generate('Hello', null as never));
    await refuse('generate: signal {}', () => generator.generate('Hello', { signal: {} as never }));
    await refuse('generate: priority "urgent"', () => generator.generate('Hello', { priority: 'urgent' as never }));
    await refuse('runtime.textGeneration: options null', () => runtime.textGeneration(null as never));
    await refuse('runtime.textGeneration: modelUrl "http://["', () => runtime.textGeneration({ backend: 'wasm', worker: onnx, modelUrl: 'http://[' }));
    await refuse('createRuntime: options null', () => createRuntime(null as never));
    await refuse('createRuntime: options "x"', () => createRuntime('x' as never));
    await refuse('model.run: options null', () => model.run(frame(), null as never));
    await refuse('model.run: transfer "no"', () => model.run(frame(), { transfer: 'no' as never }));
    await refuse('runtime.pose: options null', () => runtime.pose(null as never));
    await refuse('runtime.pose: maxImagePixels -1', () => runtime.pose({ backend: 'wasm', maxImagePixels: -1 }));
    await refuse('runtime.pose: modelUrl "http://["', () => runtime.pose({ backend: 'wasm', modelUrl: 'http://[' }));
    await refuse('runtime.ocr: options null', () => runtime.ocr(null as never));
    await refuse('runtime.ocr: detUrl "http://["', () => runtime.ocr({ backend: 'wasm', detUrl: 'http://[' }));
    const detachedPixels = new ImageData(8, 8);
    structuredClone(detachedPixels.data.buffer, { transfer: [detachedPixels.data.buffer] });
    await refuse('pose.detect: a detached ImageData', () => pose.detect(detachedPixels));
    const openBitmap = await createImageBitmap(new ImageData(8, 8));
    await refuse('pose.detect: priority "urgent" (the bitmap stays open)', () => pose.detect(openBitmap, { priority: 'urgent' as never }));
    const bitmapLeftOpen = openBitmap.width === 8;
    openBitmap.close();
    await refuse('runtime.textGeneration: semanticCache without embed', () =>
      runtime.textGeneration({ backend: 'wasm', worker: onnx, semanticCache: { threshold: 0.9 } as never }),
    );
    await refuse('runtime.textGeneration: semanticCache.threshold 2', () =>
      runtime.textGeneration({ backend: 'wasm', worker: onnx, semanticCache: { embed: () => Promise.resolve(new Float32Array(512)), threshold: 2 } }),
    );

    // The VAD task's refusals, as its model's error counts show them (none reached its queue).
    const vadErrors = runtime.metrics.snapshot().models.find((m) => m.name === vad.name)?.errors;

    // Still serving, and nothing queued is lost: valid calls queued with bad ones among them are all answered.
    const queued = Promise.all([
      model.run(frame()),
      model.runDetailed(frame()),
      vad.detect(clip()),
      pose.detect(new ImageData(8, 8)),
      encoder.embed(['still serving']),
      generator.generate('Hello', { maxNewTokens: 2 }).stats,
    ]);
    const interleaved = await Promise.all([
      caught(model.run({ ...frame(), input: 42 as never })),
      caught(vad.detect(clip(), { priority: 'urgent' as never })),
      caught(pose.detect(42 as never)),
      caught(encoder.embed([])),
    ]);
    const [run, detailed, detection, keypoints, vectors, stats] = await queued;
    const served = {
      run: run.output?.dims,
      runDetailed: detailed.outputs.output?.dims,
      vadFrames: detection.probabilities.length,
      keypoints: keypoints.keypoints.length,
      embedding: vectors[0]?.length,
      tokens: stats.generatedTokens,
    };

    // After dispose: DISPOSED, still without a worker message.
    await runtime.dispose();
    await refuse('after dispose: runtime.load', () => runtime.load(base));
    await refuse('after dispose: runtime.model', () => runtime.model('repo-vad'));
    await refuse('after dispose: model.run', () => model.run(frame()));
    await refuse('after dispose: vad.detect', () => vad.detect(clip()));

    Worker.prototype.postMessage = post;
    return { outcomes, vadErrors, served, bitmapLeftOpen, interleaved: interleaved.map((e) => `${e?.code ?? 'accepted'} ${e?.input ?? ''}`) };
  });

  const expected: Record<string, [code: string, field: string]> = {
    'createRuntime: assetBaseUrl malformed': ['INVALID_OPTIONS', 'assetBaseUrl'],
    'createRuntime: modelBaseUrl malformed': ['INVALID_OPTIONS', 'modelBaseUrl'],
    'createRuntime: cache "off"': ['INVALID_OPTIONS', 'cache'],
    'createRuntime: cache.tokens (no such cache)': ['INVALID_OPTIONS', 'cache.tokens'],
    'createRuntime: cache.kvPrefix.blockTokens 0': ['INVALID_OPTIONS', 'cache.kvPrefix.blockTokens'],
    'createRuntime: cache.embeddings.memoryEntries -1': ['INVALID_OPTIONS', 'cache.embeddings.memoryEntries'],
    'createRuntime: ortNumThreads -1': ['INVALID_OPTIONS', 'ortNumThreads'],
    'createRuntime: ortNumThreads 1.5': ['INVALID_OPTIONS', 'ortNumThreads'],
    'createRuntime: allowSoftwareWebGpu "yes"': ['INVALID_OPTIONS', 'allowSoftwareWebGpu'],
    'createRuntime: verifyTaskModels 0': ['INVALID_OPTIONS', 'verifyTaskModels'],
    'createRuntime: createWorker a URL string': ['INVALID_OPTIONS', 'createWorker'],
    'createRuntime: workerWatchdogMs NaN': ['INVALID_OPTIONS', 'workerWatchdogMs'],
    'createRuntime: workerWatchdogMs -1': ['INVALID_OPTIONS', 'workerWatchdogMs'],
    'createRuntime: models an array': ['INVALID_OPTIONS', 'models'],
    'createRuntime: models.vad null': ['INVALID_OPTIONS', 'models.vad.descriptor'],
    'createRuntime: models.vad source 42': ['INVALID_OPTIONS', 'models.vad.source'],
    'createRuntime: models.vad batching.maxBatch (a typo)': ['INVALID_OPTIONS', 'models.vad.maxBatch'],
    'createRuntime: cache.weights "yes"': ['INVALID_OPTIONS', 'cache.weights'],
    'createRuntime: cache.embeddings.memoryEntrys (a typo)': ['INVALID_OPTIONS', 'cache.embeddings.memoryEntrys'],
    'createRuntime: metrics.slotMs 0': ['INVALID_OPTIONS', 'metrics.slotMs'],
    'createRuntime: metrics.userTiming "yes"': ['INVALID_OPTIONS', 'metrics.userTiming'],
    'metrics.subscribe: intervalMs 0': ['INVALID_OPTIONS', 'intervalMs'],
    'metrics.subscribe: listener a string': ['INVALID_OPTIONS', 'listener'],

    'load: null': ['INVALID_OPTIONS', 'descriptor'],
    'load: no format': ['INVALID_OPTIONS', 'format'],
    'load: no source': ['INVALID_OPTIONS', 'source'],
    'load: malformed URL': ['INVALID_OPTIONS', 'source'],
    'load: source ""': ['INVALID_OPTIONS', 'source'],
    'load: source 42': ['INVALID_OPTIONS', 'source'],
    'load: source a Blob': ['INVALID_OPTIONS', 'source'],
    'load: source 0 bytes': ['INVALID_OPTIONS', 'source'],
    'load: source a detached ArrayBuffer': ['INVALID_OPTIONS', 'source'],
    'load: id 42': ['INVALID_OPTIONS', 'id'],
    'load: worker ""': ['INVALID_OPTIONS', 'worker'],
    'load: rejectNaN "yes"': ['INVALID_OPTIONS', 'rejectNaN'],
    'load: shapes "batch"': ['INVALID_OPTIONS', 'shapes'],
    'load: shapes.input [-1, 576]': ['INVALID_OPTIONS', 'input'],
    'load: batchAxes.state -1': ['INVALID_OPTIONS', 'batchAxes.state'],
    'load: batchAxes.state 1.5': ['INVALID_OPTIONS', 'batchAxes.state'],
    'load: batchAxes names no tensor (checked against the graph)': ['INVALID_OPTIONS', 'batchAxes.audio'],
    'load: ragged.mode "zip"': ['INVALID_OPTIONS', 'ragged.mode'],
    'load: batching "fast"': ['INVALID_OPTIONS', 'batching'],
    'load: batching.maxQueueDelayMs -1': ['INVALID_OPTIONS', 'maxQueueDelayMs'],
    'load: batching.preferredBatchSizes 4 (not a list)': ['INVALID_OPTIONS', 'preferredBatchSizes'],
    'load: replicas 0': ['INVALID_OPTIONS', 'replicas'],
    'load: replicas "two"': ['INVALID_OPTIONS', 'replicas'],
    'load: replicas.reserve.background 1': ['INVALID_OPTIONS', 'replicas.reserve'],
    'load: modality "video"': ['INVALID_OPTIONS', 'modality'],
    'load: sha256 "abc"': ['INVALID_OPTIONS', 'sha256'],
    'load: expectedBytes -1': ['INVALID_OPTIONS', 'expectedBytes'],
    'load: onProgress "log"': ['INVALID_OPTIONS', 'onProgress'],
    'load: probe.fill.sr NaN': ['INVALID_OPTIONS', 'probe.fill.sr'],
    'load: sequence.state []': ['INVALID_OPTIONS', 'sequence.state'],
    'load: idleUnloadMs (repository models only)': ['INVALID_OPTIONS', 'idleUnloadMs'],

    'register: empty name': ['INVALID_OPTIONS', 'models'],
    'register: a name already registered': ['INVALID_OPTIONS', 'models.repo-vad'],
    'register: descriptor null': ['INVALID_OPTIONS', 'models.x.descriptor'],
    'register: id other than the name': ['INVALID_OPTIONS', 'models.x.id'],
    'register: idleUnloadMs -1': ['INVALID_OPTIONS', 'models.x.idleUnloadMs'],
    'register: source 0 bytes': ['INVALID_OPTIONS', 'models.x.source'],
    'model: a name never registered': ['MODEL_NOT_FOUND', ''],
    'repository run: options null (nothing loads)': ['INVALID_OPTIONS', 'options'],

    'run: priority "urgent"': ['INVALID_OPTIONS', 'priority'],
    'run: timeoutMs -1': ['INVALID_OPTIONS', 'timeoutMs'],
    'run: timeoutMs NaN': ['INVALID_OPTIONS', 'timeoutMs'],
    'run: signal {}': ['INVALID_OPTIONS', 'signal'],
    'run: supersedeKey 5': ['INVALID_OPTIONS', 'supersedeKey'],
    'run: input a number, not a tensor': ['INVALID_INPUT', 'input'],
    'run: state dtype "float64"': ['INVALID_INPUT', 'state'],
    'run: input dims [1, -576]': ['INVALID_INPUT', 'input'],
    'run: input data a plain array': ['INVALID_INPUT', 'input'],
    'run: input data detached (transferred away)': ['INVALID_INPUT', 'input'],
    'run: NaN in state (rejectNaN)': ['INVALID_INPUT', 'state'],
    'run: state missing': ['INVALID_INPUT', 'state'],
    'run: an output given as an input': ['INVALID_INPUT', 'stateN'],
    'runDetailed: inputs an array': ['INVALID_INPUT', 'inputs'],
    'runDetailed: timeoutMs Infinity': ['INVALID_OPTIONS', 'timeoutMs'],
    'session: a model without a sequence config': ['INVALID_OPTIONS', 'sequence'],
    'reconfigure: maxBatchSize 0': ['INVALID_OPTIONS', 'maxBatchSize'],
    'reconfigure: null': ['INVALID_OPTIONS', 'batching'],
    'reconfigure: maxBatch (a typo)': ['INVALID_OPTIONS', 'maxBatch'],
    'reconfigure: preferredBatchSizes above maxBatchSize': ['INVALID_OPTIONS', 'preferredBatchSizes'],
    'session: options null': ['INVALID_OPTIONS', 'options'],
    'session: initial names no state input': ['INVALID_OPTIONS', 'initial.input'],
    'session: initial.state of the wrong shape': ['INVALID_INPUT', 'state'],
    'session: call.priority "urgent"': ['INVALID_OPTIONS', 'priority'],
    'session.run: the state given': ['INVALID_INPUT', 'state'],
    'session.run: after end()': ['INVALID_INPUT', 'session'],

    'vad.detect: NaN samples': ['INVALID_INPUT', 'audio'],
    'vad.detect: Infinity samples': ['INVALID_INPUT', 'audio'],
    'vad.detect: sampleRate 0': ['INVALID_INPUT', 'sampleRate'],
    'vad.detect: sampleRate NaN': ['INVALID_INPUT', 'sampleRate'],
    'vad.detect: sampleRate "16000"': ['INVALID_INPUT', 'sampleRate'],
    'vad.detect: samples a plain array': ['INVALID_INPUT', 'audio'],
    'vad.detect: samples detached (transferred away)': ['INVALID_INPUT', 'audio'],
    'vad.detect: an empty Blob': ['INVALID_INPUT', 'audio'],
    'vad.detect: a number': ['INVALID_INPUT', 'audio'],
    'vad.detect: options null': ['INVALID_OPTIONS', 'options'],
    'vad.detect: positiveThreshold 2': ['INVALID_OPTIONS', 'positiveThreshold'],
    'vad.detect: negativeThreshold above positiveThreshold': ['INVALID_OPTIONS', 'negativeThreshold'],
    'vad.detect: redemptionMs -1': ['INVALID_OPTIONS', 'redemptionMs'],
    'vad.detect: an already-aborted signal': ['ABORTED', ''],
    'vad.detect: priority "urgent"': ['INVALID_OPTIONS', 'priority'],
    'vad.stream: NaN chunk': ['INVALID_INPUT', 'samples'],
    'vad.stream: push a Float64Array': ['INVALID_INPUT', 'samples'],
    'vad.stream: push with signal {}': ['INVALID_OPTIONS', 'signal'],
    'vad.stream: push after end()': ['INVALID_INPUT', 'stream'],
    'vad.stream: options null': ['INVALID_OPTIONS', 'options'],
    'vad.stream: call.timeoutMs -1': ['INVALID_OPTIONS', 'timeoutMs'],
    'vad.stream: onProbability "log"': ['INVALID_OPTIONS', 'onProbability'],
    'vad.reconfigure: maxQueueDelayMs -1': ['INVALID_OPTIONS', 'maxQueueDelayMs'],
    'runtime.vad: options "fast"': ['INVALID_OPTIONS', 'options'],
    'runtime.vad: minSpeechMs NaN': ['INVALID_OPTIONS', 'minSpeechMs'],
    'runtime.vad: modelUrl malformed': ['INVALID_OPTIONS', 'modelUrl'],
    'runtime.vad: name 42': ['INVALID_OPTIONS', 'name'],
    'runtime.vad: backend "gpu"': ['INVALID_OPTIONS', 'backend'],
    'runtime.vad: replicas 0': ['INVALID_OPTIONS', 'replicas'],

    'pose.detect: closed ImageBitmap': ['INVALID_INPUT', 'image'],
    'pose.detect: PNG header claims 20000×20000': ['INVALID_INPUT', 'image'],
    'pose.detect: a number': ['INVALID_INPUT', 'image'],
    'pose.detect: a plain object': ['INVALID_INPUT', 'image'],
    'pose.detect: an empty Blob': ['INVALID_INPUT', 'image'],
    'pose.detect: a <video> element': ['INVALID_INPUT', 'image'],
    'pose.detect: an <img> without a source': ['INVALID_INPUT', 'image'],
    'pose.detect: URL ""': ['INVALID_INPUT', 'image'],
    'pose.detect: URL "http://["': ['INVALID_INPUT', 'image'],
    'pose.detect: options null': ['INVALID_OPTIONS', 'options'],
    'pose.detect: signal {}': ['INVALID_OPTIONS', 'signal'],
    'pose.reconfigure: maxBatchSize 4 (one image per call)': ['INVALID_OPTIONS', 'maxBatchSize'],
    'runtime.ocr: maxImagePixels -1': ['INVALID_OPTIONS', 'maxImagePixels'],
    'runtime.ocr: boxThreshold 2': ['INVALID_OPTIONS', 'boxThreshold'],
    'runtime.ocr: maxSideLength NaN': ['INVALID_OPTIONS', 'maxSideLength'],

    'embed: a number': ['INVALID_INPUT', 'texts'],
    'embed: []': ['INVALID_INPUT', 'texts'],
    'embed: a number among strings': ['INVALID_INPUT', 'texts'],
    'embed: ""': ['INVALID_INPUT', 'texts'],
    'embed: whitespace only': ['INVALID_INPUT', 'texts'],
    'embed: priority "urgent"': ['INVALID_OPTIONS', 'priority'],
    'embedDetailed: options null': ['INVALID_OPTIONS', 'options'],
    'runtime.embeddings: variant "int4"': ['INVALID_OPTIONS', 'variant'],
    'runtime.embeddings: modelUrl malformed': ['INVALID_OPTIONS', 'modelUrl'],
    'runtime.embeddings: vocabUrl malformed': ['INVALID_OPTIONS', 'vocabUrl'],
    'runtime.embeddings: cache "yes"': ['INVALID_OPTIONS', 'cache'],
    'runtime.embeddings: name ""': ['INVALID_OPTIONS', 'name'],

    'generate: options null': ['INVALID_OPTIONS', 'options'],
    'generate: signal {}': ['INVALID_OPTIONS', 'signal'],
    'generate: priority "urgent"': ['INVALID_OPTIONS', 'priority'],
    'runtime.textGeneration: options null': ['INVALID_OPTIONS', 'options'],
    'runtime.textGeneration: modelUrl "http://["': ['INVALID_OPTIONS', 'modelUrl'],
    'createRuntime: options null': ['INVALID_OPTIONS', 'options'],
    'createRuntime: options "x"': ['INVALID_OPTIONS', 'options'],
    'model.run: options null': ['INVALID_OPTIONS', 'options'],
    'model.run: transfer "no"': ['INVALID_OPTIONS', 'transfer'],
    'runtime.pose: options null': ['INVALID_OPTIONS', 'options'],
    'runtime.pose: maxImagePixels -1': ['INVALID_OPTIONS', 'maxImagePixels'],
    'runtime.pose: modelUrl "http://["': ['INVALID_OPTIONS', 'modelUrl'],
    'runtime.ocr: options null': ['INVALID_OPTIONS', 'options'],
    'runtime.ocr: detUrl "http://["': ['INVALID_OPTIONS', 'detUrl'],
    'pose.detect: a detached ImageData': ['INVALID_INPUT', 'image'],
    'pose.detect: priority "urgent" (the bitmap stays open)': ['INVALID_OPTIONS', 'priority'],
    'generate: prompt 42': ['INVALID_INPUT', 'prompt'],
    'generate: prompt ""': ['INVALID_INPUT', 'prompt'],
    'generate: maxNewTokens -1': ['INVALID_OPTIONS', 'maxNewTokens'],
    'generate: maxNewTokens NaN': ['INVALID_OPTIONS', 'maxNewTokens'],
    'generate: temperature -0.5': ['INVALID_OPTIONS', 'temperature'],
    'generate: topK 2.5': ['INVALID_OPTIONS', 'topK'],
    'generate: seed "x"': ['INVALID_OPTIONS', 'seed'],
    'generate: useKvCache "yes"': ['INVALID_OPTIONS', 'useKvCache'],
    'runtime.textGeneration: semanticCache without embed': ['INVALID_OPTIONS', 'semanticCache.embed'],
    'runtime.textGeneration: semanticCache.threshold 2': ['INVALID_OPTIONS', 'semanticCache.threshold'],

    'after dispose: runtime.load': ['DISPOSED', ''],
    'after dispose: runtime.model': ['DISPOSED', ''],
    'after dispose: model.run': ['DISPOSED', ''],
    'after dispose: vad.detect': ['DISPOSED', ''],
  };
  const { outcomes } = result;
  const got = Object.fromEntries(
    Object.entries(outcomes).map(([name, { error: e }]) => [name, e === null ? ['accepted', ''] : [e.code ?? `untyped ${e.name}`, e.input ?? '']]),
  );
  expect(got).toEqual(expected);
  expect(Object.keys(expected).length).toBeGreaterThanOrEqual(60);
  for (const [name, { error }] of Object.entries(outcomes)) {
    expect(error?.isOwnClass, name).toBe(true);
    // Refusals of a value say what was expected and what was given (`got` may be '': an empty
    // name, an empty list); state errors (aborted, unknown model, disposed) need not.
    if (error?.code === 'INVALID_INPUT' || error?.code === 'INVALID_OPTIONS') {
      expect(error.expected, `${name}: says what was expected`).toBeTruthy();
      expect(error.got, `${name}: says what was given`).toBeDefined();
    }
  }
  // Refused on the main thread, before any message to a worker (an encoded image's header is
  // read here too); only this got that far: what needs the graph.
  const reachedWorker = Object.entries(outcomes).flatMap(([name, { messages }]) => (messages > 0 ? [name] : []));
  expect(reachedWorker).toEqual(['load: batchAxes names no tensor (checked against the graph)']);
  // Every refusal by the VAD task (detect, stream pushes) counted against its model; sessions and streams refused at creation are not calls.
  expect(result.vadErrors).toEqual({ INVALID_INPUT: 12, INVALID_OPTIONS: 6, ABORTED: 1 });
  expect(outcomes['pose.detect: PNG header claims 20000×20000']?.error?.message).toContain('by its PNG header (not decoded)');
  // Bad calls among valid queued ones were refused; every valid one was answered.
  // A call refused for its options never touches (or closes) the caller's image.
  expect(result.bitmapLeftOpen).toBe(true);
  expect(result.interleaved).toEqual(['INVALID_INPUT input', 'INVALID_OPTIONS priority', 'INVALID_INPUT image', 'INVALID_INPUT texts']);
  expect(result.served).toEqual({ run: [1, 1], runDetailed: [1, 1], vadFrames: 32, keypoints: 17, embedding: 512, tokens: 2 });
});

test('an option error never leaves a model loaded or a worker running; replicas are capped by the hardware', async ({ harness }) => {
  const result = await harness.evaluate(async () => {
    const { createRuntime } = window.inpage;
    const { caught } = window.harness;
    const runtime = createRuntime();
    const source = '/models/silero_vad_v5.onnx';
    const base = { format: 'onnx' as const, source, backend: 'wasm' as const };
    const cores = navigator.hardwareConcurrency;
    const limit = Math.min(16, Math.max(4, cores));
    const cases = {
      'batching.maxBatchSize 0': await caught(runtime.load({ ...base, batching: { maxBatchSize: 0 } })),
      'batching.maxQueueSize 0': await caught(runtime.load({ ...base, batching: { maxQueueSize: 0 } })),
      'batching.defaultPriority "urgent"': await caught(runtime.load({ ...base, batching: { defaultPriority: 'urgent' as never } })),
      'replicas 1000': await caught(runtime.load({ ...base, replicas: 1000 })),
      'replicas one past the limit': await caught(runtime.load({ ...base, replicas: { count: limit + 1 } })),
    };
    const left = { models: runtime.models.length, workers: (JSON.parse(JSON.stringify(runtime)) as { workers: string[] }).workers.length };
    await runtime.dispose();
    return { cases, left, cores, limit };
  });
  const got = Object.fromEntries(Object.entries(result.cases).map(([name, e]) => [name, e === null ? 'accepted' : `${e.code ?? 'untyped'} ${e.input ?? ''}`]));
  expect(got).toEqual({
    'batching.maxBatchSize 0': 'INVALID_OPTIONS maxBatchSize',
    'batching.maxQueueSize 0': 'INVALID_OPTIONS maxQueueSize',
    'batching.defaultPriority "urgent"': 'INVALID_OPTIONS defaultPriority',
    'replicas 1000': 'INVALID_OPTIONS replicas',
    'replicas one past the limit': 'INVALID_OPTIONS replicas.count',
  });
  expect(result.cases['replicas 1000']?.expected).toContain(`from 1 to ${result.limit}`);
  expect(result.cases['replicas 1000']?.message).toContain(`${result.cores} cores`);
  // Nothing was loaded for them: no model, no worker.
  expect(result.left).toEqual({ models: 0, workers: 0 });
});
