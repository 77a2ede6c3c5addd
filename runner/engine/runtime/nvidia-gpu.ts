// Which NVIDIA GPUs and driver this host has: nvidia-smi where it is installed (names, compute
// capability, driver version), else the kernel driver's /proc/driver/nvidia (gVisor and some
// containers have one without the other). The compute capability decides which of the provider's
// cubins the GPU runs (a provider reduced to sm_90 runs on H100/H200 only).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { discoverGpus } from '../../pool/devices.js';
import type { Host } from './host.js';

/** One NVIDIA GPU. */
export interface NvidiaGpu {
  index: number;
  name?: string;
  pci?: string;
  /** Compute capability as a number: 90 for 9.0 (undefined when only /proc was read). */
  computeCapability?: number;
  memoryMiB?: number;
}

/** What the host says about its NVIDIA GPUs. */
export interface NvidiaStatus {
  gpus: NvidiaGpu[];
  driverVersion?: string;
  /** How it was learned. */
  source: 'nvidia-smi' | '/proc/driver/nvidia' | 'none';
  /** Why there is no GPU, or what failed (nvidia-smi's own message). */
  problem?: string;
}

function procDriverVersion(root: string): string | undefined {
  const path = join(root, 'proc', 'driver', 'nvidia', 'version');
  if (!existsSync(path)) return undefined;
  return /Kernel Module(?:\s+for\s+\S+)?\s+(\d+(?:\.\d+)+)/.exec(readFileSync(path, 'utf8'))?.[1];
}

/**
 * Parses `nvidia-smi --query-gpu=index,name,pci.bus_id,compute_cap,driver_version,memory.total --format=csv,noheader,nounits`.
 * @example parseNvidiaSmi('0, NVIDIA H100 80GB HBM3, 00000000:18:00.0, 9.0, 580.159.04, 81559')
 */
export function parseNvidiaSmi(text: string): { gpus: NvidiaGpu[]; driverVersion?: string } {
  const gpus: NvidiaGpu[] = [];
  let driverVersion: string | undefined;
  for (const line of text.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const [index, name, pci, cap, driver, memory] = line.split(',').map((f) => f.trim());
    if (!index || !/^\d+$/.test(index)) continue;
    const gpu: NvidiaGpu = { index: Number(index) };
    if (name) gpu.name = name;
    if (pci && /^[0-9a-f]+:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/i.test(pci)) gpu.pci = pci.toLowerCase().replace(/^0*([0-9a-f]{4}:)/, '$1');
    const cc = cap ? /^(\d+)\.(\d)$/.exec(cap) : null;
    if (cc) gpu.computeCapability = Number(cc[1]) * 10 + Number(cc[2]);
    if (memory && /^\d+$/.test(memory)) gpu.memoryMiB = Number(memory);
    if (driver && /^\d/.test(driver)) driverVersion = driver;
    gpus.push(gpu);
  }
  return driverVersion ? { gpus, driverVersion } : { gpus };
}

/**
 * The host's NVIDIA GPUs and driver.
 * @example nvidiaStatus(systemHost()).gpus[0]?.computeCapability // 90 on an H100
 */
export function nvidiaStatus(host: Host): NvidiaStatus {
  const smi = host.nvidiaSmi();
  const procVersion = procDriverVersion(host.root);
  if (smi.status === 0) {
    const parsed = parseNvidiaSmi(smi.stdout);
    if (parsed.gpus.length) {
      const driverVersion = parsed.driverVersion ?? procVersion;
      return { gpus: parsed.gpus, ...(driverVersion ? { driverVersion } : {}), source: 'nvidia-smi' };
    }
  }
  const smiProblem = smi.error === 'ENOENT' ? 'nvidia-smi is not installed' : smi.error ? `nvidia-smi could not run (${smi.error})` : smi.status !== 0 ? `nvidia-smi failed: ${(smi.stdout + smi.stderr).trim().split('\n')[0] ?? `exit ${smi.status}`}` : 'nvidia-smi lists no GPU';
  const proc = discoverGpus(host.root).filter(() => existsSync(join(host.root, 'proc', 'driver', 'nvidia', 'gpus')));
  if (proc.length) {
    return {
      gpus: proc.map((g) => ({ index: g.index, pci: g.pci, ...(g.name ? { name: g.name } : {}) })),
      ...(procVersion ? { driverVersion: procVersion } : {}),
      source: '/proc/driver/nvidia',
      problem: smiProblem,
    };
  }
  const driver = procVersion ? `the NVIDIA kernel driver ${procVersion} is loaded but reports no GPU` : 'no NVIDIA driver (/proc/driver/nvidia is absent)';
  return { gpus: [], ...(procVersion ? { driverVersion: procVersion } : {}), source: 'none', problem: `no NVIDIA GPU: ${smiProblem}, and ${driver}` };
}

/** "NVIDIA H100 80GB HBM3 (sm_90)" for messages. */
export function describeGpu(gpu: NvidiaGpu): string {
  const cc = gpu.computeCapability !== undefined ? ` (sm_${gpu.computeCapability})` : '';
  return `${gpu.name ?? `GPU ${gpu.index}`}${cc}`;
}
