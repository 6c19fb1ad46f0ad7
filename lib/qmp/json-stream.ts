/**
 * QMP's framing: a byte stream of JSON objects. Clients usually end each with
 * a newline, but nothing requires it, so objects are split by tracking brace
 * depth outside of strings. Text at top level that does not open an object
 * (a stray scalar, garbage) is handed over up to the end of its line, so the
 * server can answer it with an error instead of waiting forever.
 */
export type JsonMessageHandler = (text: string) => void;

export class JsonObjectSplitter {
  private buffer = '';
  /** Index in buffer where the current message starts, -1 between messages. */
  private start = -1;
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** The current message is top-level garbage that ends at a newline. */
  private lineMode = false;
  private scanned = 0;

  constructor(private readonly onMessage: JsonMessageHandler) {}

  push(chunk: string): void {
    this.buffer += chunk;
    const text = this.buffer;
    for (let i = this.scanned; i < text.length; i++) {
      const ch = text[i]!;
      if (this.start < 0) {
        if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n') continue;
        this.start = i;
        this.lineMode = ch !== '{' && ch !== '[';
      }
      if (this.lineMode) {
        if (ch === '\n') this.finish(i);
        continue;
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (ch === '\\') this.escaped = true;
        else if (ch === '"') this.inString = false;
      } else if (ch === '"') this.inString = true;
      else if (ch === '{' || ch === '[') this.depth++;
      else if ((ch === '}' || ch === ']') && --this.depth === 0) this.finish(i + 1);
    }
    if (this.start < 0) {
      this.buffer = '';
      this.scanned = 0;
    } else {
      this.buffer = text.slice(this.start);
      this.scanned = this.buffer.length;
      this.start = 0;
    }
  }

  private finish(end: number): void {
    const message = this.buffer.slice(this.start, end).trim();
    this.start = -1;
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
    this.lineMode = false;
    if (message !== '') this.onMessage(message);
  }
}
