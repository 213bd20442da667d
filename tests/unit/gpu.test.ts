// Training waits when another process holds most of the GPU's memory.
import { describe, expect, it } from 'vitest';
import { gpuBusyReason } from '../../src/train/gpu.js';

describe('GPU busy check', () => {
  const gpu = (usedMiB: number) => [{ name: 'NVIDIA GeForce RTX 4070', usedMiB, totalMiB: 12282 }];
  it('refuses CUDA training while others hold more than the configured share', () => {
    expect(gpuBusyReason('auto', 0.5, gpu(9000))).toMatch(
      /RTX 4070 is busy: other processes hold 9000 of 12282 MiB .*gpu_busy_fraction = 0.5/,
    );
    expect(gpuBusyReason('cuda', 0.8, gpu(9000))).toBeNull();
    expect(gpuBusyReason('auto', 0.5, gpu(300))).toBeNull();
  });
  it('does not apply to CPU or Apple GPUs, or without NVIDIA tools', () => {
    expect(gpuBusyReason('cpu', 0.1, gpu(12000))).toBeNull();
    expect(gpuBusyReason('mps', 0.1, gpu(12000))).toBeNull();
    expect(gpuBusyReason('auto', 0.1, [])).toBeNull();
  });
});
