import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NodeState, nodeState } from './state.js';
import type { AppContext } from './context.js';

describe('per-node state', () => {
  const fakeContext = (name: string) => ({ name }) as unknown as AppContext;

  it('creates a slot once per node, on first use, and two nodes share nothing', () => {
    let created = 0;
    const slot = nodeState('test.counter', (ctx) => ({ owner: (ctx as unknown as { name: string }).name, n: ++created }));
    const a = fakeContext('a');
    const b = fakeContext('b');
    const stateA = new NodeState(() => a);
    const stateB = new NodeState(() => b);
    assert.equal(stateA.peek(slot), undefined, 'nothing before first use');
    const first = stateA.get(slot);
    assert.equal(stateA.get(slot), first, 'the same value on every use');
    const other = stateB.get(slot);
    assert.notEqual(other, first);
    assert.deepEqual([first.owner, other.owner, created], ['a', 'b', 2]);
    assert.deepEqual(stateA.names(), ['test.counter']);
  });

  it('disposes what was created, newest first, and forgets it', async () => {
    const disposed: string[] = [];
    const one = nodeState('test.one', () => 'one', (v) => void disposed.push(v));
    const two = nodeState('test.two', () => 'two', async (v) => void disposed.push(v));
    const never = nodeState('test.never', () => 'never', (v) => void disposed.push(v));
    const state = new NodeState(() => fakeContext('x'));
    state.get(one);
    state.get(two);
    await state.dispose();
    assert.deepEqual(disposed, ['two', 'one'], 'a slot never used is not created to be disposed');
    assert.equal(state.peek(one), undefined);
    assert.ok(never);
  });

  it('refuses a name declared twice', () => {
    nodeState('test.twice', () => 1);
    assert.throws(() => nodeState('test.twice', () => 2), /declared twice/);
  });
});
