import {
  byteOrderMarkLength,
  CLOSE_BRACE,
  CLOSE_BRACKET,
  COLON,
  COMMA,
  jsonStringEnd,
  OPEN_BRACE,
  OPEN_BRACKET,
  QUOTE,
} from "./json-bytes";

export interface JsonItemSink {
  /** One object or array element of a top-level `items` array (a `kind: List`) or of a top-level JSON array. */
  onItem(json: string, byteOffset: number): void;
  /** An element that is a string, number, true, false or null: not an object, but it must be counted. */
  onScalarItem(byteOffset: number): void;
  /**
   * A top-level object with the content of its `items` array left out (`{"apiVersion":"v1","items":[],"kind":"List",…}`),
   * or a whole single object when it has no `items`.
   */
  onDocument(json: string, byteOffset: number): void;
}

export interface SplitResult {
  readonly items: number;
  readonly documents: number;
  /** The input ended inside a value: the incomplete value was dropped. */
  readonly truncated: boolean;
  /** The input is not JSON at all (or its brackets do not match); scanning stopped here. */
  readonly error: { readonly message: string; readonly byteOffset: number } | undefined;
  /** No value at all (empty or whitespace only). */
  readonly empty: boolean;
}

/**
 * Splits a stream of JSON bytes into the objects of a `kind: List` without parsing the whole list:
 * a byte-level scanner tracks only string/escape state and bracket depth, hands each complete item
 * to the sink as a string, and keeps nothing of it afterwards. Peak memory is one chunk plus the
 * largest item, whatever the size of the list. Strings are skipped with `indexOf('"')`, so the
 * per-byte loop only runs over structure, which is what makes it faster than a full `JSON.parse`.
 *
 * It validates structure only as far as it needs to; each item is validated by the caller's `JSON.parse`.
 * A chunk is only read during `write`: what the splitter keeps of it for the next chunk is copied,
 * so the caller may reuse the chunk's buffer (see fileChunks).
 */
export class JsonItemSplitter {
  private depth = 0;
  private inString = false;
  /** Backslashes directly before the current position inside a string, carried over a chunk border. */
  private backslashRun = 0;
  private offset = 0;
  private sawValue = false;

  // Keys of the top-level object, to find `items`.
  private inTopLevelString = false;
  private topLevelStringStart = 0;
  private topLevelStringHead: Buffer[] = [];
  private lastTopLevelString = "";
  private currentTopLevelKey = "";

  /** Depth at which the elements of the items array sit; -1 when not inside one. */
  private itemsDepth = -1;
  private inItem = false;
  private itemStart = 0;
  private itemStartOffset = 0;
  private itemPieces: Buffer[] = [];

  private capturingDocument = false;
  private documentStart = 0;
  private documentStartOffset = 0;
  private documentPieces: Buffer[] = [];

  private itemCount = 0;
  /** Inside the items array, between `[`/`,` and the next element: the next value byte starts an element. */
  private expectingElement = false;
  private documentCount = 0;
  private failure: SplitResult["error"];

  constructor(private readonly sink: JsonItemSink) {}

  write(chunk: Buffer): void {
    if (this.failure) return;
    const length = chunk.length;
    let i = byteOrderMarkLength(chunk, this.offset);
    if (this.inItem) this.itemStart = 0;
    if (this.capturingDocument) this.documentStart = 0;
    if (this.inTopLevelString) this.topLevelStringStart = 0;

    while (i < length) {
      if (this.inString) {
        const { quote, backslashRun } = jsonStringEnd(chunk, i, this.backslashRun);
        this.backslashRun = backslashRun;
        if (quote === -1) break;
        i = quote + 1;
        this.inString = false;
        if (this.inTopLevelString) this.endTopLevelString(chunk, quote);
        continue;
      }

      const byte = chunk[i]!; // i < length
      switch (byte) {
        case QUOTE:
          if (this.depth === this.itemsDepth && this.expectingElement && !this.inItem) {
            this.expectingElement = false;
            this.sink.onScalarItem(this.offset + i);
          }
          this.inString = true;
          this.backslashRun = 0;
          if (this.depth === 1 && !this.inItem) {
            this.inTopLevelString = true;
            this.topLevelStringStart = i + 1;
            this.topLevelStringHead = [];
          }
          break;
        case OPEN_BRACE:
        case OPEN_BRACKET:
          this.open(chunk, i, byte);
          break;
        case CLOSE_BRACE:
        case CLOSE_BRACKET:
          if (!this.close(chunk, i, byte)) return;
          break;
        case COLON:
          if (this.depth === 1) this.currentTopLevelKey = this.lastTopLevelString;
          break;
        case COMMA:
          if (this.depth === 1) this.currentTopLevelKey = "";
          if (this.depth === this.itemsDepth && !this.inItem) this.expectingElement = true;
          break;
        default:
          if (
            this.depth === this.itemsDepth &&
            this.expectingElement &&
            !this.inItem &&
            byte !== 0x20 &&
            byte !== 0x0a &&
            byte !== 0x0d &&
            byte !== 0x09
          ) {
            // A number, true, false or null: counted once, at its first byte.
            this.expectingElement = false;
            this.sink.onScalarItem(this.offset + i);
          }
          if (this.depth === 0 && byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) {
            this.fail(`unexpected ${JSON.stringify(String.fromCharCode(byte ?? 0))} outside any object`, i);
            return;
          }
      }
      i++;
    }

    // Copies, not views: the caller may read the next chunk into the same buffer (fileChunks does).
    if (this.inItem) this.itemPieces.push(Buffer.from(chunk.subarray(this.itemStart)));
    if (this.capturingDocument) this.documentPieces.push(Buffer.from(chunk.subarray(this.documentStart)));
    if (this.inTopLevelString) this.topLevelStringHead.push(Buffer.from(chunk.subarray(this.topLevelStringStart)));
    this.offset += length;
  }

  end(): SplitResult {
    return {
      items: this.itemCount,
      documents: this.documentCount,
      truncated: !this.failure && (this.depth > 0 || this.inString),
      error: this.failure,
      empty: !this.failure && !this.sawValue,
    };
  }

  private open(chunk: Buffer, i: number, byte: number): void {
    if (this.depth === 0) {
      this.sawValue = true;
      if (byte === OPEN_BRACE) {
        this.capturingDocument = true;
        this.documentStart = i;
        this.documentStartOffset = this.offset + i;
        this.documentPieces = [];
      } else {
        this.itemsDepth = 1; // a bare JSON array: its elements are the items
        this.expectingElement = true;
      }
    } else if (this.depth === this.itemsDepth && !this.inItem) {
      this.expectingElement = false;
      this.inItem = true;
      this.itemStart = i;
      this.itemStartOffset = this.offset + i;
      this.itemPieces = [];
    } else if (
      this.depth === 1 &&
      byte === OPEN_BRACKET &&
      this.currentTopLevelKey === "items" &&
      this.capturingDocument &&
      this.itemsDepth === -1
    ) {
      this.itemsDepth = 2;
      this.expectingElement = true;
      this.documentPieces.push(Buffer.from(chunk.subarray(this.documentStart, i + 1)));
      this.capturingDocument = false;
    }
    this.depth++;
  }

  /** Returns false when the input is broken and scanning stops. */
  private close(chunk: Buffer, i: number, byte: number): boolean {
    if (this.depth === 0) {
      this.fail(`unexpected ${byte === CLOSE_BRACE ? "}" : "]"} outside any object`, i);
      return false;
    }
    this.depth--;
    if (this.inItem && this.depth === this.itemsDepth) {
      this.inItem = false;
      const text =
        this.itemPieces.length === 0
          ? chunk.toString("utf8", this.itemStart, i + 1)
          : Buffer.concat([...this.itemPieces, chunk.subarray(0, i + 1)]).toString("utf8");
      this.itemPieces = [];
      this.itemCount++;
      this.sink.onItem(text, this.itemStartOffset);
    } else if (this.itemsDepth > 0 && this.depth === this.itemsDepth - 1 && byte === CLOSE_BRACKET) {
      this.itemsDepth = -1;
      if (this.depth === 1) {
        this.capturingDocument = true;
        this.documentStart = i;
      }
    }
    if (this.depth === 0 && this.capturingDocument) {
      this.capturingDocument = false;
      const text = Buffer.concat([...this.documentPieces, chunk.subarray(this.documentStart, i + 1)]).toString("utf8");
      this.documentPieces = [];
      this.documentCount++;
      this.currentTopLevelKey = "";
      this.sink.onDocument(text, this.documentStartOffset);
    }
    return true;
  }

  private endTopLevelString(chunk: Buffer, quote: number): void {
    this.inTopLevelString = false;
    const length = this.topLevelStringHead.reduce((sum, piece) => sum + piece.length, 0) + (quote - this.topLevelStringStart);
    // Only the key `items` matters; do not decode long string values.
    this.lastTopLevelString =
      length > 16 ? "" : Buffer.concat([...this.topLevelStringHead, chunk.subarray(this.topLevelStringStart, quote)]).toString("utf8");
    this.topLevelStringHead = [];
  }

  private fail(message: string, i: number): void {
    this.failure = { message, byteOffset: this.offset + i };
  }
}
