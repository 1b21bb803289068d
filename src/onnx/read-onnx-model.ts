import { SlipwayError } from '../core/errors.js';
import type { Signature, TensorSpec } from '../core/tensor-types.js';
import { ONNX_ELEMENT_NAMES, ONNX_ELEMENT_TO_DATATYPE } from './element-types.js';
import { type ModelProto, onnx, type TypeProto, type ValueInfoProto } from './onnx-proto.js';

/** What registration records from an ONNX file, before any rewrite. */
export interface OnnxModelInfo {
  irVersion: number;
  producerName: string;
  producerVersion: string;
  domain: string;
  modelVersion: number;
  docString: string;
  graphName: string;
  /** Operator set per domain (`ai.onnx` for the default domain). */
  opsets: Record<string, number>;
  metadataProps: Record<string, string>;
  inputs: ValueSpec[];
  outputs: ValueSpec[];
}

/** A graph input or output: a tensor, or something else (sequence, map) that cannot be served as is. */
export type ValueSpec =
  | ({ kind: 'tensor' } & TensorSpec)
  | { kind: 'other'; name: string; description: string };

/**
 * Decodes an ONNX ModelProto. Anything that is not one (a zip, a pickle, a truncated file) is
 * refused with ONNX_INVALID_MODEL: protobuf decoding of foreign bytes either throws or yields a
 * message without a graph, and both are caught here.
 */
export function decodeOnnxModel(bytes: Uint8Array, fileLabel: string): ModelProto {
  const sniffed = sniffForeignFormat(bytes);
  if (sniffed) {
    throw new SlipwayError(
      'ONNX_INVALID_MODEL',
      `${fileLabel} is not an ONNX model: it looks like ${sniffed}; expected an ONNX protobuf (.onnx)`,
    );
  }
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new SlipwayError(
      'ONNX_INVALID_MODEL',
      `${fileLabel} is not a valid ONNX model: protobuf decoding failed (${why}); the file may be truncated`,
    );
  }
  const graph = model.graph;
  if (!graph?.node?.length || !graph.output?.length) {
    throw new SlipwayError(
      'ONNX_INVALID_MODEL',
      `${fileLabel} is not a valid ONNX model: it decodes but holds no graph with nodes and outputs`,
    );
  }
  if (!model.opsetImport || model.opsetImport.length === 0) {
    throw new SlipwayError(
      'ONNX_INVALID_MODEL',
      `${fileLabel} is not a valid ONNX model: it declares no opset`,
    );
  }
  // onnx's checker refuses a node whose domain has no opset import ("No opset import for domain").
  // A file cut just before its last opset_import still decodes, so this is where truncation shows.
  const imported = new Set(model.opsetImport.map((o) => o.domain || 'ai.onnx'));
  for (const f of model.functions ?? []) if (f.domain) imported.add(f.domain);
  for (const node of graph.node) {
    const domain = node.domain || 'ai.onnx';
    if (!imported.has(domain)) {
      throw new SlipwayError(
        'ONNX_INVALID_MODEL',
        `${fileLabel} is not a valid ONNX model: node ${node.opType ?? '?'} uses domain "${domain}" but the ` +
          `model imports opsets only for ${[...imported].join(', ')}; the file may be truncated`,
      );
    }
  }
  return model;
}

export function describeOnnxModel(model: ModelProto): OnnxModelInfo {
  const graph = model.graph!;
  // Before IR 4, initializers were also listed as graph inputs; they are weights, not inputs.
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  const opsets: Record<string, number> = {};
  for (const o of model.opsetImport ?? []) opsets[o.domain || 'ai.onnx'] = Number(o.version ?? 0);
  const metadataProps: Record<string, string> = {};
  for (const p of model.metadataProps ?? []) if (p.key) metadataProps[p.key] = p.value ?? '';
  return {
    irVersion: Number(model.irVersion ?? 0),
    producerName: model.producerName ?? '',
    producerVersion: model.producerVersion ?? '',
    domain: model.domain ?? '',
    modelVersion: Number(model.modelVersion ?? 0),
    docString: model.docString ?? '',
    graphName: graph.name ?? '',
    opsets,
    metadataProps,
    inputs: (graph.input ?? []).filter((v) => !initializers.has(v.name ?? '')).map(describeValue),
    outputs: (graph.output ?? []).map(describeValue),
  };
}

/** The servable signature; throws ONNX_UNSUPPORTED_OUTPUT when a value is not a plain tensor. */
export function signatureOf(info: OnnxModelInfo, fileLabel: string): Signature {
  const pick = (values: ValueSpec[], what: string): TensorSpec[] =>
    values.map((v) => {
      if (v.kind === 'tensor') {
        const { kind: _kind, ...spec } = v;
        return spec;
      }
      throw new SlipwayError(
        'ONNX_UNSUPPORTED_OUTPUT',
        `${fileLabel}: ${what} "${v.name}" is a ${v.description}, which cannot be served; export tensors only`,
      );
    });
  return { inputs: pick(info.inputs, 'input'), outputs: pick(info.outputs, 'output') };
}

function describeValue(value: ValueInfoProto): ValueSpec {
  const name = value.name ?? '';
  const type = value.type;
  const tensor = type?.tensorType;
  if (tensor) {
    const elem = Number(tensor.elemType ?? 0);
    const datatype = ONNX_ELEMENT_TO_DATATYPE[elem];
    if (!datatype) {
      return {
        kind: 'other',
        name,
        description: `tensor of ${ONNX_ELEMENT_NAMES[elem] ?? `element type ${elem}`}`,
      };
    }
    const dims = tensor.shape?.dim ?? [];
    const shape = dims.map((d) =>
      d.dimValue !== undefined && d.dimValue !== null && Number(d.dimValue) > 0 ? Number(d.dimValue) : -1,
    );
    const dimNames = dims.map((d) => (d.dimParam ? d.dimParam : null));
    const spec: { kind: 'tensor' } & TensorSpec = { kind: 'tensor', name, datatype, shape };
    if (dimNames.some((n) => n !== null)) spec.dimNames = dimNames;
    return spec;
  }
  return { kind: 'other', name, description: describeType(type) };
}

function describeType(type: TypeProto | null | undefined): string {
  if (!type) return 'value of unknown type';
  if (type.sequenceType) {
    const inner = type.sequenceType.elemType;
    return inner?.mapType ? 'sequence of maps (a ZipMap)' : `sequence of ${describeType(inner)}`;
  }
  if (type.mapType) return 'map';
  return 'non-tensor value';
}

/** Recognises the usual wrong files by their first bytes, for a message that says what they are. */
function sniffForeignFormat(bytes: Uint8Array): string | null {
  if (bytes.length === 0) return 'an empty file';
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) {
    return 'a zip archive (a PyTorch .pt or a zipped model?)';
  }
  if (bytes[0] === 0x80 && bytes[1] !== undefined && bytes[1] >= 2 && bytes[1] <= 5) return 'a Python pickle';
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return 'a gzip file';
  if (bytes[0] === 0x89 && bytes[1] === 0x48 && bytes[2] === 0x44 && bytes[3] === 0x46)
    return 'an HDF5 file (Keras .h5?)';
  const head = Buffer.from(bytes.subarray(0, 16)).toString('latin1');
  if (/^\s*[{[]/.test(head)) return 'a JSON file';
  if (head.startsWith('artifact_path') || head.startsWith('flavors:'))
    return 'an MLflow MLmodel file (pass its folder)';
  return null;
}
