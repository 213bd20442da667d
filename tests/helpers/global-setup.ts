// Vitest global setup: one real Dovecot for the whole run; test files create their own users.
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { type DovecotInfo, startDovecot } from './dovecot.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dovecot: DovecotInfo;
  }
}

export default async function setup(project: TestProject) {
  const server = await startDovecot({ tls: true });
  project.provide('dovecot', server.info);
  return async () => {
    await server.stop();
  };
}
