/// <reference types="vitest/config" />
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// REACT_APP_API_BASE_URL is kept for compatibility with the previous Create React App
// front end; Vite only exposes variables whose names start with one of these prefixes.
export default defineConfig({
  plugins: [react()],
  envPrefix: ['VITE_', 'REACT_APP_'],
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/_sandbox': 'http://127.0.0.1:8080',
    },
  },
  build: {
    outDir: 'dist',
    // No public source maps in the production build (the issue: a 1.9 MB map was served to everyone).
    sourcemap: false,
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['./src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    restoreMocks: true,
    unstubGlobals: true,
  },
});
