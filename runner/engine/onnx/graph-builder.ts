// A small builder for ONNX graphs: named inputs and outputs, nodes with typed attributes, small
// constants stored inline and weights stored as external data. The model graph and every attention
// plug-in add their nodes through it, so names stay unique and the encoding stays in one place.
// A subgraph (the body of a Loop) is a builder of its own that shares the root's names and
// initializers: constants and weights live in the root graph, and the body reads them as outer-scope
// values, so a decoder layer emitted in a Loop body uses the same weights as the one emitted outside.
import { AttributeType, OnnxType, type ModelMessage, type OnnxElementType } from './proto.js';

/** A typed node attribute. */
export type Attribute =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'ints'; value: number[] }
  | { kind: 'floats'; value: number[] }
  | { kind: 'string'; value: string }
  | { kind: 'graph'; value: GraphBuilder }
  | { kind: 'tensor'; value: { type: OnnxElementType; dims: number[]; bytes: Uint8Array } };

/** @example node('Softmax', [x], { axis: int(-1) }) */
export const int = (value: number): Attribute => ({ kind: 'int', value });
export const float = (value: number): Attribute => ({ kind: 'float', value });
export const ints = (value: number[]): Attribute => ({ kind: 'ints', value });
export const floats = (value: number[]): Attribute => ({ kind: 'floats', value });
export const str = (value: string): Attribute => ({ kind: 'string', value });
/** A tensor attribute (ConstantOfShape's `value`). */
export const tensor = (type: OnnxElementType, dims: number[], bytes: Uint8Array): Attribute => ({ kind: 'tensor', value: { type, dims, bytes } });
/** A subgraph attribute (Loop's `body`); the builder comes from `GraphBuilder.subgraph`. */
export const graph = (value: GraphBuilder): Attribute => ({ kind: 'graph', value });

/** A dimension: a fixed size or a symbolic name. */
export type Dim = number | string;

/** Where an external initializer's bytes live inside the weights file. */
export interface ExternalLocation {
  offset: number;
  length: number;
}

interface TensorMessage {
  name: string;
  dims: number[];
  dataType: number;
  rawData?: Uint8Array;
  externalData?: { key: string; value: string }[];
  dataLocation?: number;
}

function attributeMessage(name: string, attr: Attribute): Record<string, unknown> {
  switch (attr.kind) {
    case 'int': return { name, type: AttributeType.int, i: attr.value };
    case 'float': return { name, type: AttributeType.float, f: attr.value };
    case 'ints': return { name, type: AttributeType.ints, ints: attr.value };
    case 'floats': return { name, type: AttributeType.floats, floats: attr.value };
    case 'string': return { name, type: AttributeType.string, s: new TextEncoder().encode(attr.value) };
    case 'graph': return { name, type: AttributeType.graph, g: attr.value.toGraph() };
    case 'tensor': return { name, type: AttributeType.tensor, t: { dims: attr.value.dims, dataType: OnnxType[attr.value.type], rawData: attr.value.bytes } };
  }
}

function valueInfo(name: string, type: OnnxElementType, dims: readonly Dim[]): Record<string, unknown> {
  return {
    name,
    type: {
      tensorType: {
        elemType: OnnxType[type],
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/** Builds one ONNX graph. */
export class GraphBuilder {
  private readonly nodes: Record<string, unknown>[] = [];
  private readonly inputs: Record<string, unknown>[] = [];
  private readonly outputs: Record<string, unknown>[] = [];
  private readonly initializers: TensorMessage[];
  private readonly used: Set<string>;
  private readonly names: { counter: number };
  /** Node count per op type (subgraphs' nodes included), for reports and tests. */
  readonly opCounts: Map<string, number>;
  private readonly totals: { nodes: number };
  /** The graph's name (subgraphs: the name given to `subgraph`). */
  readonly name: string;

  /**
   * @param externalFile File name (relative to the model file) that external initializers point to.
   */
  constructor(readonly externalFile = 'weights.bin', parent?: GraphBuilder, name = 'longweave') {
    this.name = name;
    this.initializers = parent ? parent.initializers : [];
    this.used = parent ? parent.used : new Set<string>();
    this.names = parent ? parent.names : { counter: 0 };
    this.opCounts = parent ? parent.opCounts : new Map<string, number>();
    this.totals = parent ? parent.totals : { nodes: 0 };
  }

  /**
   * A subgraph (a Loop's body): its own nodes, inputs and outputs; names, constants and weights
   * shared with this graph (initializers are stored in the root graph and read as outer-scope values).
   * @example const body = g.subgraph('decode_step'); g.node('Loop', [m, cond, x], { body: graph(body) }, { outputs: 2 })
   */
  subgraph(name: string): GraphBuilder {
    return new GraphBuilder(this.externalFile, this, this.fresh(name));
  }

  /** A fresh value name starting with `hint`. */
  fresh(hint: string): string {
    let name = hint;
    while (this.used.has(name)) name = `${hint}_${++this.names.counter}`;
    this.used.add(name);
    return name;
  }

  /** A value name not used yet, not reserved: give it to `input`, `output` or `node` right away. */
  unique(hint: string): string {
    let name = hint;
    while (this.used.has(name)) name = `${hint}_${++this.names.counter}`;
    return name;
  }

  /** Declares a graph input and returns its name. */
  input(name: string, type: OnnxElementType, dims: readonly Dim[]): string {
    if (this.used.has(name)) throw new Error(`Graph input name "${name}" is already used.`);
    this.used.add(name);
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  /** Declares `value` as a graph output named `name` (an Identity when the names differ). */
  output(value: string, name: string, type: OnnxElementType, dims: readonly Dim[]): void {
    if (value !== name) {
      if (this.used.has(name)) throw new Error(`Graph output name "${name}" is already used.`);
      this.used.add(name);
      this.nodes.push({ opType: 'Identity', input: [value], output: [name], name: `${name}_identity`, domain: '' });
      this.totals.nodes++;
    }
    this.outputs.push(valueInfo(name, type, dims));
  }

  /**
   * Adds a node and returns its output names.
   * @param outputs How many outputs (names generated) or explicit names; '' skips an optional output.
   */
  node(
    opType: string,
    inputs: readonly string[],
    attributes: Record<string, Attribute> = {},
    options: { domain?: string; outputs?: number | readonly string[]; name?: string } = {},
  ): string[] {
    const spec = options.outputs ?? 1;
    const outputNames = typeof spec === 'number'
      ? Array.from({ length: spec }, (_, i) => this.fresh(`${options.name ?? opType.toLowerCase()}_out${i}`))
      : spec.map((n) => (n === '' ? '' : this.claim(n)));
    this.nodes.push({
      opType,
      domain: options.domain ?? '',
      input: [...inputs],
      output: outputNames,
      name: this.fresh(`n_${options.name ?? opType}`),
      attribute: Object.entries(attributes).map(([key, attr]) => attributeMessage(key, attr)),
    });
    this.opCounts.set(opType, (this.opCounts.get(opType) ?? 0) + 1);
    this.totals.nodes++;
    return outputNames;
  }

  /** Adds a single-output node and returns the output's name. */
  op(opType: string, inputs: readonly string[], attributes: Record<string, Attribute> = {}, domain = ''): string {
    return this.node(opType, inputs, attributes, { domain })[0]!;
  }

  private claim(name: string): string {
    if (this.used.has(name)) throw new Error(`Value name "${name}" is already used in the graph.`);
    this.used.add(name);
    return name;
  }

  /** An inline int64 constant (shapes, axes, indices). */
  int64(values: readonly number[], dims: readonly number[] = [values.length], hint = 'c_i64'): string {
    const data = new BigInt64Array(values.map((v) => BigInt(v)));
    return this.inline(hint, 'int64', dims, new Uint8Array(data.buffer));
  }

  /** An inline int32 constant. */
  int32(values: readonly number[], dims: readonly number[] = [values.length], hint = 'c_i32'): string {
    return this.inline(hint, 'int32', dims, new Uint8Array(Int32Array.from(values).buffer));
  }

  /** An inline constant from raw little-endian bytes. */
  inline(hint: string, type: OnnxElementType, dims: readonly number[], bytes: Uint8Array): string {
    const name = this.fresh(hint);
    this.initializers.push({ name, dims: [...dims], dataType: OnnxType[type], rawData: bytes });
    return name;
  }

  /** An initializer whose bytes are at `location` in an external file (default: the weights file). */
  external(name: string, type: OnnxElementType, dims: readonly number[], location: ExternalLocation, file = this.externalFile): string {
    const claimed = this.claim(name);
    this.initializers.push({
      name: claimed,
      dims: [...dims],
      dataType: OnnxType[type],
      dataLocation: 1,
      externalData: [
        { key: 'location', value: file },
        { key: 'offset', value: String(location.offset) },
        { key: 'length', value: String(location.length) },
      ],
    });
    return claimed;
  }

  /** Number of nodes so far, subgraphs' included. */
  get nodeCount(): number {
    return this.totals.nodes;
  }

  /**
   * The graph as a GraphProto message, without initializers: the root graph's model carries them
   * all (toModel), and a subgraph reads them as outer-scope values.
   */
  toGraph(): Record<string, unknown> {
    return { name: this.name, node: this.nodes, input: this.inputs, output: this.outputs };
  }

  /** The finished model (ai.onnx opset 21 and com.microsoft 1). */
  toModel(metadata: Record<string, string> = {}): ModelMessage {
    return {
      irVersion: 10,
      opsetImport: [
        { domain: '', version: 21 },
        { domain: 'com.microsoft', version: 1 },
      ],
      producerName: 'longweave-engine',
      producerVersion: '1',
      graph: { ...this.toGraph(), initializer: this.initializers },
      metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    };
  }
}
