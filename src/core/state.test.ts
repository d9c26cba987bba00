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

describe('per-store state', () => {
  it('is shared by the node contexts on one store, apart from the node state, and disposed when the store closes', async () => {
    const { openStore } = await import('../db/database.js');
    const { createContext } = await import('../app.js');
    const { loadConfig } = await import('../config/config.js');
    const { storeState } = await import('./state.js');
    const { createLogger } = await import('./logger.js');
    const disposed: number[] = [];
    let made = 0;
    const slot = storeState('test.store-cache', () => ({ n: ++made }), (v) => void disposed.push(v.n));
    const perNode = nodeState('test.node-cache', () => ({}));
    const store = openStore('sqlite::memory:');
    const config = loadConfig({}, { databaseUrl: 'sqlite::memory:', demo: false, logLevel: 'silent' });
    const a = createContext({ config, store, logger: createLogger('silent') });
    const b = createContext({ config, store, logger: createLogger('silent') });
    assert.equal(a.store.state.get(slot), b.store.state.get(slot), 'one value per store');
    assert.notEqual(a.state.get(perNode), b.state.get(perNode), 'one value per node');
    await store.close();
    assert.deepEqual(disposed, [1]);
  });
});
