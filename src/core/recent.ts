/**
 * Answers made recently, by key, oldest first, for a short time: a reader asking the same again
 * meanwhile is answered the same, without the work, and one being made is shared by those who ask
 * while it is. Bounded in entries and in a size the caller gives each answer (the oldest go
 * first). For answers whose work grows with the store (counts, rankings) that any reader may ask
 * for again and again: asked in a loop, they cost the node one making per key and period.
 */
export class RecentAnswers<T> {
  readonly #made = new Map<string, { at: number; answer: Promise<T>; size: number }>();
  /** The sizes of the answers kept, in all. */
  #size = 0;

  constructor(
    private readonly options: {
      /** How long an answer is given again (ms). */
      keepMs: number;
      /** Answers kept at most. */
      entries: number;
      /** Their sizes in all at most (sizeOf), and how an answer's size is told. */
      size?: number;
      sizeOf?: (answer: T) => number;
    },
  ) {}

  /** The answer made for this key less than keepMs ago (or being made), if any. */
  get(key: string, now: number): Promise<T> | undefined {
    for (const [k, entry] of this.#made) {
      if (now - entry.at <= this.options.keepMs) break;
      this.delete(k);
    }
    return this.#made.get(key)?.answer;
  }

  /** Keeps an answer being made; one that fails is forgotten. */
  set(key: string, now: number, answer: Promise<T>): void {
    this.delete(key);
    const entry = { at: now, answer, size: 0 };
    this.#made.set(key, entry);
    answer.then(
      (made) => {
        if (this.#made.get(key) !== entry) return;
        entry.size = this.options.sizeOf?.(made) ?? 0;
        this.#size += entry.size;
        this.#bound();
      },
      () => {
        if (this.#made.get(key) === entry) this.delete(key);
      },
    );
    this.#bound();
  }

  /** The answer for this key: the recent one, or one made now with `make` (and kept). */
  answer(key: string, now: number, make: () => Promise<T>): Promise<T> {
    const made = this.get(key, now);
    if (made) return made;
    const answer = make();
    this.set(key, now, answer);
    return answer;
  }

  /** Forgets every answer (what they answered changed). */
  clear(): void {
    this.#made.clear();
    this.#size = 0;
  }

  delete(key: string): void {
    const entry = this.#made.get(key);
    if (!entry) return;
    this.#size -= entry.size;
    this.#made.delete(key);
  }

  #bound(): void {
    const size = this.options.size ?? Number.POSITIVE_INFINITY;
    while (this.#made.size > this.options.entries || this.#size > size) this.delete(this.#made.keys().next().value!);
  }
}
