/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';

// Tauri: frontendDist = ../ui/dist, devUrl = http://localhost:1420.
export default defineConfig({
  plugins: [svelte(), svelteTesting()],
  clearScreen: false,
  server: {
    port: 1420,
    strictPort: true,
    host: 'localhost',
    watch: { ignored: ['**/src-tauri/**'] },
  },
  preview: {
    port: 1420,
    strictPort: true,
    host: 'localhost',
  },
  envPrefix: ['VITE_', 'TAURI_ENV_'],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // WebKitGTK (Linux), WebView2 (Windows), WKWebView (macOS) are all recent.
    target: 'es2022',
    sourcemap: false,
    // Keep every asset a file: strict CSP forbids data: URIs for scripts/styles.
    assetsInlineLimit: 0,
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    setupFiles: ['./src/test-setup.ts'],
    // A guard against a hang, not a speed check: on a loaded 2-core machine a test that types
    // and waits for the debounced search can take longer than vitest's default 5 s.
    testTimeout: 30_000,
  },
});
