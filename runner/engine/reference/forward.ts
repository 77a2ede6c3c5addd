// A plain TypeScript forward pass in float64: the decoder exactly as transformers defines it,
// written for clarity, with a KV cache so prefill and every decode step can be checked against the
// engine's graphs. Slow by design; for tiny test models only.
import type { ModelSpec } from '../checkpoint/config.js';
import type { WeightSource } from '../checkpoint/checkpoint.js';
import { toFloat64 } from '../dtype.js';
import { ropeTables, type RopeTables } from '../rope.js';
import { EMBED, FINAL_NORM, LM_HEAD, layerNames } from '../graph/weight-layout.js';
import { headTensor, type DecodeInput } from '../sparse/tensor.js';

type Vec = Float64Array;

/** y = W x (+ b) with W stored [out, in] as transformers keeps it. */
function linear(w: Vec, x: Vec, out: number, inp: number, bias?: Vec): Vec {
  const y = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let acc = bias ? bias[o]! : 0;
    const base = o * inp;
    for (let i = 0; i < inp; i++) acc += w[base + i]! * x[i]!;
    y[o] = acc;
  }
  return y;
}

function rmsNorm(x: Vec, w: Vec, eps: number, offset = 0, size = x.length): Vec {
  let ss = 0;
  for (let i = 0; i < size; i++) ss += x[offset + i]! ** 2;
  const inv = 1 / Math.sqrt(ss / size + eps);
  const y = new Float64Array(size);
  for (let i = 0; i < size; i++) y[i] = x[offset + i]! * inv * w[i]!;
  return y;
}

/** Rotates one head in place (rotate_half convention: pairs (i, i + d/2)). */
export function applyRope(x: Vec, offset: number, headDim: number, tables: RopeTables, position: number): void {
  const half = headDim / 2;
  for (let i = 0; i < half; i++) {
    const c = tables.cos[position * half + i]!;
    const s = tables.sin[position * half + i]!;
    const a = x[offset + i]!;
    const b = x[offset + half + i]!;
    x[offset + i] = a * c - b * s;
    x[offset + half + i] = b * c + a * s;
  }
}

interface LayerWeights {
  inputNorm: Vec;
  postNorm: Vec;
  q: Vec; k: Vec; v: Vec; o: Vec;
  qBias?: Vec; kBias?: Vec; vBias?: Vec; oBias?: Vec;
  qNorm?: Vec; kNorm?: Vec;
  gate: Vec; up: Vec; down: Vec;
}

/** The reference model with its KV cache. */
export class ReferenceModel {
  private readonly layers: LayerWeights[] = [];
  private readonly embed: Vec;
  private readonly head: Vec;
  private readonly finalNorm: Vec;
  private readonly tables: RopeTables;
  /** Per layer: keys and values after RoPE, [position][kvHead * headDim]. */
  private keys: Vec[][] = [];
  private values: Vec[][] = [];

  constructor(readonly spec: ModelSpec, source: WeightSource, maxPositions = 512) {
    const read = (name: string): Vec => {
      const t = source.read(name);
      return toFloat64(t.bytes, t.dtype);
    };
    const opt = (name: string): Vec | undefined => (source.entries().has(name) ? read(name) : undefined);
    this.embed = read(EMBED);
    this.head = spec.tieWordEmbeddings ? this.embed : read(LM_HEAD);
    this.finalNorm = read(FINAL_NORM);
    for (let layer = 0; layer < spec.numLayers; layer++) {
      const n = layerNames(layer);
      const w: LayerWeights = {
        inputNorm: read(n.inputNorm), postNorm: read(n.postNorm),
        q: read(`${n.q}.weight`), k: read(`${n.k}.weight`), v: read(`${n.v}.weight`), o: read(`${n.o}.weight`),
        gate: read(`${n.gate}.weight`), up: read(`${n.up}.weight`), down: read(`${n.down}.weight`),
      };
      const qb = opt(`${n.q}.bias`); if (qb) w.qBias = qb;
      const kb = opt(`${n.k}.bias`); if (kb) w.kBias = kb;
      const vb = opt(`${n.v}.bias`); if (vb) w.vBias = vb;
      const ob = opt(`${n.o}.bias`); if (ob) w.oBias = ob;
      if (spec.qkNorm) {
        w.qNorm = read(n.qNorm);
        w.kNorm = read(n.kNorm);
      }
      this.layers.push(w);
    }
    this.tables = ropeTables(spec, maxPositions);
    this.reset();
  }

  /**
   * Optional attention override (sparse references): given the layer, the position and this step's
   * query and cache (RoPE applied, the current token included), returns the attended `[numHeads *
   * headDim]` or undefined for dense attention.
   */
  attend?: (layer: number, position: number, step: DecodeInput) => Float64Array | undefined;

  private stepInput(q: Vec, keys: readonly Vec[], values: readonly Vec[]): DecodeInput {
    const { numHeads, numKvHeads, headDim } = this.spec;
    const L = keys.length;
    const key = new Float64Array(numKvHeads * L * headDim);
    const value = new Float64Array(numKvHeads * L * headDim);
    for (let g = 0; g < numKvHeads; g++) {
      for (let j = 0; j < L; j++) {
        key.set(keys[j]!.subarray(g * headDim, (g + 1) * headDim), (g * L + j) * headDim);
        value.set(values[j]!.subarray(g * headDim, (g + 1) * headDim), (g * L + j) * headDim);
      }
    }
    return { query: headTensor(numHeads, 1, headDim, Float64Array.from(q)), key: headTensor(numKvHeads, L, headDim, key), value: headTensor(numKvHeads, L, headDim, value) };
  }

  /** Empties the KV cache. */
  reset(): void {
    this.keys = this.layers.map(() => []);
    this.values = this.layers.map(() => []);
  }

  /** Number of cached positions. */
  get length(): number {
    return this.keys[0]?.length ?? 0;
  }

  /** Feeds one token at the next position and returns its logits. */
  step(token: number): Vec {
    const s = this.spec;
    const d = s.hiddenSize;
    const hd = s.headDim;
    const qDim = s.numHeads * hd;
    const kvDim = s.numKvHeads * hd;
    const group = s.numHeads / s.numKvHeads;
    const position = this.length;
    if (token < 0 || token >= s.vocabSize) throw new RangeError(`Token ${token} is outside the vocabulary (0..${s.vocabSize - 1}).`);
    let x: Vec = this.embed.slice(token * d, (token + 1) * d);
    this.layers.forEach((w, layer) => {
      const h = rmsNorm(x, w.inputNorm, s.rmsNormEps);
      const q = linear(w.q, h, qDim, d, w.qBias);
      const k = linear(w.k, h, kvDim, d, w.kBias);
      const v = linear(w.v, h, kvDim, d, w.vBias);
      for (let head = 0; head < s.numHeads; head++) {
        if (w.qNorm) q.set(rmsNorm(q, w.qNorm, s.rmsNormEps, head * hd, hd), head * hd);
        applyRope(q, head * hd, hd, this.tables, position);
      }
      for (let head = 0; head < s.numKvHeads; head++) {
        if (w.kNorm) k.set(rmsNorm(k, w.kNorm, s.rmsNormEps, head * hd, hd), head * hd);
        applyRope(k, head * hd, hd, this.tables, position);
      }
      this.keys[layer]!.push(k);
      this.values[layer]!.push(v);
      const keys = this.keys[layer]!;
      const values = this.values[layer]!;
      const custom = this.attend ? this.attend(layer, position, this.stepInput(q, keys, values)) : undefined;
      const attended = custom ?? new Float64Array(qDim);
      const scale = 1 / Math.sqrt(hd);
      for (let head = 0; head < (custom ? 0 : s.numHeads); head++) {
        const kvHead = Math.floor(head / group);
        const scores = new Float64Array(keys.length);
        let max = -Infinity;
        for (let j = 0; j < keys.length; j++) {
          let dot = 0;
          for (let i = 0; i < hd; i++) dot += q[head * hd + i]! * keys[j]![kvHead * hd + i]!;
          scores[j] = dot * scale;
          if (scores[j]! > max) max = scores[j]!;
        }
        let z = 0;
        for (let j = 0; j < keys.length; j++) z += scores[j] = Math.exp(scores[j]! - max);
        for (let j = 0; j < keys.length; j++) {
          const p = scores[j]! / z;
          for (let i = 0; i < hd; i++) attended[head * hd + i] = attended[head * hd + i]! + p * values[j]![kvHead * hd + i]!;
        }
      }
      const o = linear(w.o, attended, d, qDim, w.oBias);
      const x1 = x.map((xi, i) => xi + o[i]!);
      const h2 = rmsNorm(x1, w.postNorm, s.rmsNormEps);
      const gate = linear(w.gate, h2, s.intermediateSize, d);
      const up = linear(w.up, h2, s.intermediateSize, d);
      const act = gate.map((g, i) => (g / (1 + Math.exp(-g))) * up[i]!);
      const down = linear(w.down, act, d, s.intermediateSize);
      x = x1.map((xi, i) => xi + down[i]!);
    });
    return linear(this.head, rmsNorm(x, this.finalNorm, s.rmsNormEps), s.vocabSize, d);
  }

  /** Feeds tokens in order and returns the logits of every position. */
  forward(tokens: readonly number[]): Vec[] {
    return tokens.map((t) => this.step(t));
  }
}
