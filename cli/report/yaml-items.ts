import { StringDecoder } from "node:string_decoder";

export interface YamlPieceSink {
  /**
   * One element of a document's top-level `items:` block sequence, re-indented to a mapping
   * (its `- ` becomes two spaces); `line` is its 1-based first line in the input.
   */
  onItem(text: string, line: number): void;
  /** A whole document, or a List's document with its items left out (`items: []` in their place). */
  onDocument(text: string, line: number, hadItems: boolean): void;
}

export interface YamlSplitResult {
  readonly items: number;
  readonly documents: number;
  /** Why the input looks cut off (the incomplete item or document was not handed on), if it does. */
  readonly truncated: string | undefined;
}

type State = "top" | "await-sequence" | "in-items";

/**
 * Splits a YAML stream into documents (`---` / `...` lines) and the items of each document's
 * top-level `items:` list, line by line, so `kubectl get … -o yaml` output of any size is parsed one
 * report at a time: memory is one chunk plus the largest item. What it relies on is YAML's own
 * structure: a line starting `---` or `...` is always a document marker (YAML 1.2 §9.1.4, content
 * may not start a line with them), and a block sequence entry's content is indented deeper than
 * its `-`, so a line at the sequence's indentation starts the next entry or ends the sequence.
 * Anything it does not recognise (flow style `items: [...]`, no `items`) is handed on as a whole
 * document for the YAML parser.
 *
 * Truncation: kubectl writes `kind: List` and `metadata:` after the items (keys sorted), so a List
 * document that ends inside its items without a `kind:` line was cut off; so was an input whose last
 * line has no line break. The last, incomplete piece is then not handed on.
 */
export class YamlItemSplitter {
  private readonly decoder = new StringDecoder("utf8");
  private carry = "";
  private lineNumber = 0;
  private state: State = "top";
  private documentLines: string[] = [];
  private documentStart = 1;
  private documentHasContent = false;
  private documentHasKind = false;
  private hadItems = false;
  private sequenceIndent = -1;
  private itemLines: string[] = [];
  private itemStart = 0;
  private itemCount = 0;
  private documentCount = 0;
  private truncation: string | undefined;

  constructor(private readonly sink: YamlPieceSink) {}

  write(chunk: Buffer | string): void {
    const text = this.carry + (typeof chunk === "string" ? chunk : this.decoder.write(chunk));
    const lines = text.split("\n");
    this.carry = lines.pop() ?? "";
    for (const line of lines) this.line(line.endsWith("\r") ? line.slice(0, -1) : line);
  }

  end(): YamlSplitResult {
    const rest = this.carry + this.decoder.end();
    this.carry = "";
    if (rest.length > 0) {
      // The last line has no line break: kubectl always ends with one, so the input was cut mid-line.
      this.truncation = "the input ends in the middle of a line (truncated file?)";
      if (this.state === "in-items") this.itemLines = [];
      else {
        this.documentLines = [];
        this.documentHasContent = false;
      }
    }
    if (this.state === "in-items" && !this.documentHasKind && this.itemLines.length > 0 && this.truncation === undefined) {
      this.truncation = "the input ends inside a List's items, before its `kind: List` line (truncated file?)";
      this.itemLines = [];
    }
    this.endDocument();
    return { items: this.itemCount, documents: this.documentCount, truncated: this.truncation };
  }

  private line(line: string): void {
    this.lineNumber++;
    if (/^(---|\.\.\.)(\s|$)/.test(line)) {
      this.endDocument();
      this.documentStart = this.lineNumber + 1;
      // `--- key: value` / `--- !tag`: content on the marker line belongs to the new document.
      const rest = line.startsWith("---") ? line.slice(3).trim() : "";
      if (rest !== "" && !rest.startsWith("#")) this.topLine(line.replace(/^---/, "   "));
      return;
    }
    if (this.state === "top") this.topLine(line);
    else if (this.state === "await-sequence") this.awaitSequenceLine(line);
    else this.itemsLine(line);
  }

  private topLine(line: string): void {
    if (/^items:\s*(#.*)?$/.test(line)) {
      this.state = "await-sequence";
      this.hadItems = true;
      this.documentLines.push("items: []");
      this.documentHasContent = true;
      return;
    }
    if (/^kind:/.test(line)) this.documentHasKind = true;
    if (!isBlankOrComment(line)) this.documentHasContent = true;
    this.documentLines.push(line);
  }

  private awaitSequenceLine(line: string): void {
    if (isBlankOrComment(line)) return;
    const entry = /^( *)-( |$)/.exec(line);
    if (entry) {
      this.sequenceIndent = entry[1]?.length ?? 0;
      this.state = "in-items";
      this.startItem(line);
      return;
    }
    // `items:` followed by something else (`items: null` written as an empty value, then the next key).
    this.state = "top";
    this.topLine(line);
  }

  private itemsLine(line: string): void {
    if (isBlankOrComment(line)) {
      this.itemLines.push(line);
      return;
    }
    const indent = line.length - line.trimStart().length;
    if (indent > this.sequenceIndent) {
      this.itemLines.push(line);
      return;
    }
    if (indent === this.sequenceIndent && /^ *-( |$)/.test(line)) {
      this.endItem();
      this.startItem(line);
      return;
    }
    this.endItem();
    this.state = "top";
    this.topLine(line);
  }

  private startItem(line: string): void {
    this.itemStart = this.lineNumber;
    this.itemLines = [`${line.slice(0, this.sequenceIndent)} ${line.slice(this.sequenceIndent + 1)}`];
  }

  private endItem(): void {
    if (this.itemLines.length === 0) return;
    const text = this.itemLines.join("\n");
    this.itemLines = [];
    this.itemCount++;
    this.sink.onItem(text, this.itemStart);
  }

  private endDocument(): void {
    if (this.state === "in-items") this.endItem();
    if (this.documentHasContent) {
      this.documentCount++;
      this.sink.onDocument(this.documentLines.join("\n"), this.documentStart, this.hadItems);
    }
    this.state = "top";
    this.documentLines = [];
    this.documentHasContent = false;
    this.documentHasKind = false;
    this.hadItems = false;
    this.sequenceIndent = -1;
  }
}

function isBlankOrComment(line: string): boolean {
  const trimmed = line.trimStart();
  return trimmed === "" || trimmed.startsWith("#");
}
