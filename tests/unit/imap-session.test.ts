// The IMAP session's reconnect schedule (equal jitter over a capped doubling window, drawn from a
// seeded random so the numbers are reproducible) and how it classifies a failure it cannot open.
import { describe, expect, it } from 'vitest';
import type { AccountConfig } from '../../src/config/load.js';
import {
  type BackoffPolicy,
  IDLE_BACKOFF,
  openSession,
  reconnectDelay,
  SYNC_BACKOFF,
  sessionFailure,
} from '../../src/imap/session.js';
import { prng } from '../fixtures/hostile/fuzz-gen.js';

const windowOf = (attempt: number, p: BackoffPolicy) => Math.min(p.capMs, p.baseMs * 2 ** attempt);

const account: AccountConfig = {
  name: 'work',
  host: '127.0.0.1',
  port: 1,
  tls: 'implicit',
  allowInsecure: false,
  tlsRejectUnauthorized: true,
  user: 'ann',
  addresses: [],
  secret: { kind: 'env', name: 'UNDERSTUDY_TEST_SECRET_THAT_IS_NOT_SET' },
  folders: { include: [], exclude: [] },
};

describe('reconnectDelay (equal jitter)', () => {
  it('waits between half the window and the whole window, the window doubling up to the cap', () => {
    for (const policy of [SYNC_BACKOFF, IDLE_BACKOFF]) {
      const random = prng(42);
      for (let attempt = 0; attempt < 25; attempt++) {
        const window = windowOf(attempt, policy);
        const delay = reconnectDelay(attempt, policy, random);
        expect(delay).toBeGreaterThanOrEqual(window / 2);
        expect(delay).toBeLessThanOrEqual(window);
        expect(delay).toBeLessThanOrEqual(policy.capMs);
      }
    }
  });

  it('the ends of the draw are the ends of the upper half of the window', () => {
    const policy = { baseMs: 1000, capMs: 300_000 };
    expect(reconnectDelay(0, policy, () => 0)).toBe(500);
    expect(reconnectDelay(3, policy, () => 0)).toBe(4000);
    expect(reconnectDelay(3, policy, () => 0.999_999)).toBe(8000);
    // Past the cap the window stays at the cap: 2^20 s would be twelve days.
    expect(reconnectDelay(20, policy, () => 0)).toBe(150_000);
    expect(reconnectDelay(20, policy, () => 0.999_999)).toBe(300_000);
  });

  it('a seeded random gives the same schedule every time, spread over the upper half (mean ≈ 3/4 window)', () => {
    const policy = SYNC_BACKOFF;
    const schedule = (seed: number) => {
      const random = prng(seed);
      return Array.from({ length: 8 }, (_, attempt) => reconnectDelay(attempt, policy, random));
    };
    expect(schedule(7)).toEqual(schedule(7));
    expect(schedule(7)).not.toEqual(schedule(8));
    // Many clients that lost the same server at the same time spread out instead of returning together.
    const random = prng(1);
    const draws = Array.from({ length: 2000 }, () => reconnectDelay(6, policy, random) / windowOf(6, policy));
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    expect(mean).toBeGreaterThan(0.72);
    expect(mean).toBeLessThan(0.78);
    expect(Math.min(...draws)).toBeLessThan(0.52);
    expect(Math.max(...draws)).toBeGreaterThan(0.98);
  });

  it('a negative attempt counts as the first', () => {
    expect(reconnectDelay(-1, SYNC_BACKOFF, () => 0)).toBe(250);
  });
});

describe('openSession and sessionFailure', () => {
  it('an unreadable secret is a SecretError (kind config) before any connection is tried', async () => {
    const err = await openSession({ account, settings: { timeoutMs: 1000 } }).catch((e) => e);
    expect(err.name).toBe('SecretError');
    expect(sessionFailure(err, account)).toBe(err);
  });

  it('a given credential is used as is; a refused connection is a temporary ImapError naming the server', async () => {
    const session = await openSession({
      account,
      settings: { timeoutMs: 2000 },
      credential: { type: 'password', value: 'x' },
    });
    const err = await session.connect().catch((e) => e);
    expect(err.name).toBe('ImapError');
    expect(err.kind).toBe('temporary');
    expect(err.message).toContain('127.0.0.1:1');
    expect(session.classify(err)).toBe(err);
  });

  it('classifies what the socket threw; a full disk is a local error, not the server', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const e = sessionFailure(refused, account) as { name: string; kind: string };
    expect(e.name).toBe('ImapError');
    expect(e.kind).toBe('temporary');
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), {
      code: 'ENOSPC',
      syscall: 'write',
    });
    const local = sessionFailure(full, account) as { name: string; code: string };
    expect(local.name).not.toBe('ImapError');
    expect(local.code).toBe('STORE_DISK_FULL');
  });
});
