// The suite refuses to run against a server that is not in sandbox mode (support/providers.ts
// checks it when the specs load); this test reports what the server lists.

import { test } from '@playwright/test';
import { assert } from './support/checks';
import { BASE_URL, JWT_BASE_URL } from './support/env';
import { preflight } from './support/providers';

test('server is up in sandbox mode', async () => {
  const providers = await preflight();
  assert(providers.some((p) => p.id === 'hubspot'), 'the server lists a hubspot integration');
  console.log(`e2e against ${BASE_URL}${JWT_BASE_URL ? `, jwt server ${JWT_BASE_URL}` : ''}`);
  console.log(`providers in sandbox mode: ${providers.filter((p) => p.sandbox).map((p) => p.id).join(', ')}`);
});
