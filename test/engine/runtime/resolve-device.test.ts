// `--device auto|cpu|webgpu|cuda`: which runtime is picked and the line that says why, with fake
// probes; an explicit cuda that is not usable fails with the reason and the fix; probes run once.
import { beforeEach, describe, expect, it } from 'vitest';
import { clearDeviceProbeCache, DeviceUnavailableError, hostProbes, resolveDevice, type Availability, type DeviceProbes } from '../../../runner/engine/runtime/resolve-device.js';
import type { Host } from '../../../runner/engine/runtime/host.js';

const usable = (reason: string): Availability => ({ usable: true, reason });
const unusable = (reason: string, fix?: string): Availability => ({ usable: false, reason, problems: [{ reason, ...(fix ? { fix } : {}) }] });

function probes(cuda: Availability, webgpu: Availability): DeviceProbes & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    cuda: async () => (calls.push('cuda'), cuda),
    webgpu: async () => (calls.push('webgpu'), webgpu),
  };
}

beforeEach(() => clearDeviceProbeCache());

describe('resolveDevice', () => {
  it('auto prefers CUDA, then WebGPU, then the CPU, and says why in one line', async () => {
    const all = probes(usable('NVIDIA H100 80GB HBM3 (sm_90), driver 580.159.04, CUDA provider onnxruntime 1.29.0'), usable('a WebGPU adapter ran the smoke session'));
    expect(await resolveDevice('auto', all)).toEqual({ device: 'cuda', requested: 'auto', reason: 'device: cuda (auto: NVIDIA H100 80GB HBM3 (sm_90), driver 580.159.04, CUDA provider onnxruntime 1.29.0)' });
    expect(all.calls).toEqual(['cuda']);

    const webgpu = probes(unusable('no NVIDIA GPU: nvidia-smi is not installed'), usable('a WebGPU adapter ran the smoke session'));
    expect(await resolveDevice('auto', webgpu)).toEqual({ device: 'webgpu', requested: 'auto', reason: 'device: webgpu (auto: CUDA not usable: no NVIDIA GPU: nvidia-smi is not installed)' });

    const cpu = probes(unusable('no CUDA provider'), unusable('no GPU found'));
    expect(await resolveDevice('auto', cpu)).toEqual({ device: 'cpu', requested: 'auto', reason: 'device: cpu (auto: CUDA not usable: no CUDA provider; WebGPU not usable: no GPU found)' });
    expect(cpu.calls).toEqual(['cuda', 'webgpu']);
  });

  it('takes cpu and webgpu as asked, without probing', async () => {
    const none = probes(unusable('x'), unusable('y'));
    expect(await resolveDevice('cpu', none)).toEqual({ device: 'cpu', requested: 'cpu', reason: 'device: cpu (--device cpu)' });
    expect(await resolveDevice('webgpu', none)).toEqual({ device: 'webgpu', requested: 'webgpu', reason: 'device: webgpu (--device webgpu)' });
    expect(none.calls).toEqual([]);
  });

  it('fails an explicit cuda that is not usable with the doctor\'s reason and the fix', async () => {
    const missing = probes(unusable('no CUDA provider: libonnxruntime_providers_cuda.so is not in /x', 'npx longweave engine install cuda'), usable('w'));
    await expect(resolveDevice('cuda', missing)).rejects.toThrow(DeviceUnavailableError);
    await expect(resolveDevice('cuda', missing)).rejects.toThrow('--device cuda: not usable here: no CUDA provider: libonnxruntime_providers_cuda.so is not in /x. Fix: npx longweave engine install cuda.');
    const several: DeviceProbes = { cuda: async () => ({ usable: false, reason: 'a', problems: [{ reason: 'no NVIDIA GPU' }, { reason: 'missing libcuda.so.1', fix: 'install the NVIDIA driver' }] }), webgpu: async () => usable('w') };
    await expect(resolveDevice('cuda', several)).rejects.toThrow('--device cuda: not usable here: no NVIDIA GPU (and 1 more; see `longweave engine doctor`). Fix: install the NVIDIA driver.');
    expect(await resolveDevice('cuda', probes(usable('NVIDIA H100'), usable('w')))).toEqual({ device: 'cuda', requested: 'cuda', reason: 'device: cuda (NVIDIA H100)' });
  });

  it('refuses a device it does not know', async () => {
    await expect(resolveDevice('tpu' as never, probes(usable('a'), usable('b')))).rejects.toThrow('Invalid --device "tpu": use auto, cpu, webgpu, cuda.');
  });

  it('probes a host once per process (static checks and smoke session), until the cache is cleared', async () => {
    let smi = 0;
    const host: Host = {
      platform: 'linux',
      arch: 'x64',
      env: {},
      root: '/nonexistent-root-for-test',
      home: '/nonexistent-home',
      onnxruntime: () => ({ packageDir: '/nonexistent-ort', version: '1.29.0', binDir: '/nonexistent-ort/bin' }),
      ldconfig: () => [],
      pythonSitePackages: () => [],
      nvidiaSmi: () => (smi++, { status: null, stdout: '', stderr: '', error: 'ENOENT' }),
    };
    const first = await resolveDevice('auto', hostProbes(host));
    expect(first.device).toBe('cpu');
    expect(first.reason).toBe('device: cpu (auto: CUDA not usable: no CUDA provider: libonnxruntime_providers_cuda.so and libonnxruntime_providers_shared.so are not in /nonexistent-ort/bin; WebGPU not usable: no GPU found (looked in /proc/driver/nvidia/gpus, /sys/class/drm and nvidia-smi))');
    const calls = smi;
    await resolveDevice('auto', hostProbes(host));
    expect(smi).toBe(calls);
    clearDeviceProbeCache();
    await resolveDevice('auto', hostProbes(host));
    expect(smi).toBeGreaterThan(calls);
  });
});
