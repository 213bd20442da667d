// Vitest setup file: every test worker runs without onnxruntime telemetry, also the test files
// that create transformers.js models directly (src/config/no-telemetry.ts says why).
import { disableOnnxTelemetry } from '../../src/config/no-telemetry.js';

disableOnnxTelemetry();
