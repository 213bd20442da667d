// Turns off onnxruntime's telemetry for this process and its children. onnxruntime-node 1.30
// uploads usage events to mobile.events.data.microsoft.com by default and keeps a device id and an
// event queue in ~/.cache/Microsoft/DeveloperTools/.onnxruntime/; Understudy talks to no one but
// the user's mail server (README, Privacy). The Node binding has no API for the C API's
// DisableTelemetryEvents, so the switch is the ORT_DISABLE_TELEMETRY variable, which the native
// library reads when its environment is created: at the first InferenceSession, not at import
// (checked with 1.30: setting it after `import('onnxruntime-node')` but before a session works).

/**
 * Sets ORT_DISABLE_TELEMETRY=1 in `env` (default: this process's environment, which children
 * inherit), overriding a user's `0`. Idempotent; call it before any onnxruntime session or
 * transformers.js model is created. Node copies process.env assignments into the C environment
 * (setenv), where the native library reads it.
 */
export function disableOnnxTelemetry(env: NodeJS.ProcessEnv = process.env): void {
  env.ORT_DISABLE_TELEMETRY = '1';
}

// Importing this module is enough: entry points import it first.
disableOnnxTelemetry();
