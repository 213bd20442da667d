// The privilege split of DESIGN.md: the Python worker (training, export, evaluation) gets the GPU and
// no network. This module decides how to take the network away here, and wraps the worker's command.
//
// Linux under systemd: a transient user *service* (systemd-run --user --pipe --wait), not a scope.
// A scope only adopts a process the daemon forked, so the worker would stay inside the daemon's
// namespaces — without the GPU once the daemon's unit sets PrivateDevices=yes — and scopes take no
// PrivateNetwork=. A service is forked by the user manager with its own sandbox, and --pipe keeps
// stdin/stdout/stderr wired to us, so the JSON-lines protocol is unchanged.
// Linux without systemd (CI containers, a plain shell): a network namespace with no interface but
// a loopback that is down (unshare --net, util-linux), in a user namespace when not root.
// macOS: sandbox-exec with systemd/understudy-worker.sb (deny network*).
// Nothing works (a container without namespaces): the worker runs as before, said once at info.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** train.sandbox in the config: `auto` finds the best way here; `off` runs the worker as before. */
export type SandboxMode = 'auto' | 'off';

/** How the worker is confined. `none`: not confined (`reason` says why). */
export type SandboxKind = 'systemd' | 'unshare' | 'sandbox-exec' | 'none';

export interface SandboxPlan {
  kind: SandboxKind;
  /** Why this kind was chosen: shown in the info log line when the worker runs unconfined. */
  reason: string;
  /** unshare: the user-namespace flag needed when not root (`--map-current-user` or `--map-root-user`). */
  mapUser?: string;
  /** systemd: the -p properties that passed the probe (TRAINER_UNIT_PROPERTIES, else MINIMAL_UNIT_PROPERTIES). */
  properties?: readonly string[];
  /** sandbox-exec: the profile file. */
  profile?: string;
}

/** A command line to spawn: the worker's own, or the same wrapped in a sandbox. */
export interface SandboxCommand {
  command: string;
  args: string[];
  /**
   * How to interrupt the confined worker (it checkpoints on SIGINT). Under systemd the spawned
   * process is systemd-run, not the worker, so the signal goes to the unit; otherwise undefined:
   * signal the spawned process itself (unshare and sandbox-exec exec the worker in place).
   */
  interrupt?: { command: string; args: string[] };
}

/**
 * The transient unit's sandbox (systemd.exec(5), systemd.resource-control(5)). No network at all:
 * a private network namespace (PrivateNetwork), no IP through the cgroup firewall either
 * (IPAddressDeny) and no IP sockets (RestrictAddressFamilies: AF_UNIX only). Devices are NOT
 * private: the worker needs /dev/nvidia*, /dev/dri and /dev/kfd. The file system stays writable
 * outside /usr, /boot and /etc (ProtectSystem=full): the worker writes into the data folder and
 * torch into its caches, wherever the user put them. PrivateUsers: a user manager needs its own
 * user namespace to set up the others. `systemd-analyze security` of a unit with these properties
 * is reported by tests/integration/sandbox.test.ts.
 */
export const TRAINER_UNIT_PROPERTIES: readonly string[] = [
  'PrivateNetwork=yes',
  'IPAddressDeny=any',
  'RestrictAddressFamilies=AF_UNIX',
  'PrivateUsers=yes',
  'PrivateIPC=yes',
  'NoNewPrivileges=yes',
  'ProtectSystem=full',
  'ProtectKernelTunables=yes',
  'ProtectKernelModules=yes',
  'ProtectKernelLogs=yes',
  'ProtectControlGroups=yes',
  'ProtectClock=yes',
  'ProtectHostname=yes',
  'RestrictNamespaces=yes',
  'RestrictRealtime=yes',
  'RestrictSUIDSGID=yes',
  'LockPersonality=yes',
  'KeyringMode=private',
  'CapabilityBoundingSet=',
  'AmbientCapabilities=',
  'SystemCallArchitectures=native',
  'PrivateMounts=yes',
  'ProtectProc=invisible',
  'SystemCallFilter=@system-service',
  // As the daemon's unit; @resources stays (setpriority: the worker runs under `nice`).
  'SystemCallFilter=~@privileged @mount @debug @cpu-emulation @obsolete @raw-io @reboot @swap',
  'SystemCallErrorNumber=EPERM',
  'UMask=0077',
];

/** The fallback when a user manager refuses some of TRAINER_UNIT_PROPERTIES: still no network. */
export const MINIMAL_UNIT_PROPERTIES: readonly string[] = [
  'PrivateNetwork=yes',
  'RestrictAddressFamilies=AF_UNIX',
  'PrivateUsers=yes',
  'NoNewPrivileges=yes',
];

/**
 * Environment passed into the transient unit. A systemd service does not inherit systemd-run's
 * environment, and passing all of it would put every variable (a password_env secret among them)
 * on systemd-run's command line: only what Python, torch and the GPU runtimes read goes in.
 */
const UNIT_ENV_NAMES = new Set(['PATH', 'HOME', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TMPDIR', 'VIRTUAL_ENV']);
const UNIT_ENV_PREFIXES = [
  'PYTHON',
  'OMP_',
  'MKL_',
  'OPENBLAS_',
  'CUDA_',
  'NVIDIA_',
  'PYTORCH_',
  'TORCH',
  'HIP_',
  'ROCM_',
  'HSA_',
  'XDG_CACHE_HOME',
];

/** A command to test a sandbox with: true when it ran and exited 0. Injected by unit tests. */
export type Probe = (command: string, args: string[]) => { ok: boolean; detail: string };

const spawnProbe: Probe = (command, args) => {
  const r = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 10_000 });
  if (r.error) return { ok: false, detail: r.error.message };
  const said = (r.stderr ?? '').trim().split('\n')[0] ?? '';
  return { ok: r.status === 0, detail: r.status === 0 ? '' : `exit ${r.status ?? r.signal}${said ? `: ${said}` : ''}` };
};

export interface DetectOptions {
  mode?: SandboxMode;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** The effective uid (0: root needs no user namespace for unshare). */
  uid?: number;
  probe?: Probe;
  /** Whether a file exists (for sandbox-exec, the systemd user manager's socket). */
  exists?: (path: string) => boolean;
}

/**
 * Decides how to confine the worker here, trying each way with `true` (a probe costs one short
 * process; detectSandbox() is called once per process through workerSandbox()).
 * Never throws: when nothing works the plan is `none` with the reason.
 */
export function detectSandbox(options: DetectOptions = {}): SandboxPlan {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const probe = options.probe ?? spawnProbe;
  const exists = options.exists ?? existsSync;
  const uid = options.uid ?? process.getuid?.() ?? -1;
  if ((options.mode ?? 'auto') === 'off') return { kind: 'none', reason: 'train.sandbox = "off" in the config' };
  if (platform === 'darwin') {
    const profile = sandboxProfile();
    if (!exists('/usr/bin/sandbox-exec')) return { kind: 'none', reason: '/usr/bin/sandbox-exec is missing' };
    const r = probe('/usr/bin/sandbox-exec', ['-f', profile, '/usr/bin/true']);
    return r.ok
      ? { kind: 'sandbox-exec', reason: `sandbox-exec -f ${profile}`, profile }
      : { kind: 'none', reason: `sandbox-exec with ${profile} does not run here (${r.detail})` };
  }
  if (platform !== 'linux') return { kind: 'none', reason: `no network sandbox is known on ${platform}` };
  const tried: string[] = [];
  if (underSystemd(env, exists)) {
    // Some user managers cannot apply every property (IPAddressDeny needs the cgroup BPF
    // firewall; old ones lack ProtectProc): then the network part alone, which is the point.
    for (const properties of [TRAINER_UNIT_PROPERTIES, MINIMAL_UNIT_PROPERTIES]) {
      const r = probe('systemd-run', [...systemdRunArgs('understudy-sandbox-probe', properties, {}), '/bin/true']);
      if (r.ok) return { kind: 'systemd', reason: 'a transient systemd user service', properties };
      tried.push(`systemd-run --user: ${r.detail}`);
    }
  }
  const maps = uid === 0 ? [undefined] : ['--map-current-user', '--map-root-user'];
  for (const mapUser of maps) {
    const r = probe('unshare', ['--net', ...(mapUser ? [mapUser] : []), 'true']);
    if (r.ok)
      return {
        kind: 'unshare',
        reason: `unshare --net${mapUser ? ` ${mapUser}` : ''}`,
        ...(mapUser ? { mapUser } : {}),
      };
    tried.push(`unshare --net${mapUser ? ` ${mapUser}` : ''}: ${r.detail}`);
  }
  return { kind: 'none', reason: `no way to take the network away works here (${tried.join('; ')})` };
}

/** Running under systemd: started by it (INVOCATION_ID), or the user manager's socket is there. */
function underSystemd(env: NodeJS.ProcessEnv, exists: (path: string) => boolean): boolean {
  if (env.INVOCATION_ID) return true;
  return Boolean(env.XDG_RUNTIME_DIR && exists(join(env.XDG_RUNTIME_DIR, 'systemd', 'private')));
}

/** systemd-run's options for a transient, piped, waited-for service with `properties` (before the command). */
function systemdRunArgs(unit: string, properties: readonly string[], env: NodeJS.ProcessEnv, cwd?: string): string[] {
  const setenv = Object.entries(env)
    .filter(([k, v]) => v !== undefined && (UNIT_ENV_NAMES.has(k) || UNIT_ENV_PREFIXES.some((p) => k.startsWith(p))))
    .map(([k, v]) => `--setenv=${k}=${v}`);
  return [
    '--user',
    '--quiet',
    '--collect',
    '--wait',
    '--pipe',
    `--unit=${unit}`,
    '--description=Understudy worker (no network)',
    ...(cwd ? [`--working-directory=${cwd}`] : []),
    ...properties.flatMap((p) => ['-p', p]),
    ...setenv,
    '--',
  ];
}

let unitCounter = 0;

/**
 * Wraps `command args` (run in `cwd` with `env`) in the plan's sandbox. Pure: builds the command
 * line only (unit-tested for each kind, sandbox-exec included, which cannot run here).
 */
export function sandboxCommand(
  plan: SandboxPlan,
  command: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; unit?: string },
): SandboxCommand {
  switch (plan.kind) {
    case 'systemd': {
      const unit = options.unit ?? `understudy-worker-${process.pid}-${++unitCounter}`;
      return {
        command: 'systemd-run',
        args: [
          ...systemdRunArgs(unit, plan.properties ?? TRAINER_UNIT_PROPERTIES, options.env, options.cwd),
          command,
          ...args,
        ],
        interrupt: { command: 'systemctl', args: ['--user', 'kill', '--signal=SIGINT', `${unit}.service`] },
      };
    }
    case 'unshare':
      return { command: 'unshare', args: ['--net', ...(plan.mapUser ? [plan.mapUser] : []), '--', command, ...args] };
    case 'sandbox-exec':
      return { command: '/usr/bin/sandbox-exec', args: ['-f', plan.profile ?? sandboxProfile(), command, ...args] };
    case 'none':
      return { command, args: [...args] };
  }
}

/** systemd/understudy-worker.sb: beside dist/ in an install, or in the source tree. */
export function sandboxProfile(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [resolve(here, '../systemd'), resolve(here, '../../systemd')].map((d) =>
    join(d, 'understudy-worker.sb'),
  );
  return candidates.find((c) => existsSync(c)) ?? (candidates[1] as string);
}

const plans = new Map<SandboxMode, SandboxPlan>();
let announced = false;
let processMode: SandboxMode = 'auto';

/**
 * Sets train.sandbox for every worker this process starts without a `sandbox` option of its own
 * (runWorker). Called where the config is loaded (src/cli/context.ts), so that export, evaluation
 * and training all follow the config without each call site passing it.
 */
export function setWorkerSandboxMode(mode: SandboxMode): void {
  processMode = mode;
}

/** The mode set by setWorkerSandboxMode (default `auto`). */
export function workerSandboxMode(): SandboxMode {
  return processMode;
}

/**
 * The plan for this process (detected once per mode). The first time it is `none` while the mode
 * is `auto`, `announce` gets one sentence saying so and why (the caller logs it at info level).
 */
export function workerSandbox(mode: SandboxMode = 'auto', announce?: (message: string) => void): SandboxPlan {
  let plan = plans.get(mode);
  if (!plan) {
    plan = detectSandbox({ mode });
    plans.set(mode, plan);
  }
  if (plan.kind === 'none' && mode === 'auto' && !announced) {
    announced = true;
    announce?.(`the Python worker runs without the network sandbox: ${plan.reason}`);
  }
  return plan;
}
