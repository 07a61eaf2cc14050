import '@testing-library/jest-dom/vitest';
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { cleanup } from '@testing-library/react';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { resetEmbedForTests } from '../auth/embed';
import { setAuthMode } from '../auth/mode';
import { resetDatasetStoreForTests } from '../dataset/store';
import { resetSessionForTests } from '../session';
import { server } from './server';

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
beforeEach(() => {
  // Every test starts with an empty IndexedDB (no dataset synced before).
  globalThis.indexedDB = new IDBFactory();
  resetDatasetStoreForTests();
  window.localStorage.clear();
  resetSessionForTests();
  resetEmbedForTests();
  setAuthMode('dev');
});
afterEach(() => {
  cleanup();
  server.resetHandlers();
});
afterAll(() => server.close());
