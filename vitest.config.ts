import { defineConfig } from 'vitest/config';
import LongestFirstSequencer from './tests/helpers/sequencer.js';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/helpers/global-setup.ts'],
    // Before any test file loads onnxruntime (transformers.js in the parity tests): no telemetry.
    setupFiles: ['tests/helpers/no-telemetry.ts'],
    // Integration tests start processes and talk to Dovecot; give them room on slow CI machines.
    testTimeout: 300_000,
    // Two test files at a time even on a 2-core CI machine (vitest's default there is one): most of
    // an integration test's wall time is spent waiting on Dovecot, IDLE and child processes, so a
    // second file overlaps those waits. Every file makes its own Dovecot users and temp dirs.
    maxWorkers: 2,
    // The long integration files first, longest first (tests/helpers/sequencer.ts): the wall time
    // of two workers is bounded by the file that starts last.
    sequence: { sequencer: LongestFirstSequencer },
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
