/** SHA-256 as lowercase hex, the one hash every cache keys and verifies with. */

function onArrayBuffer(view: Uint8Array): view is Uint8Array<ArrayBuffer> {
  return view.buffer instanceof ArrayBuffer;
}

/** The bytes to hash: a string as UTF-8, a view's own bytes (copied only off a SharedArrayBuffer, which WebCrypto refuses). */
function bytesOf(data: string | ArrayBuffer | ArrayBufferView): ArrayBuffer | Uint8Array<ArrayBuffer> {
  if (typeof data === 'string') return new TextEncoder().encode(data);
  if (data instanceof ArrayBuffer) return data;
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return onArrayBuffer(view) ? view : view.slice();
}

/** SHA-256 of `data` (a string is hashed as UTF-8; a typed array, its bytes), lowercase hex. */
export async function sha256Hex(data: string | ArrayBuffer | ArrayBufferView): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytesOf(data)));
  let hex = '';
  for (const byte of digest) hex += byte.toString(16).padStart(2, '0');
  return hex;
}
