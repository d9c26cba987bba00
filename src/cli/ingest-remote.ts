/**
 * Feeds a running node: the file is read with the same streaming reader, cut into bundles of a
 * few thousand objects, and each is POSTed to /api/v1/bundles, so no upload exceeds the body
 * limit however large the file.
 */
import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import type { IngestProgress, IngestSummary, ObjectOutcome } from '../modules/intel/intel.service.js';
import { StixStreamReader } from '../stix/stream-reader.js';

export interface RemoteOptions {
  url: string;
  token: string;
  chunkObjects: number;
  maxObjectBytes?: number;
  onOutcome: (o: ObjectOutcome) => void;
  onProgress: (p: IngestProgress) => void;
}

interface RemoteAnswer {
  summary?: { upgraded?: number };
  objects?: ObjectOutcome[];
  error?: { message: string };
}

export async function ingestRemote(chunks: AsyncIterable<Uint8Array>, options: RemoteOptions): Promise<IngestSummary> {
  const started = Date.now();
  // The node judges depth by its own limit; bytes that are not UTF-8 are refused here already,
  // with their offset in the file rather than in the bundles sent.
  const reader = new StixStreamReader({ maxObjectBytes: options.maxObjectBytes ?? 64 * 1024 * 1024, maxDepth: Number.MAX_SAFE_INTEGER });
  const endpoint = new URL('/api/v1/bundles?outcomes=all', options.url);
  const progress: IngestProgress = { objects: 0, accepted: 0, duplicate: 0, rejected: 0, bytes: 0 };
  const streamErrors: string[] = [];
  let upgraded = 0;
  let texts: string[] = [];
  let indexes: Array<{ index: number; offset: number; line: number | undefined }> = [];

  const record = (o: ObjectOutcome) => {
    progress[o.status]++;
    progress.objects++;
    options.onOutcome(o);
  };

  const send = async () => {
    if (texts.length === 0) return;
    const spec = reader.header.specVersion ? `,"spec_version":${JSON.stringify(reader.header.specVersion)}` : '';
    const body = `{"type":"bundle","id":"bundle--${randomUUID()}"${spec},"objects":[${texts.join(',')}]}`;
    const response = await request(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${options.token}` },
      body,
    });
    const answer = (await response.body.json()) as RemoteAnswer;
    if (response.statusCode !== 200) {
      throw new Error(`node answered ${response.statusCode}: ${answer.error?.message ?? 'no message'}; ${progress.accepted} objects were accepted before this`);
    }
    upgraded += answer.summary?.upgraded ?? 0;
    for (const o of answer.objects ?? []) {
      const source = indexes[o.index];
      record({ ...o, index: source?.index ?? o.index, ...(source ? { offset: source.offset } : {}), ...(source?.line !== undefined ? { line: source.line } : {}) });
    }
    texts = [];
    indexes = [];
    progress.bytes = reader.bytesRead;
    options.onProgress({ ...progress });
  };

  for await (const entry of reader.entries(chunks)) {
    if (entry.kind === 'error') {
      if (entry.index === undefined) streamErrors.push(entry.message);
      else record({ index: entry.index, status: 'rejected', offset: entry.offset, errors: [{ path: entry.path ?? '$', rule: entry.rule ?? 'structure', message: entry.message }] });
      continue;
    }
    try {
      JSON.parse(entry.text);
    } catch (error) {
      record({ index: entry.index, status: 'rejected', offset: entry.offset, errors: [{ path: '$', rule: 'json-syntax', message: `invalid JSON in object ${entry.index} at byte ${entry.offset}: ${(error as Error).message}` }] });
      continue;
    }
    texts.push(entry.text);
    indexes.push({ index: entry.index, offset: entry.offset, line: entry.line });
    if (texts.length >= options.chunkObjects) await send();
  }
  await send();
  const seconds = (Date.now() - started) / 1000;
  return {
    ...progress,
    bytes: reader.bytesRead,
    format: reader.header.format,
    specVersion: reader.header.specVersion,
    upgraded,
    seconds,
    objectsPerSecond: seconds > 0 ? progress.objects / seconds : progress.objects,
    streamErrors,
  };
}
