// No telemetry from onnxruntime: the project's own model loader (src/generate/onnx-lm.ts) runs
// a session in a child process with a fresh HOME, under strace where available, with the user's
// environment even asking for telemetry (ORT_DISABLE_TELEMETRY=0). onnxruntime-node 1.30 would
// otherwise write ~/.cache/Microsoft/DeveloperTools/.onnxruntime/{deviceid,onnxruntime.db} and
// try to reach its telemetry service.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dnsOrForeignTraffic, straceAvailable } from '../helpers/egress.js';
import { identityOnnxModel } from '../helpers/onnx-identity.js';

const ROOT = resolve(import.meta.dirname, '../..');

describe('onnxruntime telemetry', () => {
  it('a session created by Understudy writes nothing under ~/.cache/Microsoft and opens no socket', () => {
    const work = mkdtempSync(join(tmpdir(), 'understudy-telemetry-'));
    const home = join(work, 'home');
    const model = join(work, 'model');
    mkdirSync(join(model, 'onnx'), { recursive: true });
    mkdirSync(home);
    writeFileSync(join(model, 'config.json'), JSON.stringify({ num_hidden_layers: 0, vocab_size: 1 }));
    writeFileSync(join(model, 'onnx', 'model.onnx'), identityOnnxModel());
    const script = join(work, 'load.mts');
    writeFileSync(
      script,
      `import { OnnxCausalLm } from ${JSON.stringify(join(ROOT, 'src/generate/onnx-lm.ts'))};\n` +
        `const lm = await OnnxCausalLm.load(${JSON.stringify(model)}, { threads: 1 });\n` +
        `console.log('loaded', lm.shape.vocab);\n` +
        // Telemetry uploads from a background thread; give it time to try.
        'await new Promise((r) => setTimeout(r, 1500));\n',
    );
    const trace = join(work, 'strace.log');
    const node = [process.execPath, '--import', 'tsx', script];
    const command = straceAvailable()
      ? ['strace', '-f', '-qq', '-e', 'trace=connect,sendto,sendmsg,sendmmsg,openat', '-o', trace, ...node]
      : node;
    const run = spawnSync(command[0]!, command.slice(1), {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, HOME: home, XDG_CACHE_HOME: '', ORT_DISABLE_TELEMETRY: '0' },
      timeout: 120_000,
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('loaded 1');
    const cache = join(home, '.cache', 'Microsoft');
    console.log(`onnxruntime session in a child: ~/.cache/Microsoft ${existsSync(cache) ? 'CREATED' : 'absent'}`);
    expect(existsSync(cache), `${cache} was created: onnxruntime telemetry is on`).toBe(false);
    if (existsSync(trace)) {
      const found = dnsOrForeignTraffic(readFileSync(trace, 'utf8'), []);
      console.log(`strace: ${found.length} DNS lookups or connects`);
      expect(found).toEqual([]);
    }
  });
});
