/**
 * An upload over a real connection, as a client writing a large body sends it: chunked (no
 * Content-Length), in pieces, with a pause part way. Through `app.inject` a server's answer
 * always arrives; over a socket it arrives only if the server reads what the client sends.
 */
import http from 'node:http';

export interface Answer {
  status: number;
  text: string;
}

/**
 * POSTs `payload` to `url`: the bytes before `cut` first, then (once `between` resolves) the rest.
 * Rejects when the answer is cut short (the connection reset under it) or the request fails.
 */
export function uploadInParts(url: string, headers: Record<string, string>, payload: Buffer, cut: number, between: () => Promise<void>): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    // A connection of its own (no keep-alive): the node closes at the end with nothing left open.
    const request = http.request(url, { method: 'POST', agent: false, headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (d: string) => (text += d));
      response.on('end', () => resolve({ status: response.statusCode!, text }));
      // A connection reset under the answer ends it without 'end'.
      response.on('close', () => response.complete || reject(new Error(`the ${response.statusCode} answer was cut short after ${text.length} characters`)));
    });
    request.on('error', reject);
    const send = (from: number, to: number, then: () => void) => {
      let at = from;
      const next = () => {
        while (at < to) {
          const piece = payload.subarray(at, Math.min(to, (at += 64 * 1024)));
          if (!request.write(piece)) return void request.once('drain', next);
        }
        then();
      };
      next();
    };
    send(0, cut, () => between().then(() => send(cut, payload.length, () => request.end()), reject));
  });
}
