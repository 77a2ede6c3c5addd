// Which GPUs the host has and how a worker process is pinned to one of them.
//
// The engine reaches the GPU through onnxruntime-node's WebGPU execution provider, which asks
// Dawn for a high-performance adapter and takes the first one; Dawn lists Vulkan's physical
// devices in the order the Vulkan loader returns them (on Linux: by device type, then PCI
// address). onnxruntime-node 1.30 has no option to pick an adapter (its `deviceId` names a WebGPU
// context, not a GPU), and CUDA_VISIBLE_DEVICES does not affect Vulkan. So a worker is pinned
// below Dawn, in the Vulkan loader's layer chain: Mesa's device-select layer (an implicit layer
// shipped by Debian/Ubuntu's mesa-vulkan-drivers, active for every Vulkan application, NVIDIA's
// driver included) reads DRI_PRIME=pci-DDDD_BB_DD_F and, with
// MESA_VK_DEVICE_SELECT_FORCE_DEFAULT_DEVICE=1, exposes only that device to the process. Sources
// and measurements: docs/multi-gpu.md.
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';

/** One GPU of the host. */
export interface GpuDevice {
  /** 0-based position in PCI-address order (nvidia-smi's order, and Vulkan's on Linux). */
  index: number;
  /** PCI address, `dddd:bb:dd.f` in lowercase hex. */
  pci: string;
  /** Model name, when the driver tells. */
  name?: string;
}

const PCI_ADDRESS = /^([0-9a-f]{4}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/;

function pciParts(pci: string): [number, number, number, number] {
  const m = PCI_ADDRESS.exec(pci.toLowerCase());
  if (!m) throw new Error(`Invalid PCI address "${pci}": expected dddd:bb:dd.f, e.g. 0000:18:00.0.`);
  return [parseInt(m[1]!, 16), parseInt(m[2]!, 16), parseInt(m[3]!, 16), Number(m[4])];
}

function comparePci(a: string, b: string): number {
  const x = pciParts(a);
  const y = pciParts(b);
  for (let i = 0; i < 4; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * The host's GPUs in PCI-address order: NVIDIA's from /proc/driver/nvidia/gpus (one folder per
 * GPU, named by its PCI address; a container sees only the GPUs it was given), otherwise every
 * DRM render node's PCI device (AMD, Intel). Empty on a machine without either.
 * @param root file-system root to look under (tests pass a fake tree).
 * @example discoverGpus() // [{ index: 0, pci: '0000:18:00.0', name: 'NVIDIA H200' }, ...]
 */
export function discoverGpus(root = '/'): GpuDevice[] {
  const found = new Map<string, string | undefined>();
  const nvidia = join(root, 'proc', 'driver', 'nvidia', 'gpus');
  if (existsSync(nvidia)) {
    for (const entry of readdirSync(nvidia)) {
      const pci = entry.toLowerCase();
      if (!PCI_ADDRESS.test(pci)) continue;
      const model = /^Model:\s*(.+)$/m.exec(readText(join(nvidia, entry, 'information')) ?? '')?.[1]?.trim();
      found.set(pci, model);
    }
  }
  if (found.size === 0) {
    const drm = join(root, 'sys', 'class', 'drm');
    if (existsSync(drm)) {
      for (const entry of readdirSync(drm)) {
        if (!/^renderD\d+$/.test(entry)) continue;
        let device: string;
        try {
          device = basename(realpathSync(join(drm, entry, 'device'))).toLowerCase();
        } catch {
          continue;
        }
        if (PCI_ADDRESS.test(device)) found.set(device, undefined);
      }
    }
  }
  return [...found.keys()].sort(comparePci).map((pci, index) => {
    const name = found.get(pci);
    return name ? { index, pci, name } : { index, pci };
  });
}

/**
 * Chooses GPUs by the `--gpus` value: `all`, a count N (the first N), or indices `0,2` (one index
 * alone is written with a comma: `3,`).
 * @throws Error naming what was asked and what the host has.
 * @example selectGpus('0,1', gpus).map((g) => g.pci)
 */
export function selectGpus(spec: string, available: readonly GpuDevice[]): GpuDevice[] {
  const text = spec.trim();
  const have = available.length === 0 ? 'no GPUs were found (looked in /proc/driver/nvidia/gpus and /sys/class/drm)' : `this host has ${available.length} (${available.map((g) => `${g.index}: ${g.pci}`).join(', ')})`;
  if (text === 'all') {
    if (available.length === 0) throw new Error(`--gpus all: ${have}.`);
    return [...available];
  }
  if (/^\d+$/.test(text)) {
    const count = Number(text);
    if (count < 1) throw new Error(`--gpus ${text}: a number is a count of GPUs (the first N), so give at least 1; to pick GPUs by index, list them: --gpus 0, or --gpus 0,2.`);
    if (count > available.length) throw new Error(`--gpus ${text} asks for ${count} GPUs, but ${have}.`);
    return available.slice(0, count);
  }
  if (/^\d+(,\d+)*,?$/.test(text) && text.includes(',')) {
    const indices = text.split(',').filter((x) => x !== '').map(Number);
    if (new Set(indices).size !== indices.length) throw new Error(`--gpus ${text} names a GPU twice; use --workers to run several workers on one GPU.`);
    return indices.map((i) => {
      const gpu = available[i];
      if (!gpu) throw new Error(`--gpus ${text}: there is no GPU ${i}; ${have}.`);
      return gpu;
    });
  }
  throw new Error(`Invalid --gpus "${spec}": use all, a count (2) or a list of indices (0,1; one index alone: 3,).`);
}

/** A worker process to start: its slot and, for a GPU worker, its GPU. */
export interface WorkerSlot {
  slot: number;
  gpu?: GpuDevice;
}

/**
 * The workers of a run: `workers` of them (default one per GPU, or 1), spread over the GPUs
 * round-robin, so `--gpus 0 --workers 2` puts two workers on GPU 0.
 * @throws Error when there are fewer workers than GPUs, or `workers` is not a positive integer.
 * @example workerSlots(gpus.slice(0, 2), 4).map((w) => w.gpu?.index) // [0, 1, 0, 1]
 */
export function workerSlots(gpus: readonly GpuDevice[], workers?: number): WorkerSlot[] {
  const count = workers ?? Math.max(1, gpus.length);
  if (!Number.isInteger(count) || count < 1) throw new Error(`--workers must be a positive integer, got ${workers}.`);
  if (count < gpus.length) throw new Error(`--workers ${count} is fewer than the ${gpus.length} GPUs chosen; give at least one worker per GPU.`);
  return Array.from({ length: count }, (_, slot) => {
    const gpu = gpus[slot % Math.max(1, gpus.length)];
    return gpu ? { slot, gpu } : { slot };
  });
}

/** The Mesa device-select tag of a PCI address: `pci-0000_18_00_0`. */
export function driPrimeTag(pci: string): string {
  const [domain, bus, device, fn] = pciParts(pci);
  const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');
  return `pci-${hex(domain, 4)}_${hex(bus, 2)}_${hex(device, 2)}_${fn}`;
}

/** Variables that would override or disable the selection below; removed from a GPU worker's environment. */
export const CONFLICTING_VARIABLES = ['MESA_VK_DEVICE_SELECT', 'NODEVICE_SELECT', 'VK_LOADER_DEVICE_SELECT'] as const;

/**
 * The environment that pins a process to one GPU: Vulkan through Mesa's device-select layer (the
 * only device the process sees is this one), CUDA (for anything that uses it) in PCI order, and
 * LONGWEAVE_GPU / LONGWEAVE_GPU_PCI for logs.
 * @example adapterEnv({ index: 1, pci: '0000:2a:00.0' }).DRI_PRIME // 'pci-0000_2a_00_0'
 */
export function adapterEnv(gpu: GpuDevice): Record<string, string> {
  return {
    DRI_PRIME: driPrimeTag(gpu.pci),
    MESA_VK_DEVICE_SELECT_FORCE_DEFAULT_DEVICE: '1',
    CUDA_DEVICE_ORDER: 'PCI_BUS_ID',
    CUDA_VISIBLE_DEVICES: String(gpu.index),
    LONGWEAVE_GPU: String(gpu.index),
    LONGWEAVE_GPU_PCI: gpu.pci,
  };
}

/** The environment of a worker process: the parent's, plus its GPU's pinning when it has one. */
export function workerEnv(parent: NodeJS.ProcessEnv, gpu: GpuDevice | undefined): NodeJS.ProcessEnv {
  if (!gpu) return { ...parent };
  const env: NodeJS.ProcessEnv = { ...parent };
  for (const name of CONFLICTING_VARIABLES) delete env[name];
  return { ...env, ...adapterEnv(gpu) };
}

/** Folders the Vulkan loader searches for implicit layers on Linux. */
function implicitLayerDirs(env: NodeJS.ProcessEnv): string[] {
  const home = env['HOME'] ?? homedir();
  const split = (value: string | undefined, fallback: string): string[] => (value && value !== '' ? value : fallback).split(':').filter((d) => d !== '');
  const dirs = [
    ...split(env['XDG_CONFIG_HOME'], join(home, '.config')),
    ...split(env['XDG_CONFIG_DIRS'], '/etc/xdg'),
    '/etc',
    ...split(env['XDG_DATA_HOME'], join(home, '.local', 'share')),
    ...split(env['XDG_DATA_DIRS'], '/usr/local/share:/usr/share'),
  ].map((d) => join(d, 'vulkan', 'implicit_layer.d'));
  for (const extra of (env['VK_ADD_IMPLICIT_LAYER_PATH'] ?? '').split(':')) if (extra) dirs.push(extra);
  return dirs;
}

/**
 * Where Mesa's device-select layer manifest is, or undefined when the loader would not find it.
 * @example findDeviceSelectLayer(process.env) // '/usr/share/vulkan/implicit_layer.d/VkLayer_MESA_device_select.json'
 */
export function findDeviceSelectLayer(env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of implicitLayerDirs(env)) {
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir)) {
      if (!file.endsWith('.json')) continue;
      const text = readText(join(dir, file)) ?? '';
      if (text.includes('VK_LAYER_MESA_device_select')) return join(dir, file);
    }
  }
  return undefined;
}
