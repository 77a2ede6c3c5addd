// Statistics attention builders report per layer (AttentionContext.report), summed over a graph's
// layers into one float32 scalar output each: `attention.stats.kept_pairs` is what the engine turns
// into a data-dependent method's measured effective sparsity (Vertical-Slash's tile union,
// FlexPrefill's coverage counts), and what `engine bench` prints next to the budget's target.
import type { GraphBuilder } from '../onnx/graph-builder.js';
import type { AttentionStat } from './types.js';

/** The graph output of a summed statistic. */
export const statOutput = (name: AttentionStat): string => `attention.stats.${name}`;

/** A run's value of a statistic (its scalar output read on the host), or undefined when the graph reports none. */
export function statValue(outputs: Readonly<Record<string, { data: unknown }>>, name: AttentionStat): number | undefined {
  const tensor = outputs[statOutput(name)];
  return tensor ? Number((tensor.data as Float32Array)[0]) : undefined;
}

/** Collects the reports of a graph's layers; `finish` adds one output per statistic reported. */
export function statCollector(g: GraphBuilder): { report(name: AttentionStat, value: string): void; finish(): string[] } {
  const reported = new Map<AttentionStat, string[]>();
  return {
    report(name, value) {
      const list = reported.get(name) ?? [];
      list.push(value);
      reported.set(name, list);
    },
    finish() {
      const outputs: string[] = [];
      for (const [name, values] of reported) {
        const total = values.length === 1 ? values[0]! : g.op('Sum', values);
        g.output(total, statOutput(name), 'float', []);
        outputs.push(statOutput(name));
      }
      return outputs;
    },
  };
}
