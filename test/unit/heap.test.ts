// Process-wide memory settings: the environment the extension starts the language server with.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { serverProcessEnv } from '../../server/src/heap';

test('the server gets one malloc arena unless the user chose a value, and the rest of the environment as is', () => {
  const env = serverProcessEnv({ PATH: '/usr/bin', HOME: '/home/k' });
  assert.equal(env.MALLOC_ARENA_MAX, '1');
  assert.equal(env.PATH, '/usr/bin');
  assert.equal(env.HOME, '/home/k');
  assert.equal(serverProcessEnv({ MALLOC_ARENA_MAX: '4' }).MALLOC_ARENA_MAX, '4');
});
