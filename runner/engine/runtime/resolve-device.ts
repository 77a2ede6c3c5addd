// `--device auto`, the engine's default: CUDA where its provider and an NVIDIA GPU work, else
// WebGPU where an adapter works, else the CPU, with one line that says which and why. An explicit
// `cuda` that does not work fails with the doctor's reason and the fix. Each probe (static checks,
// then a smoke session in a child process: about a second) runs at most once per process.
import { INSTALL_COMMAND } from './onnxruntime-location.js';
import { probeCuda, probeWebgpu, type Problem, type RuntimeVerdict } from './doctor.js';
import { systemHost, type Host } from './host.js';
import type { Runtime } from './session-smoke.js';

/** What `--device` accepts. */
export const DEVICE_CHOICES = ['auto', 'cpu', 'webgpu', 'cuda'] as const;
export type DeviceRequest = (typeof DEVICE_CHOICES)[number];

/** A probe's answer: usable or not, and why. */
export interface Availability {
  usable: boolean;
  /** One line: what it runs on, or why not. */
  reason: string;
  problems?: Problem[];
}

/** The probes the resolver asks; tests inject fakes. */
export interface DeviceProbes {
  cuda: () => Promise<Availability>;
  webgpu: () => Promise<Availability>;
}

/** The resolver's answer. */
export interface DeviceChoice {
  device: Runtime;
  requested: DeviceRequest;
  /** One line for stderr: `device: cuda (auto: NVIDIA H100 80GB HBM3 (sm_90), ...)`. */
  reason: string;
}

/** An explicitly requested runtime is not usable here. */
export class DeviceUnavailableError extends Error {
  constructor(readonly device: Runtime, readonly problems: Problem[]) {
    const first = problems[0];
    const fix = problems.find((p) => p.fix)?.fix;
    super(`--device ${device}: not usable here: ${first?.reason ?? 'unknown reason'}${problems.length > 1 ? ` (and ${problems.length - 1} more; see \`longweave engine doctor\`)` : ''}.${fix ? ` Fix: ${fix}.` : ''}`);
    this.name = 'DeviceUnavailableError';
  }
}

// Per host (systemHost() is one object per process), per runtime.
let cache = new WeakMap<Host, Map<Runtime, Promise<Availability>>>();

function cached(host: Host, runtime: Runtime, probe: () => Promise<Availability>): () => Promise<Availability> {
  return () => {
    const byRuntime = cache.get(host) ?? new Map<Runtime, Promise<Availability>>();
    cache.set(host, byRuntime);
    let hit = byRuntime.get(runtime);
    if (!hit) {
      hit = probe();
      byRuntime.set(runtime, hit);
    }
    return hit;
  };
}

/** Forgets the probes' cached answers (after `engine install cuda` in the same process, and in tests). */
export function clearDeviceProbeCache(): void {
  cache = new WeakMap();
}

const fromVerdict = (v: RuntimeVerdict): Availability => ({ usable: v.usable, reason: v.reason, problems: v.problems });

/**
 * The probes of this host, cached per process.
 * @example await resolveDevice('auto', hostProbes())
 */
export function hostProbes(host: Host = systemHost()): DeviceProbes {
  return {
    cuda: cached(host, 'cuda', async () => fromVerdict(await probeCuda(host))),
    webgpu: cached(host, 'webgpu', async () => fromVerdict(await probeWebgpu(host))),
  };
}

/**
 * Picks the runtime for a `--device` value (see the file's header).
 * @throws DeviceUnavailableError when `cuda` is asked for and is not usable.
 * @example const { device, reason } = await resolveDevice('auto'); process.stderr.write(`${reason}\n`);
 */
export async function resolveDevice(requested: DeviceRequest, probes: DeviceProbes = hostProbes()): Promise<DeviceChoice> {
  switch (requested) {
    case 'cpu':
    case 'webgpu':
      return { device: requested, requested, reason: `device: ${requested} (--device ${requested})` };
    case 'cuda': {
      const cuda = await probes.cuda();
      if (!cuda.usable) throw new DeviceUnavailableError('cuda', cuda.problems?.length ? cuda.problems : [{ reason: cuda.reason, fix: INSTALL_COMMAND }]);
      return { device: 'cuda', requested, reason: `device: cuda (${cuda.reason})` };
    }
    case 'auto': {
      const cuda = await probes.cuda();
      if (cuda.usable) return { device: 'cuda', requested, reason: `device: cuda (auto: ${cuda.reason})` };
      const webgpu = await probes.webgpu();
      if (webgpu.usable) return { device: 'webgpu', requested, reason: `device: webgpu (auto: CUDA not usable: ${cuda.reason})` };
      return { device: 'cpu', requested, reason: `device: cpu (auto: CUDA not usable: ${cuda.reason}; WebGPU not usable: ${webgpu.reason})` };
    }
    default:
      throw new Error(`Invalid --device "${String(requested)}": use ${DEVICE_CHOICES.join(', ')}.`);
  }
}
