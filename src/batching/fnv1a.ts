/**
 * 64-bit FNV-1a over bytes, for batch keys: two requests may share a batch only when their
 * shared (no batch axis) inputs are equal, and comparing hashes of their bytes is how the
 * main thread tells without holding both. 64 bits keep the chance of two different values
 * colliding negligible (~2⁻⁶⁴); 32-bit arithmetic keeps it fast without `BigInt`.
 */

// 64-bit FNV offset basis 0xcbf29ce484222325 and prime 0x100000001b3 = 2⁴⁰ + 0x1b3.
const basisHigh = 0xcbf29ce4;
const basisLow = 0x84222325;
const primeLow = 0x1b3;

/**
 * FNV-1a (64-bit) of `bytes`, as 16 hex digits.
 *
 * @example
 * fnv1a64(new TextEncoder().encode('a')); // 'af63dc4c8601ec8c'
 */
export function fnv1a64(bytes: Uint8Array): string {
  let high = basisHigh;
  let low = basisLow;
  for (let i = 0; i < bytes.length; i += 1) {
    low = (low ^ (bytes[i] ?? 0)) >>> 0;
    // (high·2³² + low) · (2⁴⁰ + 0x1b3) mod 2⁶⁴, in 32-bit halves.
    const lowProduct = low * primeLow; // < 2⁴¹: exact in a double
    const carry = Math.floor(lowProduct / 0x100000000);
    high = (Math.imul(high, primeLow) + (low << 8) + carry) >>> 0;
    low = lowProduct >>> 0;
  }
  return high.toString(16).padStart(8, '0') + low.toString(16).padStart(8, '0');
}
