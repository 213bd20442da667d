// One contract for the five secret sources of src/config/secrets.ts (hono's runTest pattern: the
// same describe/it for each, from a fixture): password_command, oauth2_token_command, env, file and
// keyring return the secret as stored, print nothing, and fail the same way for the same situation
// — SECRET_MISSING, SECRET_EMPTY, SECRET_TIMEOUT — each with a fix and never with the secret.
//
// The keyring: this machine (a container) has no Secret Service and refuses the kernel keyring, and
// @napi-rs/keyring has no mock store of its own. So when a probe finds the real keyring unusable,
// the module is replaced by an in-memory AsyncEntry with the same surface (getPassword /
// setPassword / deletePassword; null for no entry); on a desktop the real keyring is tested.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SecretError } from '../../src/config/errors.js';
import type { AccountConfig, SecretSource } from '../../src/config/load.js';
import { resolveSecret, storeKeyringSecret } from '../../src/config/secrets.js';

const keyring = vi.hoisted(() => ({ backend: 'real' as 'real' | 'in-memory' }));

vi.mock('@napi-rs/keyring', async (importOriginal) => {
  const real = await importOriginal<typeof import('@napi-rs/keyring')>();
  try {
    const probe = new real.AsyncEntry('understudy-contract-probe', `probe-${process.pid}`);
    await probe.setPassword('probe');
    const back = await probe.getPassword();
    await probe.deletePassword();
    if (back === 'probe') return real;
  } catch {
    // AccessDenied / no Secret Service: fall through to the in-memory store
  }
  keyring.backend = 'in-memory';
  const store = new Map<string, string>();
  class AsyncEntry {
    private readonly key: string;
    constructor(service: string, user: string) {
      this.key = `${service}\u0000${user}`;
    }
    async getPassword(): Promise<string | null> {
      return store.get(this.key) ?? null;
    }
    async setPassword(password: string): Promise<void> {
      store.set(this.key, password);
    }
    async deletePassword(): Promise<boolean> {
      return store.delete(this.key);
    }
  }
  return { ...real, AsyncEntry };
});

/** A source set up for one case, and the environment resolveSecret runs with. */
interface Arranged {
  source: SecretSource;
  env: NodeJS.ProcessEnv;
}

/** How to set up each case for one secret source. */
interface SecretSourceFixture {
  /** The config key. */
  key: string;
  type: 'password' | 'accessToken';
  holding(secret: string): Promise<Arranged>;
  missing(): Promise<Arranged>;
  empty(): Promise<Arranged>;
  /** Sources that run something can hang: it must be stopped (SECRET_TIMEOUT). */
  hanging?(secret: string): Promise<Arranged>;
  /** The secret is there but refused (a command that fails after printing it, a file others can read). */
  refused?(secret: string): Promise<Arranged>;
}

const dir = mkdtempSync(join(tmpdir(), 'understudy-contract-secrets-'));
let serial = 0;
const unique = () => `${process.pid}-${++serial}`;

const account = (secret: SecretSource): AccountConfig => ({
  name: 'work',
  host: 'imap.example.org',
  port: 993,
  tls: 'implicit',
  allowInsecure: false,
  tlsRejectUnauthorized: true,
  user: 'ann',
  addresses: [],
  secret,
  folders: { include: [], exclude: [] },
});

/** A file holding `text`, for commands to print (no secret on a command line either). */
function textFile(text: string, mode = 0o600): string {
  const path = join(dir, `s-${unique()}`);
  writeFileSync(path, text, { mode });
  return path;
}

function commandFixture(key: string, kind: 'command' | 'oauth2_command'): SecretSourceFixture {
  const arranged = (command: string): Arranged => ({ source: { kind, command }, env: process.env });
  return {
    key,
    type: kind === 'command' ? 'password' : 'accessToken',
    holding: async (secret) => arranged(`cat '${textFile(`${secret}\nsecond line\n`)}'`),
    missing: async () => arranged(`understudy-no-such-command-${unique()}`),
    empty: async () => arranged('printf ""'),
    hanging: async (secret) => arranged(`cat '${textFile(`${secret}\n`)}'; sleep 30`),
    refused: async (secret) => arranged(`cat '${textFile(`${secret}\n`)}'; echo 'gpg: decryption failed' >&2; exit 2`),
  };
}

const fixtures: SecretSourceFixture[] = [
  commandFixture('password_command', 'command'),
  commandFixture('oauth2_token_command', 'oauth2_command'),
  {
    key: 'password_env',
    type: 'password',
    holding: async (secret) => ({ source: { kind: 'env', name: 'UNDERSTUDY_PW' }, env: { UNDERSTUDY_PW: secret } }),
    missing: async () => ({ source: { kind: 'env', name: 'UNDERSTUDY_PW' }, env: {} }),
    empty: async () => ({ source: { kind: 'env', name: 'UNDERSTUDY_PW' }, env: { UNDERSTUDY_PW: '' } }),
  },
  {
    key: 'password_file',
    type: 'password',
    holding: async (secret) => ({ source: { kind: 'file', path: textFile(`${secret}\n`) }, env: {} }),
    missing: async () => ({ source: { kind: 'file', path: join(dir, `absent-${unique()}`) }, env: {} }),
    empty: async () => ({ source: { kind: 'file', path: textFile('') }, env: {} }),
    refused: async (secret) => ({ source: { kind: 'file', path: textFile(`${secret}\n`, 0o644) }, env: {} }),
  },
  {
    key: 'password_keyring',
    type: 'password',
    holding: async (secret) => {
      const user = `ann-${unique()}`;
      await storeKeyringSecret('work', 'understudy-contract', user, secret);
      return { source: { kind: 'keyring', service: 'understudy-contract', user }, env: {} };
    },
    missing: async () => ({
      source: { kind: 'keyring', service: 'understudy-contract', user: `nobody-${unique()}` },
      env: {},
    }),
    empty: async () => {
      const user = `empty-${unique()}`;
      await storeKeyringSecret('work', 'understudy-contract', user, '');
      return { source: { kind: 'keyring', service: 'understudy-contract', user }, env: {} };
    },
  },
];

/** Runs `resolve` and returns what it wrote to stdout, stderr and the console meanwhile. */
async function quietly<T>(resolve: () => Promise<T>): Promise<{ value?: T; error?: unknown; written: string }> {
  const written: string[] = [];
  const capture = (chunk: unknown) => {
    written.push(String(chunk));
    return true;
  };
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(capture),
    vi.spyOn(process.stderr, 'write').mockImplementation(capture),
    ...(['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
      vi.spyOn(console, m).mockImplementation((...args) => void written.push(args.join(' '))),
    ),
  ];
  try {
    return { value: await resolve(), written: written.join('') };
  } catch (error) {
    return { error, written: written.join('') };
  } finally {
    for (const s of spies) s.mockRestore();
  }
}

/** Every string an error carries: message, fix, its causes, its JSON. */
function everythingSaid(err: unknown): string {
  const parts: string[] = [];
  for (let e = err as (Error & { fix?: string }) | undefined, depth = 0; e && depth < 5; depth++) {
    parts.push(String(e.message), String(e.fix ?? ''), String(e.stack ?? ''), JSON.stringify(e));
    e = e.cause as typeof e;
  }
  return parts.join('\n');
}

async function expectFailure(arranged: Arranged, code: string, timeoutMs?: number): Promise<SecretError> {
  const { error, written } = await quietly(() =>
    resolveSecret(account(arranged.source), arranged.env, timeoutMs ? { commandTimeoutMs: timeoutMs } : {}),
  );
  expect(error).toBeInstanceOf(SecretError);
  const err = error as SecretError;
  expect(err.code).toBe(code);
  expect(err.account).toBe('work');
  expect(err.fix.length, 'a fix the user can act on').toBeGreaterThan(10);
  expect(err.message).toContain(`fix: ${err.fix}`);
  expect(written).toBe('');
  return err;
}

function runSecretSourceContract(f: SecretSourceFixture): void {
  describe(`secret source ${f.key}`, () => {
    const secret = `correct horse ${f.key} bättery-staple`;

    it('returns the secret as stored (its first line), with the right credential type', async () => {
      const arranged = await f.holding(secret);
      expect(await resolveSecret(account(arranged.source), arranged.env)).toEqual({ type: f.type, value: secret });
    });

    it('prints nothing and logs nothing while it reads', async () => {
      const arranged = await f.holding(secret);
      const { value, written } = await quietly(() => resolveSecret(account(arranged.source), arranged.env));
      expect(value?.value).toBe(secret);
      expect(written).toBe('');
    });

    it('missing: SECRET_MISSING with a fix', async () => {
      await expectFailure(await f.missing(), 'SECRET_MISSING');
    });

    it('empty: SECRET_EMPTY with a fix', async () => {
      await expectFailure(await f.empty(), 'SECRET_EMPTY');
    });

    if (f.hanging) {
      const hanging = f.hanging;
      it('hanging: SECRET_TIMEOUT with a fix, and what it printed before is not in the error', async () => {
        const err = await expectFailure(await hanging(secret), 'SECRET_TIMEOUT', 500);
        expect(everythingSaid(err)).not.toContain(secret);
      });
    }

    if (f.refused) {
      const refused = f.refused;
      it('refused while holding the secret: the error never contains it', async () => {
        const arranged = await refused(secret);
        const { error } = await quietly(() => resolveSecret(account(arranged.source), arranged.env));
        expect(error).toBeInstanceOf(SecretError);
        expect(everythingSaid(error)).not.toContain(secret);
      });
    }
  });
}

describe('the five secret sources, one contract', () => {
  beforeEach(() => {
    vi.useRealTimers();
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  for (const f of fixtures) runSecretSourceContract(f);

  it('covers every kind of source the config accepts', async () => {
    const kinds = new Set(await Promise.all(fixtures.map(async (f) => (await f.missing()).source.kind)));
    expect([...kinds].sort()).toEqual(['command', 'env', 'file', 'keyring', 'oauth2_command']);
    console.log(JSON.stringify({ contract: 'secret-sources', sources: fixtures.length, keyring: keyring.backend }));
  });
});
