// `longweave engine install cuda` and `engine uninstall cuda`: onnxruntime's CUDA provider, fetched
// from the registry (or taken from a local .tgz or folder) and placed next to onnxruntime-node's core
// library; see runner/engine/runtime/cuda-install.ts.
import cliProgress from 'cli-progress';
import type { Argv, CommandModule } from 'yargs';
import { installCudaProvider, ProviderVersionError, uninstallCudaProvider } from '../runner/engine/runtime/cuda-install.js';
import { probeCuda } from '../runner/engine/runtime/doctor.js';
import { systemHost } from '../runner/engine/runtime/host.js';
import type { DownloadProgress } from '../runner/engine/runtime/registry-package.js';
import { clearDeviceProbeCache } from '../runner/engine/runtime/resolve-device.js';
import { CliError } from './errors.js';

interface InstallArgs {
  runtime: 'cuda';
  from?: string;
  force: boolean;
  check: boolean;
  json: boolean;
}

const mb = (bytes: number): string => (bytes / 1e6).toFixed(1);

/** Download progress on stderr: a bar on a terminal, a line every 10% otherwise. */
function downloadProgress(): { onProgress: DownloadProgress; stop: () => void } {
  if (process.stderr.isTTY === true && !process.env['CI']) {
    const bar = new cliProgress.SingleBar({ format: 'CUDA provider {bar} {percentage}% | {done} / {all} MB', stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic);
    let started = false;
    return {
      onProgress: (received, total) => {
        if (!started) {
          bar.start(total ?? 0, 0, { done: mb(0), all: total ? mb(total) : '?' });
          started = true;
        }
        bar.update(received, { done: mb(received), all: total ? mb(total) : '?' });
      },
      stop: () => started && bar.stop(),
    };
  }
  let reported = -1;
  return {
    onProgress: (received, total) => {
      const step = total ? Math.floor((10 * received) / total) : Math.floor(received / 20e6);
      if (step === reported) return;
      reported = step;
      process.stderr.write(`  CUDA provider: ${mb(received)}${total ? ` / ${mb(total)} MB (${(100 * received / total).toFixed(0)}%)` : ' MB'}\n`);
    },
    stop: () => undefined,
  };
}

export const installCommand: CommandModule<object, InstallArgs> = {
  command: 'install <runtime>',
  describe: 'Make a runtime usable: `install cuda` puts onnxruntime\'s CUDA provider (180 MB download) next to onnxruntime-node',
  builder: (y) =>
    y
      .positional('runtime', { choices: ['cuda'] as const, demandOption: true, describe: 'The runtime to install (cuda: Linux x64, NVIDIA GPU, CUDA 13 libraries)' })
      .option('from', { type: 'string', describe: 'Install from a local .tgz of the provider package or an unpacked folder instead of the registry (hosts without one)' })
      .option('force', { type: 'boolean', default: false, describe: 'Replace provider files that longweave did not install (e.g. a CUDA 12 build), or install one whose version cannot be read' })
      .option('check', { type: 'boolean', default: true, describe: 'Check CUDA afterwards (what engine doctor says about it); --no-check skips it' })
      .option('json', { type: 'boolean', default: false })
      .example('$0 engine install cuda', 'fetch com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9 from the registry npm uses')
      .example('$0 engine install cuda --from ./com.github.asus4.onnxruntime.linux-x64-gpu-0.4.9.tgz', 'offline') as Argv<InstallArgs>,
  handler: async (args) => {
    const progress = downloadProgress();
    let result;
    try {
      result = await installCudaProvider({
        ...(args.from ? { from: args.from } : {}),
        force: args.force,
        onProgress: progress.onProgress,
        log: (line) => void process.stderr.write(`${line}\n`),
      });
    } catch (error) {
      if (error instanceof ProviderVersionError || error instanceof Error) throw new CliError(error.message);
      throw error;
    } finally {
      progress.stop();
    }
    clearDeviceProbeCache();
    const cuda = args.check ? await probeCuda(systemHost(), { always: true }) : undefined;
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ ...result, ...(cuda ? { cuda: { usable: cuda.usable, reason: cuda.reason, problems: cuda.problems } } : {}) }, null, 2)}\n`);
      return;
    }
    const r = result.record;
    const verb = result.status === 'already-installed' ? 'already installed' : result.replaced.length ? 'installed (replacing the files there)' : 'installed';
    process.stdout.write(`CUDA provider ${verb}: onnxruntime ${r.onnxruntimeVersion} from ${r.package}@${r.version}, GPU code for ${r.archs.join(', ') || 'no architecture'}, in ${result.binDir}\n`);
    if (cuda) {
      if (cuda.usable) process.stdout.write(`CUDA is usable: ${cuda.reason}\n`);
      else {
        const lines = ['CUDA is not usable yet:', ...cuda.problems.flatMap((p) => [`  - ${p.reason}`, ...(p.fix ? [`    fix: ${p.fix}`] : [])]), '  (longweave engine doctor says more)'];
        process.stdout.write(`${lines.join('\n')}\n`);
      }
    }
  },
};

interface UninstallArgs {
  runtime: 'cuda';
  json: boolean;
}

export const uninstallCommand: CommandModule<object, UninstallArgs> = {
  command: 'uninstall <runtime>',
  describe: 'Remove what `engine install` placed (uninstall cuda: the provider libraries and their record)',
  builder: (y) =>
    y
      .positional('runtime', { choices: ['cuda'] as const, demandOption: true })
      .option('json', { type: 'boolean', default: false }) as Argv<UninstallArgs>,
  handler: (args) => {
    let result;
    try {
      result = uninstallCudaProvider();
    } catch (error) {
      throw new CliError((error as Error).message);
    }
    if (args.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else process.stdout.write(`removed ${result.removed.join(', ') || 'nothing'} from ${result.binDir}\n`);
  },
};
