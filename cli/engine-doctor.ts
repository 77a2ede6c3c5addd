// `longweave engine doctor`: which runtimes work here, and why the others do not; see
// runner/engine/runtime/doctor.ts.
import type { Argv, CommandModule } from 'yargs';
import { formatDoctor, runDoctor } from '../runner/engine/runtime/doctor.js';
import { systemHost } from '../runner/engine/runtime/host.js';

interface DoctorArgs {
  smoke: boolean;
  json: boolean;
}

export const doctorCommand: CommandModule<object, DoctorArgs> = {
  command: 'doctor',
  describe: 'Which runtimes (cpu, webgpu, cuda) are usable here and, for each that is not, why and what fixes it',
  builder: (y) =>
    y
      .option('smoke', { type: 'boolean', default: true, describe: 'Run a tiny session on each runtime in a child process (the definitive check); --no-smoke for the static checks only' })
      .option('json', { type: 'boolean', default: false, describe: 'The whole report as JSON on stdout' }) as Argv<DoctorArgs>,
  handler: async (args) => {
    const report = await runDoctor(systemHost(), { smoke: args.smoke });
    process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : formatDoctor(report));
  },
};
