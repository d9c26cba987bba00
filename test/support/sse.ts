/** A reader of the live feed (Server-Sent Events) for tests, as EventSource reads it. */
export interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
}

/** An open stream: the events parsed so far, and a way to close it. */
export interface Stream {
  status: number;
  events: SseEvent[];
  /** Everything received, as text. */
  raw: string;
  /** Comment lines (": ...") received. */
  comments: string[];
  /** The server ended the stream. */
  ended: boolean;
  close(): void;
}

/** A stream opened with a bearer token, or with these headers (a session's cookie). */
export async function openStream(base: string, credential: string | Record<string, string>, lastEventId?: string): Promise<Stream> {
  const controller = new AbortController();
  const auth = typeof credential === 'string' ? { authorization: `Bearer ${credential}` } : credential;
  const response = await fetch(`${base}/api/v1/events`, {
    headers: { ...auth, accept: 'text/event-stream', ...(lastEventId !== undefined ? { 'last-event-id': lastEventId } : {}) },
    signal: controller.signal,
  });
  const stream: Stream = { status: response.status, events: [], raw: '', comments: [], ended: false, close: () => controller.abort() };
  if (response.status !== 200 || !response.body) return stream;
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        const text = decoder.decode(chunk, { stream: true });
        stream.raw += text;
        buffer += text;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: SseEvent = {};
          for (const line of block.split('\n')) {
            const colon = line.indexOf(':');
            if (colon === 0) stream.comments.push(line.slice(1).trim());
            if (colon <= 0) continue; // comments (": keep-alive") and blank lines
            const field = line.slice(0, colon);
            const value = line.slice(colon + 1).trimStart();
            if (field === 'id' || field === 'event' || field === 'data') event[field] = value;
          }
          if (event.data !== undefined) stream.events.push(event);
        }
      }
      stream.ended = true;
    } catch {
      // aborted by close()
    }
  })();
  return stream;
}

