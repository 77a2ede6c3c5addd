"""Checks the parity corpus against the real reference implementations, in Python.

Runs sparse-frontier's task `evaluate` functions and RULER's postprocess_pred / string_match_*
over a dump of the corpus (dump-corpus.ts) and compares every outcome with the TypeScript
re-implementation's (`ts`) and the package's (`pkg`). With --fixture, also writes a stratified
subset with Python's outcomes, which python-reference.test.ts checks the re-implementation
against in CI (where the reference code is not available).

    npx tsx test/scorers/parity/dump-corpus.ts /tmp/parity-corpus.json
    python3 test/scorers/parity/check_python_reference.py /tmp/parity-corpus.json \
        --sparse-frontier ~/src/sparse-frontier --ruler ~/src/RULER \
        [--fixture test/scorers/parity/python-reference.json]

Needs numpy. The model-side modules the task files import are stubbed; only `evaluate` runs.
"""
import argparse
import ast
import json
import platform
import re
import subprocess
import sys
import types


def load_sparse_frontier(root):
    stub = types.ModuleType('sparse_frontier.modelling.tokenizer')
    stub.Tokenizer = object
    sys.modules['sparse_frontier.modelling'] = types.ModuleType('sparse_frontier.modelling')
    sys.modules['sparse_frontier.modelling.tokenizer'] = stub
    sys.path.insert(0, root)
    from sparse_frontier.tasks.ruler.niah import NIAHTask
    from sparse_frontier.tasks.ruler.vt import VariableTrackingTask
    from sparse_frontier.tasks.ruler.cwe import CommonWordTask
    from sparse_frontier.tasks.story.retrieval import RetrievalTask
    from sparse_frontier.tasks.story.multihop import MultiHopTask
    from sparse_frontier.tasks.story.filtering import FilteringTask
    from sparse_frontier.tasks.qa.qa_task import QATask
    # For each metric: evaluate, the key of its mean, and two helper examples scoring 1 and 0. An
    # example's outcome is read from the means of [example, one] and [example, zero]: a dropped
    # example gives 1.0 and 0.0, a kept one with score s gives (s + 1) / 2 and s / 2.
    return {
        'sparse-frontier ruler/niah': (NIAHTask.evaluate, 'accuracy', {'answers': [['k', 'v']], 'pred': '1. The answer for k is v.'}, {'answers': [['k', 'v']], 'pred': 'x'}),
        'sparse-frontier ruler/vt': (VariableTrackingTask.evaluate, 'iou', {'gold_answer': 'AB', 'pred': 'AB'}, {'gold_answer': 'AB', 'pred': 'CD'}),
        'sparse-frontier ruler/cwe': (CommonWordTask.evaluate, 'iou', {'common_words': ['a'], 'pred': '<answer>1. a</answer>'}, {'common_words': ['a'], 'pred': 'x'}),
        'sparse-frontier story/retrieval': (RetrievalTask.evaluate, 'accuracy', {'gold_answer': '1. a', 'pred': '1. a'}, {'gold_answer': '1. a', 'pred': '1. b'}),
        'sparse-frontier story/multihop': (MultiHopTask.evaluate, 'accuracy', {'gold_answer': 'a', 'pred': '<answer>a</answer>'}, {'gold_answer': 'a', 'pred': '<answer>b</answer>'}),
        'sparse-frontier story/filtering': (FilteringTask.evaluate, 'iou', {'gold_answer': '1', 'pred': '<answer>1</answer>'}, {'gold_answer': '1', 'pred': '<answer>2</answer>'}),
        'sparse-frontier qa (open)': (QATask.evaluate, 'f1', {'gold_answer': ['a'], 'pred': '<answer>a</answer>', 'is_mcq': False}, {'gold_answer': ['a'], 'pred': '<answer>b</answer>', 'is_mcq': False}),
        'sparse-frontier qa (choice)': (QATask.evaluate, 'accuracy', {'gold_answer': 'A', 'pred': '<answer>A</answer>', 'is_mcq': True}, {'gold_answer': 'A', 'pred': '<answer>B</answer>', 'is_mcq': True}),
    }


def load_ruler(root):
    constants = {}
    exec(open(f'{root}/scripts/eval/synthetic/constants.py').read(), constants)
    source = open(f'{root}/scripts/eval/evaluate.py').read()
    node = next(n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef) and n.name == 'postprocess_pred')
    namespace = {'re': re}
    exec(ast.get_source_segment(source, node), namespace)
    return namespace['postprocess_pred'], constants['string_match_all'], constants['string_match_part']


def commit(root):
    return subprocess.run(['git', '-C', root, 'rev-parse', 'HEAD'], capture_output=True, text=True).stdout.strip() or 'unknown'


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('corpus')
    parser.add_argument('--sparse-frontier', required=True)
    parser.add_argument('--ruler', required=True)
    parser.add_argument('--fixture')
    parser.add_argument('--per-metric', type=int, default=30)
    parser.add_argument('--sparse-frontier-commit', help='when the checkout is not a git work tree')
    parser.add_argument('--ruler-commit', help='when the checkout is not a git work tree')
    args = parser.parse_args()

    evaluators = load_sparse_frontier(args.sparse_frontier)
    postprocess, match_all, match_part = load_ruler(args.ruler)
    rows = json.load(open(args.corpus))
    disagreements = {'ts': 0, 'pkg': 0}
    for row in rows:
        metric, example = row['metric'], row['example']
        if metric.startswith('ruler'):
            fn = match_all if metric.endswith('all') else match_part
            # One prediction's metric: the per-sample score x100, rounded to 2 decimals by RULER.
            row['python'] = {'score_x100': fn([postprocess(example['pred'], {})], [example['outputs']])}
            agree = lambda mine: 'score' in mine and round(mine['score'] * 100, 2) == row['python']['score_x100']
        else:
            evaluate, key, one, zero = evaluators[metric]
            with_one, with_zero = evaluate([example, one])[key], evaluate([example, zero])[key]
            row['python'] = {'excluded': True} if (with_one == 1.0 and with_zero == 0.0) else {'score': float(with_zero * 2)}
            agree = lambda mine: mine == row['python']
        for who in ('ts', 'pkg'):
            if who in row and not agree(row[who]):
                disagreements[who] += 1
                if disagreements[who] <= 5:
                    print(f'{who} disagrees on {metric}: {json.dumps(example)[:300]} -> {row[who]} vs {row["python"]}')
    counts = {}
    for row in rows:
        counts[row['metric']] = counts.get(row['metric'], 0) + 1
    print(json.dumps({'examples': len(rows), 'per_metric': counts, 'disagreements': disagreements}, indent=1))

    if args.fixture:
        # Per metric, examples a JavaScript port is most likely to read differently first: F1 on a
        # rounding tie, letters outside ASCII against ASCII ones (word boundaries), whitespace and
        # control characters the two languages classify differently, digits of other scripts,
        # letters that re.IGNORECASE folds to ASCII; then the rest, in corpus order.
        traps = [
            lambda r: r['python'].get('score') in (0.12, 0.38, 0.62, 0.88),
            lambda r: re.search(r'[^\x00-\x7f][A-Za-z]|[A-Za-z][^\x00-\x7f]', r['example']['pred']),
            lambda r: re.search('[^\\x00-\\x7f](?:the|an?|and|or|about|to|is)|(?:the|an?|and|or|about|to|is)[^\\x00-\\x7f]', r['example']['pred'].lower()),
            lambda r: re.search('[\x1c-\x1f\x85\ufeff\u2028\u2029\xa0\u3000\r]', r['example']['pred']),
            lambda r: re.search(r'(?![0-9])\d', r['example']['pred']),
            lambda r: re.search('[\u017f\u0130\u0131\u212a]', r['example']['pred']),
        ]
        chosen = []
        for metric in sorted(counts):
            of_metric = [r for r in rows if r['metric'] == metric]
            picked = []
            for trap in traps:
                picked += [r for r in of_metric if trap(r) and r not in picked][: args.per_metric // (len(traps) + 1)]
            picked += [r for r in of_metric if r not in picked]
            chosen += picked[: args.per_metric]
        fixture = {
            'about': 'Outcomes of the reference implementations, computed by check_python_reference.py; see python-reference.test.ts.',
            'python': platform.python_version(),
            'sparseFrontier': args.sparse_frontier_commit or commit(args.sparse_frontier),
            'ruler': args.ruler_commit or commit(args.ruler),
            'examples': [{'metric': r['metric'], 'example': r['example'], 'python': r['python']} for r in chosen],
        }
        with open(args.fixture, 'w', encoding='utf-8') as f:
            json.dump(fixture, f, ensure_ascii=True, indent=0)
            f.write('\n')
        print(f'wrote {len(chosen)} examples to {args.fixture}')
    sys.exit(1 if any(disagreements.values()) else 0)


if __name__ == '__main__':
    main()
