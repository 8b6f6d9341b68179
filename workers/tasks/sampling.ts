/**
 * Next-token sampling from one row of logits: greedy (temperature 0) or
 * softmax(logits / temperature) with an optional top-k cut, drawn from a seeded RNG so a
 * seed reproduces a generation.
 */

/** How to pick the next token. */
export interface SamplingOptions {
  /** 0 = greedy argmax; otherwise logits are divided by it before the softmax. */
  readonly temperature: number;
  /** Keep only the `topK` most likely tokens before sampling; 0 keeps all. */
  readonly topK: number;
}

/**
 * mulberry32: a 32-bit seeded PRNG, uniform in [0, 1). Small, fast, and identical on
 * every platform, so a seed gives the same draws in any browser or in Node.
 *
 * @example
 * const random = seededRandom(1);
 * random(); // 0.6270739405881613
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Index of the largest logit (the lowest index on a tie). */
export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let i = 0; i < logits.length; i++) {
    const value = logits[i] ?? -Infinity;
    if (value > bestValue) {
      bestValue = value;
      best = i;
    }
  }
  return best;
}

/**
 * Indices of the `k` largest logits, largest first (ties: lower index first).
 * O(n·log k) with a min-heap, so a top-40 cut over 50 257 logits stays cheap.
 */
export function topKIndices(logits: ArrayLike<number>, k: number): number[] {
  const size = Math.min(k, logits.length);
  const heap: number[] = []; // min-heap of indices by (logit, then higher index = smaller)
  const less = (a: number, b: number): boolean => {
    const va = logits[a] ?? -Infinity;
    const vb = logits[b] ?? -Infinity;
    return va < vb || (va === vb && a > b);
  };
  const swap = (i: number, j: number): void => {
    const t = heap[i] ?? 0;
    heap[i] = heap[j] ?? 0;
    heap[j] = t;
  };
  const siftDown = (start: number): void => {
    for (let i = start; ;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = i;
      if (l < heap.length && less(heap[l] ?? 0, heap[smallest] ?? 0)) smallest = l;
      if (r < heap.length && less(heap[r] ?? 0, heap[smallest] ?? 0)) smallest = r;
      if (smallest === i) return;
      swap(i, smallest);
      i = smallest;
    }
  };
  for (let index = 0; index < logits.length; index++) {
    if (heap.length < size) {
      heap.push(index);
      for (let i = heap.length - 1; i > 0;) {
        const parent = (i - 1) >> 1;
        if (!less(heap[i] ?? 0, heap[parent] ?? 0)) break;
        swap(i, parent);
        i = parent;
      }
    } else if (size > 0 && less(heap[0] ?? 0, index)) {
      heap[0] = index;
      siftDown(0);
    }
  }
  return heap.sort((a, b) => (less(a, b) ? 1 : less(b, a) ? -1 : 0));
}

/**
 * Pick the next token from one row of logits.
 *
 * @example
 * const random = seededRandom(1);
 * sampleToken(Float32Array.of(1, 3, 2), { temperature: 0, topK: 0 }, random); // 1 (greedy)
 * sampleToken(Float32Array.of(1, 3, 2), { temperature: 0.8, topK: 2 }, random); // 1 or 2, never 0
 */
export function sampleToken(logits: ArrayLike<number>, options: SamplingOptions, random: () => number): number {
  if (options.temperature === 0) return argmax(logits);
  const candidates = options.topK > 0 && options.topK < logits.length ? topKIndices(logits, options.topK) : Array.from({ length: logits.length }, (_, i) => i);
  let max = -Infinity;
  for (const i of candidates) max = Math.max(max, logits[i] ?? -Infinity);
  const weights = new Float64Array(candidates.length);
  let total = 0;
  candidates.forEach((index, i) => {
    const weight = Math.exp(((logits[index] ?? -Infinity) - max) / options.temperature);
    weights[i] = weight;
    total += weight;
  });
  let threshold = random() * total;
  for (let i = 0; i < candidates.length; i++) {
    threshold -= weights[i] ?? 0;
    if (threshold < 0) return candidates[i] ?? 0;
  }
  // Rounding left a sliver past the last weight: the last candidate owns it.
  return candidates[candidates.length - 1] ?? 0;
}
