/**
 * A turn of the event loop: resolves once the I/O waiting meanwhile (other requests, their
 * sockets) has been read. Work that loops on this thread over a store whose statements answer at
 * once (SQLite, through better-sqlite3, answers in the same tick) awaits it between its pieces:
 * otherwise the whole loop runs in one go and every other request waits for its end.
 */
export function nextTurn(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}
