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

/** About 600 findingIndex lines: one JSON.parse per batch, and a batch is young-generation garbage. */
const DEFAULT_BATCH_BYTES = 64 * 1024;
/** A top-level key longer than this is no key anyone asks for: it is skipped undecoded. */
const MAX_KEY_BYTES = 1024;

/** What to do with one member of the top-level object. */
export type MemberHandling =
  /** Hand its whole value on as JSON text (onValue). */
  | "value"
  /** Its value is an object with many members: hand them on in batches (onMembers), never all at once. */
  | "members"
  /** Read past it. */
  | "skip";

export interface JsonMemberSink {
  handling(key: string): MemberHandling;
  /** The value of a "value" member, or of a "members" member that is not an object, as JSON text. */
  onValue(key: string, json: string): void;
  /**
   * Consecutive members of a "members" member's object, as the JSON text of an array of their keys
   * and values, `["k1", v1, "k2", v2]`; called at least once per such object (`[]` for `{}`). An
   * array, because JSON.parse internalizes object keys, which V8 allocates in the old generation,
   * where only a full GC frees them, while array strings are young garbage a scavenge frees at once
   * (measured: 20,000 finding keys parsed as an object grow the old space by 1.8 MB, as an array not at all).
   */
  onMembers(key: string, arrayJson: string): void;
}

type MemberState =
  /** Expecting a key, or `}` right after `{`. */
  | "key"
  /** Inside the key string. */
  | "in-key"
  /** Expecting `:`. */
  | "colon"
  /** Expecting the first byte of the value. */
  | "value-start"
  /** Inside the value (depth 1 for a scalar, deeper for a container), until `,` or `}` at depth 1. */
  | "value";

/**
 * Reads one JSON object from a byte stream member by member, for files too large to parse whole
 * (a `report --format json` output with a findingIndex of 100,000s of keys): the members a caller
 * wants are handed on as JSON text, the rest is skipped, and a member holding a large object is
 * handed on in batches of its members cut at its top-level commas. Like JsonItemSplitter it tracks
 * only string/escape state and nesting depth; every piece it hands on is validated by the caller's
 * JSON.parse, and the structure around them (one object, brackets closed in order at the levels it
 * cuts at, nothing after it) is checked here. Chunks may be reused by the caller after `write`:
 * what is kept across chunks is copied.
 */
export class JsonMemberSplitter {
  private depth = 0;
  private inString = false;
  private backslashRun = 0;
  private offset = 0;
  private sawObject = false;
  private closed = false;
  private failure: string | undefined;

  private state: MemberState = "key";
  /** No member yet: `}` may close the object. */
  private emptyObject = true;
  private keyStart = 0;
  private keyPieces: Buffer[] = [];
  private keyBytes = 0;
  private currentKey = "";
  private mode: MemberHandling = "skip";

  /** Capturing a value (mode "value") or a batch of members (inside a "members" object). */
  private capturing = false;
  private captureStart = 0;
  private capturePieces: Buffer[] = [];
  private captureBytes = 0;
  /** Inside a "members" object: depth 2 is its member level. */
  private inMembers = false;
  private batchesHandedOn = 0;
  /** Members in the current batch. */
  private capturedMembers = 0;
  /** `:`s seen in the current member; -1 before its key. */
  private memberColons = -1;
  /** Where each member's `:` sits in the current batch's bytes. */
  private colonOffsets: number[] = [];

  constructor(
    private readonly sink: JsonMemberSink,
    private readonly batchBytes = DEFAULT_BATCH_BYTES,
  ) {}

  write(chunk: Buffer): void {
    if (this.failure) return;
    const length = chunk.length;
    let i = byteOrderMarkLength(chunk, this.offset);
    if (this.capturing) this.captureStart = 0;
    if (this.state === "in-key") this.keyStart = 0;

    while (i < length && this.failure === undefined) {
      if (this.inString) {
        const { quote, backslashRun } = jsonStringEnd(chunk, i, this.backslashRun);
        this.backslashRun = backslashRun;
        if (quote === -1) break;
        i = quote + 1;
        this.inString = false;
        if (this.state === "in-key") this.endKey(chunk, quote);
        continue;
      }
      const byte = chunk[i]!; // i < length
      const blank = byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
      if (this.depth === 0) this.outside(byte, blank, i);
      else if (this.depth === 1 && this.state !== "value") this.betweenMembers(chunk, byte, blank, i);
      else this.inValue(chunk, byte, i);
      i++;
    }
    if (this.capturing) this.keepCapture(chunk.subarray(this.captureStart));
    if (this.state === "in-key") this.keepKey(chunk.subarray(this.keyStart));
    this.offset += length;
  }

  /** Why the input is not one complete JSON object, or undefined when it is. */
  end(): string | undefined {
    if (this.failure) return this.failure;
    if (!this.sawObject) return "empty: no JSON object";
    if (!this.closed) return "the file ends in the middle of the object (truncated file?)";
    return undefined;
  }

  private outside(byte: number, blank: boolean, i: number): void {
    if (blank) return;
    if (byte !== OPEN_BRACE || this.sawObject)
      return this.fail(this.sawObject ? "unexpected data after the object" : "expected a JSON object", i);
    this.sawObject = true;
    this.depth = 1;
  }

  private betweenMembers(chunk: Buffer, byte: number, blank: boolean, i: number): void {
    if (blank) return;
    switch (this.state) {
      case "key":
        if (byte === QUOTE) {
          this.state = "in-key";
          this.inString = true;
          this.backslashRun = 0;
          this.keyStart = i + 1;
          this.keyPieces = [];
          this.keyBytes = 0;
        } else if (byte === CLOSE_BRACE && this.emptyObject) this.close();
        else this.fail("expected a key", i);
        return;
      case "colon":
        if (byte !== COLON) return this.fail("expected `:` after a key", i);
        this.mode = this.keyBytes > MAX_KEY_BYTES ? "skip" : this.sink.handling(this.currentKey);
        this.state = "value-start";
        return;
      case "value-start":
        if (byte === COMMA || byte === CLOSE_BRACE || byte === CLOSE_BRACKET || byte === COLON)
          return this.fail("a member without a value", i);
        this.state = "value";
        if (this.mode === "members" && byte === OPEN_BRACE) {
          this.inMembers = true;
          this.batchesHandedOn = 0;
          this.capturedMembers = 0;
          this.memberColons = -1;
          this.startCapture(i + 1);
          this.depth++;
          return;
        } else if (this.mode !== "skip") {
          // A "members" member that is not an object is handed on whole: the caller says what it expected.
          this.mode = "value";
          this.startCapture(i);
        }
        this.inValue(chunk, byte, i);
        return;
      case "in-key":
      case "value":
        return; // not reached: strings and values are handled elsewhere
    }
  }

  private inValue(chunk: Buffer, byte: number, i: number): void {
    if (this.inMembers && this.depth === 2) {
      this.atMemberLevel(chunk, byte, i);
      return;
    }
    switch (byte) {
      case QUOTE:
        this.inString = true;
        this.backslashRun = 0;
        return;
      case OPEN_BRACE:
      case OPEN_BRACKET:
        this.depth++;
        return;
      case CLOSE_BRACE:
      case CLOSE_BRACKET:
        if (this.depth === 1) {
          if (byte !== CLOSE_BRACE) return this.fail("`]` closes the object", i);
          this.endValue(chunk, i);
          this.close();
          return;
        }
        this.depth--;
        return;
      case COMMA:
        if (this.depth === 1) {
          this.endValue(chunk, i);
          this.state = "key";
          this.emptyObject = false;
        }
        return;
    }
  }

  /**
   * Between the members of a "members" object: each member must be a key string, one `:` and a
   * value, so that turning every `:` into `,` makes the batch an array of keys and values.
   */
  private atMemberLevel(chunk: Buffer, byte: number, i: number): void {
    const blank = byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
    if (this.memberColons === -1) {
      // Before a member's key (after `{` or `,`).
      if (blank) return;
      if (byte === CLOSE_BRACE && this.batchesHandedOn === 0 && this.capturedMembers === 0) return this.endMembers(chunk, i);
      if (byte !== QUOTE) return this.fail("expected a key", i);
      this.memberColons = 0;
      this.inString = true;
      this.backslashRun = 0;
      return;
    }
    switch (byte) {
      case QUOTE:
        this.inString = true;
        this.backslashRun = 0;
        return;
      case OPEN_BRACE:
      case OPEN_BRACKET:
        this.depth++;
        return;
      case COLON:
        if (++this.memberColons > 1) return this.fail("unexpected `:`", i);
        this.colonOffsets.push(this.captureBytes + (i - this.captureStart));
        return;
      case COMMA:
      case CLOSE_BRACE:
      case CLOSE_BRACKET:
        if (this.memberColons !== 1) return this.fail("a member without `:` and a value", i);
        this.memberColons = -1;
        this.capturedMembers++;
        if (byte === CLOSE_BRACKET) return this.fail("`]` closes an object", i);
        if (byte === CLOSE_BRACE) return this.endMembers(chunk, i);
        if (this.captureBytes + (i - this.captureStart) >= this.batchBytes) this.flushMembers(chunk, i, false);
        return;
    }
  }

  /** The `}` of a "members" object. */
  private endMembers(chunk: Buffer, i: number): void {
    this.depth = 1;
    this.inMembers = false;
    this.flushMembers(chunk, i, true);
  }

  private close(): void {
    this.depth = 0;
    this.closed = true;
  }

  /** At the `,` or `}` that ends a member's value at depth 1. */
  private endValue(chunk: Buffer, i: number): void {
    if (!this.capturing) return;
    const text = this.takeCapture(chunk, i).trim();
    this.capturing = false;
    this.sink.onValue(this.currentKey, text);
  }

  /** Hands on the members captured so far as `[key, value, key, value, …]`: the same JSON text with each member's `:` turned into `,`. */
  private flushMembers(chunk: Buffer, i: number, last: boolean): void {
    const tail = chunk.subarray(this.captureStart, i);
    const array = Buffer.allocUnsafe(this.captureBytes + tail.length + 2);
    array[0] = OPEN_BRACKET;
    let at = 1;
    for (const piece of [...this.capturePieces, tail]) at += piece.copy(array, at);
    array[at] = CLOSE_BRACKET;
    for (const offset of this.colonOffsets) array[offset + 1] = COMMA;
    this.capturedMembers = 0;
    if (last) this.capturing = false;
    else this.startCapture(i + 1);
    this.batchesHandedOn++;
    this.sink.onMembers(this.currentKey, array.toString("utf8"));
  }

  private startCapture(at: number): void {
    this.capturing = true;
    this.captureStart = at;
    this.capturePieces = [];
    this.captureBytes = 0;
    this.colonOffsets = [];
  }

  private takeCapture(chunk: Buffer, end: number): string {
    const tail = chunk.subarray(this.captureStart, end);
    const text = this.capturePieces.length === 0 ? tail.toString("utf8") : Buffer.concat([...this.capturePieces, tail]).toString("utf8");
    this.capturePieces = [];
    this.captureBytes = 0;
    return text;
  }

  private endKey(chunk: Buffer, quote: number): void {
    this.state = "colon";
    this.keyBytes += quote - this.keyStart;
    if (this.keyBytes > MAX_KEY_BYTES) {
      this.keyPieces = [];
      this.currentKey = "";
      return;
    }
    const raw = Buffer.concat([...this.keyPieces, chunk.subarray(this.keyStart, quote)]).toString("utf8");
    this.keyPieces = [];
    try {
      this.currentKey = JSON.parse(`"${raw}"`) as string;
    } catch {
      this.fail("a key is not a valid JSON string", quote);
    }
  }

  /** Copies: the caller may reuse the chunk's buffer for the next chunk. */
  private keepCapture(piece: Buffer): void {
    this.captureBytes += piece.length;
    this.capturePieces.push(Buffer.from(piece));
  }

  /** A key too long to be one anyone asks for: its length is counted, nothing kept. */
  private keepKey(piece: Buffer): void {
    this.keyBytes += piece.length;
    if (this.keyBytes <= MAX_KEY_BYTES) this.keyPieces.push(Buffer.from(piece));
  }

  private fail(message: string, i: number): void {
    this.failure ??= `${message} at byte ${this.offset + i}`;
  }
}
