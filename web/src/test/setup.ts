import '@testing-library/jest-dom/vitest';
import { cleanup } from '@testing-library/react';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { resetEmbedForTests } from '../auth/embed';
import { setAuthMode } from '../auth/mode';
import { resetSessionForTests } from '../session';
import { server } from './server';

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
beforeEach(() => {
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
