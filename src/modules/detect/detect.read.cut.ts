/**
 * Cutting a log into runs of whole lines for the reader threads (see detect.read.ts), in buffers
 * reused from run to run. A line longer than maxLineBytes is dropped here, as a piece of its own.
 */

export type Piece =
  /** `last`: the piece ends its buffer's lines (nothing else is left to read in that buffer). */
  | { readonly kind: 'run'; readonly bytes: Buffer; readonly offset: number; readonly last: boolean }
  /** A line longer than maxLineBytes and than a run, dropped here: bytes offset..end. */
  | { readonly kind: 'oversized'; readonly offset: number; readonly end: number };

let runBuffersMade = 0;

/** Run buffers allocated so far, in this process (for tests: they are reused, not made per run). */
export function runBuffersAllocated(): number {
  return runBuffersMade;
}

/**
 * Run buffers reused from run to run: the same few megabytes are cut into again and again
 * instead of one new buffer per megabyte read. New buffers are memory outside the JavaScript
 * heap that the collector counts: hundreds of them in a long log set off full collections,
 * which with a large index in the heap cost the thread hundreds of milliseconds each.
 */
export class RunBuffers {
  readonly #free: ArrayBuffer[] = [];
  /**
   * One buffer larger than a run, kept for the next long line: a line of megabytes grows the run
   * it is in, and new memory costs the thread a fault per page as it is first written, which on
   * some hosts is tens of milliseconds per long line.
   */
  #large: ArrayBuffer | undefined;

  constructor(
    readonly runBytes: number,
    private readonly keep: number,
  ) {}

  take(): Buffer {
    const free = this.#free.pop();
    if (free !== undefined) return Buffer.from(free, 0, this.runBytes);
    runBuffersMade++;
    return Buffer.allocUnsafeSlow(this.runBytes);
  }

  /** A buffer of at least `bytes` (more than a run): the large one kept, if it is large enough. */
  takeLarge(bytes: number): Buffer {
    const large = this.#large;
    if (large !== undefined && large.byteLength >= bytes) {
      this.#large = undefined;
      return Buffer.from(large);
    }
    runBuffersMade++;
    return Buffer.allocUnsafeSlow(bytes);
  }

  /**
   * A buffer done with (read here, or moved back from a thread): those of the run size are kept
   * (up to `keep`), and the largest of the larger ones.
   */
  give(buffer: ArrayBuffer | undefined): void {
    if (buffer === undefined) return;
    if (buffer.byteLength === this.runBytes) {
      if (this.#free.length < this.keep) this.#free.push(buffer);
    } else if (buffer.byteLength > this.runBytes && (this.#large === undefined || buffer.byteLength > this.#large.byteLength)) {
      this.#large = buffer;
    }
  }
}

export class RunCutter {
  readonly pieces: Piece[] = [];
  #acc: Buffer;
  #used = 0;
  /** Input offset of #acc[0]. */
  #start = 0;
  /** Input bytes taken so far. */
  #position = 0;
  #discardFrom = -1;

  constructor(
    private readonly buffers: RunBuffers,
    private readonly maxLineBytes: number,
  ) {
    this.#acc = buffers.take();
  }

  get position(): number {
    return this.#position;
  }

  push(bytes: Buffer): void {
    let at = 0;
    while (at < bytes.length) {
      if (this.#discardFrom >= 0) {
        const newline = bytes.indexOf(0x0a, at);
        if (newline < 0) {
          this.#position += bytes.length - at;
          return;
        }
        this.#position += newline + 1 - at;
        at = newline + 1;
        this.pieces.push({ kind: 'oversized', offset: this.#discardFrom, end: this.#position });
        this.#discardFrom = -1;
        this.#start = this.#position;
        continue;
      }
      const take = Math.min(bytes.length - at, this.#acc.length - this.#used);
      this.#acc.set(bytes.subarray(at, at + take), this.#used);
      this.#used += take;
      this.#position += take;
      at += take;
      if (this.#used === this.#acc.length) this.#cut();
    }
  }

  end(): void {
    if (this.#discardFrom >= 0) {
      this.pieces.push({ kind: 'oversized', offset: this.#discardFrom, end: this.#position });
      this.#discardFrom = -1;
    } else if (this.#used > 0) {
      this.pieces.push({ kind: 'run', bytes: this.#acc.subarray(0, this.#used), offset: this.#start, last: true });
      this.#used = 0;
    }
  }

  /** The buffer is full: its whole lines go out as a run, the rest starts the next buffer. */
  #cut(): void {
    const acc = this.#acc;
    const last = acc.lastIndexOf(0x0a, this.#used - 1);
    if (last >= 0) {
      const rest = this.#used - last - 1;
      const next = rest <= this.buffers.runBytes ? this.buffers.take() : this.buffers.takeLarge(rest);
      next.set(acc.subarray(last + 1, this.#used));
      this.pieces.push({ kind: 'run', bytes: acc.subarray(0, last + 1), offset: this.#start, last: true });
      this.#start += last + 1;
      this.#used -= last + 1;
      this.#acc = next;
    } else if (this.#used > this.maxLineBytes) {
      this.#discardFrom = this.#start;
      this.#used = 0;
    } else {
      const larger = this.buffers.takeLarge(acc.length * 2);
      larger.set(acc.subarray(0, this.#used));
      this.#acc = larger;
      // Nothing else holds the smaller buffer: it serves again.
      this.buffers.give(acc.buffer as ArrayBuffer);
    }
  }
}
