import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/helpers/global-setup.ts'],
    // Before any test file loads onnxruntime (transformers.js in the parity tests): no telemetry.
    setupFiles: ['tests/helpers/no-telemetry.ts'],
    // Integration tests start processes and talk to Dovecot; give them room on slow CI machines.
    testTimeout: 300_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
