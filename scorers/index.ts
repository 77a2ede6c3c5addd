// longweave/scorers: every task's scorer, pure and synchronous, plus scoreSample, gold formatting,
// aggregation, file readers and adapters for other harnesses. Importing it loads no tokenizer,
// no onnxruntime and no CLI code.
export type { Scorer, ScorerInput, ScoreResult, ScorableSample, ScorablePrediction } from './types.js';
export { scorers, SCORER_NAMES, getScorer, isScorerName, type ScorerName } from './registry.js';
export { scoreSample, type ScoreOptions, type SampleScore } from './score-sample.js';
export { formatGold, goldAnswer, type ListStyle } from './gold.js';
export { numbered, fillTemplate, itemMatches, type NumberedMetadata } from './numbered.js';
export { setIou, answerSet, goldSet, setOverlap, type SetMetadata } from './set-iou.js';
export { exact } from './exact.js';
export { tokenF1, squadNormalize, tokenSetF1 } from './token-f1.js';
export { choiceSet, choiceLetters, type ChoiceMetadata } from './choice-set.js';
export { containsAllFraction, containsAny, containsAllF1, containsAnyPrecise, candidates, rulerPostprocess } from './contains.js';
export { normalizeAnswer, canonicalAnswer, answersMatch, foldUnicode, isNoneAnswer, NONE, NONE_PHRASES } from './text/normalize.js';
export { stripReasoning, extractAnswer, numberedItems, listItems, splitLines, type ExtractedAnswer, type AnswerSource } from './text/extract.js';
export { paperReferenceScorers, paperReferenceScorer, referenceOf, firstAnswerBlock, type ReferenceScorer, type ReferenceName } from './compat/paper-reference.js';
export { rulerStringMatchAll, rulerStringMatchPart } from './compat/ruler.js';
export { SCORER_VERSION } from './version.js';
export { mean, wilson, tInterval, confidenceInterval, tQuantile975, type ConfidenceInterval } from './stats/confidence.js';
export { summarize, toResultRecord, type ResultRecord, type SampleMeta, type GroupSummary, type ScoreSummary } from './summarize.js';
export { matchPredictions, type MatchedPair, type MatchResult } from './match.js';
export { InputFileError } from './io/errors.js';
export { parseJsonl, parseJsonlLine, readJsonl, readJsonlAll, type JsonlLine } from './io/jsonl.js';
export { readSamples, type LoadedSample, type ReadSamplesOptions } from './io/samples.js';
export { readPredictions, normalizePrediction, type LoadedPrediction, type IdSource } from './io/predictions.js';
export { promptfooAssertion, promptfooExport, promptfooAssertionPath, type PromptfooGradingResult, type PromptfooAssertionContext, type PromptfooExportOptions } from './adapters/promptfoo.js';
export { autoevalsScorer, type AutoevalsScore, type AutoevalsArgs } from './adapters/autoevals.js';
export { langsmithEvaluator, toLangSmith, type LangSmithResult, type LangSmithEvaluatorArgs } from './adapters/langsmith.js';
export { inspectExport, toInspectScoreRow, type InspectScoreRow } from './adapters/inspect.js';
export { lmEvalExport, type LmEvalExportOptions } from './adapters/lm-eval.js';
export { sampleFromVars } from './adapters/context.js';
export { writeExport } from './adapters/write.js';
