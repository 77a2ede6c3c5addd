// lm-evaluation-harness: a task YAML and its dataset JSONL. lm-eval generates with greedy
// decoding up to the sample's token budget; `--log_samples` writes doc_id / resps per document,
// which `longweave score --predictions <that file>` reads (doc.id carries our sample id). The
// task's own metric, `contains_all`, is RULER's string_match_all (fraction of targets found),
// implemented in the generated utils.py, as an in-harness preview; exact scores come from
// `longweave score`.
import type { Sample } from '../../generators/core/sample.js';

/** Exporter options. */
export interface LmEvalExportOptions {
  /** lm-eval task name (default `longweave_` + the task ids, `/` and `-` as `_`). */
  taskName?: string;
}

const UTILS_PY = `"""longweave task helpers for lm-evaluation-harness (written by longweave)."""


def process_results(doc, results):
    """RULER's string_match_all: fraction of targets found in the output, case-insensitive."""
    prediction = results[0].lower() if results else ""
    targets = doc["target"]
    found = sum(1.0 for t in targets if t.lower() in prediction)
    return {"contains_all": found / len(targets) if targets else 0.0}
`;

function yamlString(value: string): string {
  return JSON.stringify(value);
}

/**
 * Files for lm-eval: `<task>.yaml`, `<task>.jsonl` (fields `id`, `task`, `input`, `target`,
 * `answer_prefix`, `length`, `scorer`, `max_gen_toks`) and `utils.py`. Point lm-eval at the folder with
 * `--include_path`.
 * @example lmEvalExport(samples)['longweave_ruler_niah.yaml']
 */
export function lmEvalExport(samples: readonly Sample[], options: LmEvalExportOptions = {}): Record<string, string> {
  const taskName = options.taskName ?? `longweave_${[...new Set(samples.map((s) => s.task))].join('_')}`.replace(/[^A-Za-z0-9_]/g, '_');
  const maxTokens = Math.max(1, ...samples.map((s) => s.metadata.maxOutputTokens));
  const docs = samples.map((s) =>
    JSON.stringify({ id: s.id, task: s.task, input: s.input, target: s.target, answer_prefix: s.answerPrefix ?? '', length: s.metadata.targetLength, scorer: s.metadata.scorer, max_gen_toks: s.metadata.maxOutputTokens }),
  );
  const yaml = [
    `# longweave export for lm-evaluation-harness. Run: lm_eval --include_path . --tasks ${taskName} --log_samples ...`,
    `# then score exactly: longweave score --samples samples.jsonl --predictions <logged samples_${taskName}_*.jsonl> --out results/`,
    `task: ${taskName}`,
    'dataset_path: json',
    'dataset_kwargs:',
    '  data_files:',
    `    test: ${yamlString(`${taskName}.jsonl`)}`,
    'test_split: test',
    'output_type: generate_until',
    `doc_to_text: ${yamlString('{{input}}{{answer_prefix}}')}`,
    'doc_to_target: target',
    'process_results: !function utils.process_results',
    'generation_kwargs:',
    '  until: []',
    `  max_gen_toks: ${maxTokens}`,
    '  do_sample: false',
    '  temperature: 0.0',
    'metric_list:',
    '  - metric: contains_all',
    '    aggregation: mean',
    '    higher_is_better: true',
    'metadata:',
    '  version: 1.0',
    '',
  ].join('\n');
  return { [`${taskName}.yaml`]: yaml, [`${taskName}.jsonl`]: docs.join('\n') + (docs.length ? '\n' : ''), 'utils.py': UTILS_PY };
}
