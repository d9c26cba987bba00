/** A bundle posted to a test node's POST /api/v1/bundles, and its outcomes in a form tests compare. */
import assert from 'node:assert/strict';
import { bundle } from './factories.js';
import type { TestNode } from './node.js';

export interface Outcome {
  status: string;
  id?: string;
  errors?: Array<{ rule: string; path: string; message: string }>;
}

/** The objects posted as one bundle with `token`: each object's outcome (the answer must be 200). */
export async function postBundle(node: TestNode, token: string, objects: unknown[]): Promise<Outcome[]> {
  const response = await node.app.inject({ method: 'POST', url: '/api/v1/bundles', payload: bundle(objects), headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
  assert.equal(response.statusCode, 200, response.body);
  return (response.json() as { objects: Outcome[] }).objects;
}

/** Each outcome as `accepted`, `duplicate` or `rejected:<rule>`. */
export function outcomesOf(list: readonly Outcome[]): string[] {
  return list.map((o) => (o.status === 'rejected' ? `rejected:${o.errors?.[0]?.rule}` : o.status));
}
