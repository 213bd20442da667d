// The worker sandbox's choice and command lines: systemd-run, unshare, sandbox-exec (macOS, which
// cannot run here: only its command line is checked) and the fallback, with a fake probe.
import { describe, expect, it } from 'vitest';
import {
  detectSandbox,
  MINIMAL_UNIT_PROPERTIES,
  type Probe,
  sandboxCommand,
  sandboxProfile,
  TRAINER_UNIT_PROPERTIES,
} from '../../src/worker/sandbox.js';

/** A probe that accepts the command lines `works` says yes to, and records every try. */
function fakeProbe(works: (command: string, args: string[]) => boolean) {
  const tried: string[] = [];
  const probe: Probe = (command, args) => {
    tried.push([command, ...args].join(' '));
    return works(command, args) ? { ok: true, detail: '' } : { ok: false, detail: 'exit 1: nope' };
  };
  return { probe, tried };
}

const linux = { platform: 'linux' as const, exists: () => false };

describe('worker sandbox: which one', () => {
  it('off in the config: none, and nothing is probed', () => {
    const { probe, tried } = fakeProbe(() => true);
    expect(detectSandbox({ ...linux, mode: 'off', probe })).toMatchObject({ kind: 'none', reason: /train\.sandbox/ });
    expect(tried).toEqual([]);
  });

  it('under systemd (INVOCATION_ID): a transient user service with the unit properties', () => {
    const { probe, tried } = fakeProbe((c) => c === 'systemd-run');
    const plan = detectSandbox({ ...linux, env: { INVOCATION_ID: 'abc' }, uid: 1000, probe });
    expect(plan.kind).toBe('systemd');
    expect(plan.properties).toEqual(TRAINER_UNIT_PROPERTIES);
    expect(tried[0]).toMatch(/^systemd-run --user .*-p PrivateNetwork=yes -p IPAddressDeny=any .* -- \/bin\/true$/);
  });

  it('a user manager that refuses some property (the IP firewall): the minimal set, still PrivateNetwork', () => {
    const { probe } = fakeProbe((c, a) => c === 'systemd-run' && !a.includes('IPAddressDeny=any'));
    const plan = detectSandbox({ ...linux, env: { XDG_RUNTIME_DIR: '/run/user/1000' }, exists: () => true, probe });
    expect(plan.kind).toBe('systemd');
    expect(plan.properties).toEqual(MINIMAL_UNIT_PROPERTIES);
    expect(plan.properties).toContain('PrivateNetwork=yes');
  });

  it('no systemd: unshare --net; as root without a user namespace, else mapping the current user first', () => {
    const root = fakeProbe((c) => c === 'unshare');
    expect(detectSandbox({ ...linux, env: {}, uid: 0, probe: root.probe })).toMatchObject({ kind: 'unshare' });
    expect(root.tried).toEqual(['unshare --net true']);
    const user = fakeProbe((c, a) => c === 'unshare' && a.includes('--map-root-user'));
    expect(detectSandbox({ ...linux, env: {}, uid: 1000, probe: user.probe })).toMatchObject({
      kind: 'unshare',
      mapUser: '--map-root-user',
    });
    expect(user.tried).toEqual(['unshare --net --map-current-user true', 'unshare --net --map-root-user true']);
  });

  it('systemd failing falls back to unshare; nothing working is none, with every reason', () => {
    const fallback = fakeProbe((c) => c === 'unshare');
    expect(detectSandbox({ ...linux, env: { INVOCATION_ID: 'x' }, uid: 0, probe: fallback.probe }).kind).toBe(
      'unshare',
    );
    const nothing = fakeProbe(() => false);
    const plan = detectSandbox({ ...linux, env: { INVOCATION_ID: 'x' }, uid: 0, probe: nothing.probe });
    expect(plan.kind).toBe('none');
    expect(plan.reason).toMatch(/systemd-run --user: exit 1: nope.*unshare --net: exit 1: nope/);
  });

  it('macOS: sandbox-exec with the shipped profile, which denies the network', async () => {
    const { probe, tried } = fakeProbe(() => true);
    const plan = detectSandbox({ platform: 'darwin', exists: () => true, probe });
    expect(plan).toMatchObject({ kind: 'sandbox-exec', profile: sandboxProfile() });
    expect(tried).toEqual([`/usr/bin/sandbox-exec -f ${sandboxProfile()} /usr/bin/true`]);
    const { readFileSync } = await import('node:fs');
    const profile = readFileSync(sandboxProfile(), 'utf8');
    expect(profile).toMatch(/^\(version 1\)$/m);
    expect(profile).toMatch(/^\(deny network\*\)$/m);
    expect(detectSandbox({ platform: 'darwin', exists: () => false, probe }).kind).toBe('none');
  });
});

describe('worker sandbox: command lines', () => {
  const worker = ['/models/trainer/worker.py', 'train', '--config', '-'];
  const env = {
    PATH: '/usr/bin',
    HOME: '/home/ann',
    PYTHONUNBUFFERED: '1',
    CUDA_VISIBLE_DEVICES: '0',
    MAIL_PW: 'hunter2',
  };

  it('systemd: systemd-run --user --pipe --wait in the worker folder, interrupt through systemctl kill', () => {
    const c = sandboxCommand(
      { kind: 'systemd', reason: '', properties: TRAINER_UNIT_PROPERTIES },
      'nice',
      ['-n', '10', 'python3', ...worker],
      {
        cwd: '/models',
        env,
        unit: 'understudy-worker-1-1',
      },
    );
    expect(c.command).toBe('systemd-run');
    const dash = c.args.indexOf('--');
    expect(c.args.slice(dash + 1)).toEqual(['nice', '-n', '10', 'python3', ...worker]);
    const options = c.args.slice(0, dash);
    expect(options).toEqual(
      expect.arrayContaining([
        '--user',
        '--pipe',
        '--wait',
        '--collect',
        '--unit=understudy-worker-1-1',
        '--working-directory=/models',
      ]),
    );
    expect(options.join(' ')).toContain(
      '-p PrivateNetwork=yes -p IPAddressDeny=any -p RestrictAddressFamilies=AF_UNIX',
    );
    // What Python and the GPU runtime read goes in; other variables (a password_env secret) never do.
    expect(options).toEqual(expect.arrayContaining(['--setenv=PATH=/usr/bin', '--setenv=CUDA_VISIBLE_DEVICES=0']));
    expect(options.join(' ')).not.toContain('hunter2');
    expect(c.interrupt).toEqual({
      command: 'systemctl',
      args: ['--user', 'kill', '--signal=SIGINT', 'understudy-worker-1-1.service'],
    });
  });

  it('the unit keeps the GPU device nodes: no PrivateDevices, no DevicePolicy', () => {
    expect(TRAINER_UNIT_PROPERTIES.join('\n')).not.toMatch(/PrivateDevices=yes|DevicePolicy=/);
  });

  it('unshare execs the worker in place (signals reach it directly)', () => {
    const c = sandboxCommand({ kind: 'unshare', reason: '', mapUser: '--map-current-user' }, 'python3', worker, {
      cwd: '/',
      env,
    });
    expect([c.command, ...c.args]).toEqual(['unshare', '--net', '--map-current-user', '--', 'python3', ...worker]);
    expect(c.interrupt).toBeUndefined();
  });

  it('sandbox-exec (macOS): -f PROFILE then the command', () => {
    const c = sandboxCommand(
      { kind: 'sandbox-exec', reason: '', profile: '/app/systemd/understudy-worker.sb' },
      'python3',
      worker,
      {
        cwd: '/',
        env,
      },
    );
    expect([c.command, ...c.args]).toEqual([
      '/usr/bin/sandbox-exec',
      '-f',
      '/app/systemd/understudy-worker.sb',
      'python3',
      ...worker,
    ]);
  });

  it('none: the command as it was', () => {
    expect(sandboxCommand({ kind: 'none', reason: 'x' }, 'python3', worker, { cwd: '/', env })).toEqual({
      command: 'python3',
      args: worker,
    });
  });
});
