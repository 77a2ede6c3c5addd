// GPU discovery and per-worker pinning: the host's GPUs in PCI order (NVIDIA's procfs or DRM
// render nodes), `--gpus`/`--workers` parsing, the environment each worker gets, and the checks
// made before a pooled run writes anything.
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planWorkers } from '../../runner/pool/coordinator.js';
import { adapterEnv, discoverGpus, driPrimeTag, findDeviceSelectLayer, selectGpus, workerEnv, workerSlots, type GpuDevice } from '../../runner/pool/devices.js';

const H200S: GpuDevice[] = [
  { index: 0, pci: '0000:18:00.0', name: 'NVIDIA H200' },
  { index: 1, pci: '0000:2a:00.0', name: 'NVIDIA H200' },
  { index: 2, pci: '0000:3a:00.0', name: 'NVIDIA H200' },
];

describe('GPU discovery', () => {
  it('lists NVIDIA GPUs from /proc/driver/nvidia/gpus in PCI order, with their model names', () => {
    const root = mkdtempSync(join(tmpdir(), 'lw-gpus-'));
    for (const [pci, model] of [['0000:9a:00.0', 'NVIDIA H200'], ['0000:18:00.0', 'NVIDIA H200'], ['0001:05:00.0', 'NVIDIA H100 80GB HBM3']]) {
      mkdirSync(join(root, 'proc/driver/nvidia/gpus', pci!), { recursive: true });
      writeFileSync(join(root, 'proc/driver/nvidia/gpus', pci!, 'information'), `Model: \t\t ${model}\nIRQ:   \t\t 42\nBus Location: \t ${pci}\n`);
    }
    expect(discoverGpus(root)).toEqual([
      { index: 0, pci: '0000:18:00.0', name: 'NVIDIA H200' },
      { index: 1, pci: '0000:9a:00.0', name: 'NVIDIA H200' },
      { index: 2, pci: '0001:05:00.0', name: 'NVIDIA H100 80GB HBM3' },
    ]);
  });

  it('falls back to DRM render nodes, and finds nothing on a machine without GPUs', () => {
    const root = mkdtempSync(join(tmpdir(), 'lw-gpus-'));
    expect(discoverGpus(root)).toEqual([]);
    for (const [node, pci] of [['renderD129', '0000:c1:00.0'], ['renderD128', '0000:03:00.0']]) {
      mkdirSync(join(root, 'sys/devices/pci', pci!), { recursive: true });
      mkdirSync(join(root, 'sys/class/drm', node!), { recursive: true });
      symlinkSync(join(root, 'sys/devices/pci', pci!), join(root, 'sys/class/drm', node!, 'device'));
    }
    mkdirSync(join(root, 'sys/class/drm/card0'), { recursive: true });
    expect(discoverGpus(root)).toEqual([
      { index: 0, pci: '0000:03:00.0' },
      { index: 1, pci: '0000:c1:00.0' },
    ]);
  });
});

describe('--gpus and --workers', () => {
  it('selects all, the first N, or listed indices', () => {
    expect(selectGpus('all', H200S)).toEqual(H200S);
    expect(selectGpus('2', H200S).map((g) => g.index)).toEqual([0, 1]);
    expect(selectGpus(' 2,0 ', H200S).map((g) => g.pci)).toEqual(['0000:3a:00.0', '0000:18:00.0']);
    expect(selectGpus('1', H200S)).toEqual([H200S[0]]);
    // One index alone is a list with a trailing comma (a bare number is a count).
    expect(selectGpus('2,', H200S)).toEqual([H200S[2]]);
  });

  it('names what was asked and what the host has', () => {
    expect(() => selectGpus('all', [])).toThrow('--gpus all: no GPUs were found (looked in /proc/driver/nvidia/gpus and /sys/class/drm).');
    expect(() => selectGpus('4', H200S)).toThrow('--gpus 4 asks for 4 GPUs, but this host has 3 (0: 0000:18:00.0, 1: 0000:2a:00.0, 2: 0000:3a:00.0).');
    expect(() => selectGpus('0,5', H200S)).toThrow('--gpus 0,5: there is no GPU 5; this host has 3');
    expect(() => selectGpus('1,1', H200S)).toThrow('--gpus 1,1 names a GPU twice; use --workers to run several workers on one GPU.');
    expect(() => selectGpus('0', H200S)).toThrow('--gpus 0: a number is a count of GPUs (the first N), so give at least 1; to pick GPUs by index, list them: --gpus 0, or --gpus 0,2.');
    expect(() => selectGpus('gpu0', H200S)).toThrow('Invalid --gpus "gpu0": use all, a count (2) or a list of indices (0,1; one index alone: 3,).');
  });

  it('spreads workers over the GPUs round-robin; several workers may share one', () => {
    expect(workerSlots(H200S.slice(0, 2)).map((w) => [w.slot, w.gpu?.index])).toEqual([[0, 0], [1, 1]]);
    expect(workerSlots(H200S.slice(0, 2), 5).map((w) => w.gpu?.index)).toEqual([0, 1, 0, 1, 0]);
    expect(workerSlots([H200S[1]!], 2).map((w) => w.gpu?.pci)).toEqual(['0000:2a:00.0', '0000:2a:00.0']);
    expect(workerSlots([], 3)).toEqual([{ slot: 0 }, { slot: 1 }, { slot: 2 }]);
    expect(workerSlots([])).toEqual([{ slot: 0 }]);
    expect(() => workerSlots(H200S, 2)).toThrow('--workers 2 is fewer than the 3 GPUs chosen; give at least one worker per GPU.');
    expect(() => workerSlots([], 0)).toThrow('--workers must be a positive integer, got 0.');
  });
});

describe('pinning a worker to its GPU', () => {
  it("gives each worker Mesa's device-select tag of its GPU, CUDA's index, and removes overrides", () => {
    expect(driPrimeTag('0000:2a:00.0')).toBe('pci-0000_2a_00_0');
    expect(driPrimeTag('0001:C1:1F.7')).toBe('pci-0001_c1_1f_7');
    expect(() => driPrimeTag('2a:00.0')).toThrow('Invalid PCI address "2a:00.0": expected dddd:bb:dd.f, e.g. 0000:18:00.0.');
    expect(adapterEnv(H200S[1]!)).toEqual({
      DRI_PRIME: 'pci-0000_2a_00_0',
      MESA_VK_DEVICE_SELECT_FORCE_DEFAULT_DEVICE: '1',
      CUDA_DEVICE_ORDER: 'PCI_BUS_ID',
      CUDA_VISIBLE_DEVICES: '1',
      LONGWEAVE_GPU: '1',
      LONGWEAVE_GPU_PCI: '0000:2a:00.0',
    });
    const parent = { PATH: '/bin', MESA_VK_DEVICE_SELECT: '10de:2335', NODEVICE_SELECT: '1', VK_LOADER_DEVICE_SELECT: '10de:2335', CUDA_VISIBLE_DEVICES: '0,1' };
    const env = workerEnv(parent, H200S[2]);
    expect(env['PATH']).toBe('/bin');
    expect(env['DRI_PRIME']).toBe('pci-0000_3a_00_0');
    expect(env['CUDA_VISIBLE_DEVICES']).toBe('2');
    expect('MESA_VK_DEVICE_SELECT' in env || 'NODEVICE_SELECT' in env || 'VK_LOADER_DEVICE_SELECT' in env).toBe(false);
    // A CPU worker keeps the parent's environment as it is.
    expect(workerEnv(parent, undefined)).toEqual(parent);
  });

  it("finds the device-select layer where the Vulkan loader looks for implicit layers", () => {
    const root = mkdtempSync(join(tmpdir(), 'lw-layer-'));
    const env = { HOME: join(root, 'home'), XDG_DATA_DIRS: join(root, 'share'), XDG_CONFIG_DIRS: join(root, 'etc') };
    // /etc/vulkan is searched too; this test only asserts on the fake tree when /etc has no layer.
    const system = findDeviceSelectLayer({ ...env, XDG_DATA_DIRS: join(root, 'none') });
    mkdirSync(join(root, 'share/vulkan/implicit_layer.d'), { recursive: true });
    writeFileSync(join(root, 'share/vulkan/implicit_layer.d/other.json'), '{"layer":{"name":"VK_LAYER_OTHER"}}');
    if (system === undefined) expect(findDeviceSelectLayer(env)).toBeUndefined();
    writeFileSync(join(root, 'share/vulkan/implicit_layer.d/VkLayer_MESA_device_select.json'), '{"layer":{"name":"VK_LAYER_MESA_device_select"}}');
    expect(findDeviceSelectLayer(env)).toBe(system ?? join(root, 'share/vulkan/implicit_layer.d/VkLayer_MESA_device_select.json'));
  });

  it('refuses, before anything is written, engine models set to the CPU and hosts where pinning cannot work', () => {
    const engine = { name: 'tiny', backend: 'engine', options: { device: 'cpu' } };
    expect(() => planWorkers({ models: [engine] }, { gpus: 'all', devices: H200S, skipLayerCheck: true })).toThrow(
      '--gpus runs engine models on the GPU, but /models/0 (tiny) sets device "cpu"; remove it, or use --workers N without --gpus for CPU workers.',
    );
    expect(planWorkers({ models: [engine] }, { workers: 2 })).toEqual([{ slot: 0 }, { slot: 1 }]);
    const noLayer = { HOME: '/nonexistent', XDG_CONFIG_HOME: '/nonexistent', XDG_CONFIG_DIRS: '/nonexistent', XDG_DATA_HOME: '/nonexistent', XDG_DATA_DIRS: '/nonexistent' };
    const oracle = { name: 'o', backend: 'oracle' };
    if (findDeviceSelectLayer(noLayer) === undefined) {
      expect(() => planWorkers({ models: [oracle] }, { gpus: '2', devices: H200S }, noLayer)).toThrow(/needs the Vulkan device-select layer \(VK_LAYER_MESA_device_select/);
    }
    // One GPU on the host: it is the first adapter anyway, no layer needed.
    expect(planWorkers({ models: [oracle] }, { gpus: 'all', workers: 2, devices: [H200S[0]!] }, noLayer).map((w) => w.gpu?.index)).toEqual([0, 0]);
  });
});
