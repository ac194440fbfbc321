/** The bytes that structure JSON, for the splitters that read it chunk by chunk without parsing. */
export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const OPEN_BRACE = 0x7b;
export const CLOSE_BRACE = 0x7d;
export const OPEN_BRACKET = 0x5b;
export const CLOSE_BRACKET = 0x5d;
export const COLON = 0x3a;
export const COMMA = 0x2c;

/** Bytes to skip at the start of a stream: 3 for a UTF-8 byte-order mark in its first chunk, else 0. */
export function byteOrderMarkLength(chunk: Buffer, streamOffset: number): number {
  return streamOffset === 0 && chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf ? 3 : 0;
}

/** Where a JSON string open at `from` ends within one chunk, and what to carry into the next. */
export interface StringEnd {
  /** Index of the closing quote in the chunk, or -1 when the string runs past the chunk. */
  readonly quote: number;
  /** Backslashes that end the chunk (only with `quote` -1): they may escape the next chunk's first byte. */
  readonly backslashRun: number;
}

/**
 * Finds the quote that closes a JSON string which is open at `from`, for splitters that read a
 * stream chunk by chunk: a quote is escaped when an odd number of backslashes precede it, counting
 * `carriedBackslashes` that ended the previous chunk.
 */
export function jsonStringEnd(chunk: Buffer, from: number, carriedBackslashes: number): StringEnd {
  let start = from;
  let carried = carriedBackslashes;
  for (;;) {
    const quote = chunk.indexOf(QUOTE, start);
    const end = quote === -1 ? chunk.length : quote;
    let run = 0;
    let k = end - 1;
    while (k >= start && chunk[k] === BACKSLASH) {
      run++;
      k--;
    }
    if (k < start) run += carried;
    if (quote === -1) return { quote: -1, backslashRun: run };
    if ((run & 1) === 0) return { quote, backslashRun: 0 };
    // An escaped quote: the string goes on after it, with no backslash carried past it.
    start = quote + 1;
    carried = 0;
  }
}
