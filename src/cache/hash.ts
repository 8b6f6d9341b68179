/** SHA-256 as lowercase hex, the one hash every cache keys and verifies with. */

/** SHA-256 of `data` (a string is hashed as UTF-8), lowercase hex. */
export async function sha256Hex(data: string | ArrayBuffer): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', typeof data === 'string' ? new TextEncoder().encode(data) : data));
  let hex = '';
  for (const byte of digest) hex += byte.toString(16).padStart(2, '0');
  return hex;
}
