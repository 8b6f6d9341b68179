/**
 * Block keys of the KV prefix cache: a hash chain over a prompt's token blocks, as in
 * vLLM's prefix caching.
 *
 * The prompt's token ids are split into blocks of `blockTokens`; only full blocks get a
 * key. Key `i` is SHA-256(key `i - 1` ‖ the block's token ids as little-endian uint32),
 * and the chain starts from SHA-256 of the cache namespace (model URL and identity,
 * dtype, backend, cache layout, block size). So a key stands for *every* token before
 * the block's end, under one model on one backend: two prompts share key `i` exactly
 * when they share their first `(i + 1) · blockTokens` tokens.
 *
 * Why SHA-256: a wrong hit would silently feed another prompt's keys/values to the model,
 * so collisions must be practically impossible (2⁻¹²⁸ birthday bound), and blocks
 * persist across sessions, so the hash must be stable everywhere; `crypto.subtle` has
 * SHA-256 in pages, workers and Node. It costs microseconds per 64-byte block, nothing
 * next to a prefill.
 */

/** Hex of a digest. */
function hex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The chain's root: a digest of the namespace string. */
export async function namespaceRoot(namespace: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest('SHA-256', new TextEncoder().encode(namespace));
}

/** The digest a key's 64 hex digits stand for. */
function bytesOf(key: string): Uint8Array {
  return Uint8Array.from({ length: key.length / 2 }, (_, i) => parseInt(key.slice(2 * i, 2 * i + 2), 16));
}

/** An earlier prompt's tokens and block keys (same root and block size): its leading blocks need no hashing again. */
export interface KnownKeys {
  readonly tokens: readonly number[];
  readonly keys: readonly string[];
}

/**
 * The keys (64 hex digits each) of the full blocks of `tokens`, in order.
 *
 * @param root from {@link namespaceRoot}
 * @param tokens token ids (non-negative integers < 2³²)
 * @param blockTokens tokens per block (≥ 1)
 * @param known an earlier prompt's keys: the blocks it shares with `tokens` from the first
 *   token on take its keys as they are (a chain key depends on nothing else), so prompts
 *   that share a long prefix hash only the blocks after it
 */
export async function blockKeys(root: ArrayBuffer, tokens: readonly number[], blockTokens: number, known?: KnownKeys): Promise<string[]> {
  const blocks = Math.floor(tokens.length / blockTokens);
  let shared = 0;
  if (known !== undefined) {
    const same = Math.min(blocks, known.keys.length) * blockTokens;
    let t = 0;
    while (t < same && tokens[t] === known.tokens[t]) t++;
    shared = Math.floor(t / blockTokens);
  }
  const keys = known?.keys.slice(0, shared) ?? [];
  const message = new Uint8Array(32 + 4 * blockTokens);
  const view = new DataView(message.buffer);
  let parent: ArrayBuffer | Uint8Array = shared === 0 ? root : bytesOf(keys[shared - 1] ?? '');
  for (let b = shared; b < blocks; b++) {
    message.set(parent instanceof Uint8Array ? parent : new Uint8Array(parent), 0);
    for (let t = 0; t < blockTokens; t++) view.setUint32(32 + 4 * t, tokens[b * blockTokens + t] ?? 0, true);
    parent = await crypto.subtle.digest('SHA-256', message);
    keys.push(hex(parent));
  }
  return keys;
}
