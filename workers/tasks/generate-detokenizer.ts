/**
 * Incremental detokenisation: turn generated tokens into text one token at a time.
 *
 * A byte-level BPE token is a run of UTF-8 *bytes*, not characters: an emoji's four
 * bytes are often split over two or three tokens. Decoding each token on its own would
 * print U+FFFD replacement characters, so the bytes go through one streaming
 * `TextDecoder`, which holds back an incomplete trailing sequence until the token that
 * completes it arrives.
 */

/** Anything that maps a token id to its bytes (the tokenizer). */
export interface TokenBytes {
  bytesOf(id: number): Uint8Array;
}

/**
 * Feeds token bytes through a streaming UTF-8 decoder.
 *
 * @example
 * const detokenizer = new IncrementalDetokenizer(tokenizer);
 * detokenizer.push(8582);  // ''   (🙂's first three bytes)
 * detokenizer.push(25081); // '🙂' (its last byte completes it)
 */
export class IncrementalDetokenizer {
  private readonly decoder = new TextDecoder('utf-8');
  private text = '';

  constructor(private readonly tokens: TokenBytes) {}

  /** The printable text `id` adds: empty while a multi-byte character is incomplete. */
  push(id: number): string {
    const piece = this.decoder.decode(this.tokens.bytesOf(id), { stream: true });
    this.text += piece;
    return piece;
  }

  /** End of the stream: any incomplete trailing bytes become U+FFFD. */
  flush(): string {
    const piece = this.decoder.decode();
    this.text += piece;
    return piece;
  }

  /** Everything printed so far. */
  get fullText(): string {
    return this.text;
  }
}
