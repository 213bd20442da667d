// Is the GPU free enough to train? Another process (a game, another model) holding most of its
// memory would make our run fail with out-of-memory halfway, or slow the user's work.
import { spawnSync } from 'node:child_process';

export interface GpuUse {
  name: string;
  usedMiB: number;
  totalMiB: number;
}

/** NVIDIA GPUs and their memory use (nvidia-smi), or [] when there are none or no driver tools. */
export function nvidiaGpus(): GpuUse[] {
  const r = spawnSync('nvidia-smi', ['--query-gpu=name,memory.used,memory.total', '--format=csv,noheader,nounits'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (r.status !== 0 || !r.stdout) return [];
  return r.stdout
    .trim()
    .split('\n')
    .map((line) => line.split(',').map((x) => x.trim()))
    .filter((parts) => parts.length === 3)
    .map(([name, used, total]) => ({ name: name ?? '', usedMiB: Number(used), totalMiB: Number(total) }));
}

/** A reason not to train now, or null. */
export function gpuBusyReason(device: string, busyFraction: number, gpus: GpuUse[] = nvidiaGpus()): string | null {
  if (device === 'cpu' || device === 'mps' || gpus.length === 0) return null;
  const gpu = gpus[0] as GpuUse;
  const share = gpu.usedMiB / Math.max(gpu.totalMiB, 1);
  if (share <= busyFraction) return null;
  return `${gpu.name} is busy: other processes hold ${gpu.usedMiB} of ${gpu.totalMiB} MiB (more than train.gpu_busy_fraction = ${busyFraction}); try again later or use --force`;
}
