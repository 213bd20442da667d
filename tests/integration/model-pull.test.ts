// `model pull` against a loopback HTTP server that serves a repository in the Hugging Face hub's
// URL layout: resumable downloads, hash verification, safetensors only, nothing re-downloaded.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PullError, pullModel, readManifest } from '../../src/model/pull.js';

const COMMIT = 'a'.repeat(40);
const files: Record<string, Buffer> = {
  'config.json': Buffer.from(JSON.stringify({ architectures: ['LlamaForCausalLM'], model_type: 'llama' })),
  'tokenizer.json': Buffer.from(JSON.stringify({ model: { vocab: {} } })),
  'tokenizer_config.json': Buffer.from('{}'),
  'model.safetensors': randomBytes(300_000),
  'pytorch_model.bin': randomBytes(1000),
  'README.md': Buffer.from('# tiny\n'),
};
const gitSha1 = (b: Buffer) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('model pull from a hub on loopback', () => {
  let server: Server;
  let hubUrl: string;
  const requests: { path: string; range?: string }[] = [];
  let dropNextWeights = false;
  let corrupt = false;
  /** The data folder of the pull whose weights are cut off (its `.part` file is watched). */
  let cutDataDir = '';

  /** Bytes in any `*.part` file under dir (the download in progress). */
  const partBytes = (dir: string): number =>
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.part'))
      .reduce((n, e) => n + statSync(join(e.parentPath, e.name)).size, 0);

  /**
   * Waits (at most 10 s) until the client has stored some of the bytes sent: a connection cut the
   * moment the bytes leave the server can take them with it on a busy machine (the client's body
   * stream errors before its last chunks reach the file), and then there is nothing to resume.
   */
  const untilStored = async (dir: string): Promise<void> => {
    for (let i = 0; i < 200 && partBytes(dir) === 0; i++) await new Promise((r) => setTimeout(r, 50));
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      requests.push({ path: url.pathname, ...(req.headers.range ? { range: req.headers.range } : {}) });
      const json = (body: unknown) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(body));
      };
      if (url.pathname === '/api/models/test-org/tiny/commits/main') {
        return json([
          {
            id: COMMIT,
            title: 'init',
            message: 'init',
            authors: [{ user: 'x', avatar: '' }],
            date: '2026-01-01T00:00:00Z',
          },
        ]);
      }
      if (url.pathname === `/api/models/test-org/tiny/tree/${COMMIT}`) {
        return json(
          Object.entries(files).map(([path, data]) =>
            path.endsWith('.safetensors') || path.endsWith('.bin')
              ? {
                  type: 'file',
                  path,
                  size: data.length,
                  oid: gitSha1(Buffer.from('pointer')),
                  lfs: { oid: sha256(data), size: data.length, pointerSize: 130 },
                }
              : { type: 'file', path, size: data.length, oid: gitSha1(data) },
          ),
        );
      }
      const m = url.pathname.match(/^\/test-org\/tiny\/resolve\/([^/]+)\/(.+)$/);
      const data = m && m[1] === COMMIT ? files[m[2] ?? ''] : undefined;
      if (!data) {
        res.statusCode = 404;
        res.setHeader('X-Error-Code', 'EntryNotFound');
        return res.end('not found');
      }
      let body = corrupt && m?.[2] === 'model.safetensors' ? Buffer.from(data).fill(1, 0, 10) : data;
      const range = req.headers.range?.match(/^bytes=(\d+)-$/);
      if (range) {
        body = body.subarray(Number(range[1]));
        res.statusCode = 206;
        res.setHeader('content-range', `bytes ${range[1]}-${data.length - 1}/${data.length}`);
      }
      res.setHeader('content-length', body.length);
      if (dropNextWeights && m?.[2] === 'model.safetensors') {
        dropNextWeights = false;
        // Half the weights, then the connection dies.
        res.write(body.subarray(0, 120_000), () => void untilStored(cutDataDir).then(() => res.socket?.destroy()));
        return;
      }
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    hubUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('resumes an interrupted download with a Range request and verifies every file', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'understudy-pull-'));
    dropNextWeights = true;
    cutDataDir = dataDir;
    const first = await pullModel({ model: 'test-org/tiny', dataDir, hubUrl }).catch((e) => e);
    expect(first).toBeInstanceOf(PullError);
    expect(first.code).toBe('NETWORK');
    expect(first.message).toMatch(/run the pull again to resume/);

    const before = requests.length;
    const progress: number[] = [];
    const second = await pullModel({
      model: 'test-org/tiny',
      dataDir,
      hubUrl,
      onProgress: (p) => progress.push(p.bytes),
    });
    const resumed = requests.slice(before).find((r) => r.path.endsWith('model.safetensors'));
    const resumedAt = Number(resumed?.range?.match(/^bytes=(\d+)-$/)?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(120_000);
    expect(readFileSync(join(second.dir, 'model.safetensors')).equals(files['model.safetensors']!)).toBe(true);
    expect(existsSync(join(second.dir, 'pytorch_model.bin'))).toBe(false);
    expect(second.manifest.commit).toBe(COMMIT);
    expect(second.manifest.files.map((f) => f.path).sort()).toEqual([
      'README.md',
      'config.json',
      'model.safetensors',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    expect(readManifest(second.dir)?.files.find((f) => f.path === 'model.safetensors')?.sha256).toBe(
      sha256(files['model.safetensors']!),
    );
    expect(progress.at(-1)).toBe(second.manifest.files.reduce((n, f) => n + f.size, 0));

    // Everything is there and verified: nothing is fetched again.
    const third = await pullModel({ model: 'test-org/tiny', dataDir, hubUrl });
    expect(third.downloaded).toBe(0);
    console.log(
      `resumed at byte ${resumedAt}; ${second.downloaded} files downloaded, then ${third.downloaded} on a repeat pull`,
    );
  });

  it('refuses a file whose hash does not match, and names the problem', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'understudy-pull-'));
    corrupt = true;
    const err = await pullModel({ model: 'test-org/tiny', dataDir, hubUrl }).catch((e) => e);
    corrupt = false;
    expect(err).toBeInstanceOf(PullError);
    expect(err.code).toBe('VERIFY_FAILED');
    expect(err.message).toMatch(/model\.safetensors does not match its published sha256/);
  });

  it('reports unknown repositories and repositories without safetensors', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'understudy-pull-'));
    const missing = await pullModel({ model: 'test-org/none', dataDir, hubUrl }).catch((e) => e);
    expect(missing.code).toBe('UNKNOWN_MODEL');
    delete files['model.safetensors'];
    const unsafe = await pullModel({ model: 'test-org/tiny', dataDir, hubUrl }).catch((e) => e);
    expect(unsafe.code).toBe('NO_SAFETENSORS');
  });
});
