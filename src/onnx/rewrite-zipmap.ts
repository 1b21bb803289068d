import { SlipwayError } from '../core/errors.js';
import { type ModelProto, type NodeProto, onnx } from './onnx-proto.js';

export interface ZipMapRewrite {
  /** The model with every output ZipMap replaced by an Identity on its probability tensor. */
  model: ModelProto;
  /** Class labels read from the ZipMap, in probability-column order. */
  classLabels: string[];
  /** Names of the outputs that were rewritten. */
  outputs: string[];
}

/**
 * skl2onnx ends classifiers with a ZipMap by default: it turns the [N, C] probability tensor into
 * a sequence of {label: probability} maps, which no tensor protocol can carry. We replace each
 * ZipMap that feeds a graph output with an Identity, so the output keeps its name but becomes the
 * FLOAT tensor [N, C], and keep the class labels from the ZipMap's attributes.
 *
 * Returns null when the model has no ZipMap output.
 */
export function rewriteZipMap(model: ModelProto, fileLabel: string): ZipMapRewrite | null {
  const graph = model.graph!;
  const outputNames = new Set((graph.output ?? []).map((o) => o.name));
  const zipmaps = (graph.node ?? []).filter(
    (n) => n.opType === 'ZipMap' && (n.output ?? []).some((o) => outputNames.has(o)),
  );
  if (zipmaps.length === 0) return null;

  const copy = onnx.ModelProto.decode(onnx.ModelProto.encode(model).finish());
  const g = copy.graph!;
  let classLabels: string[] = [];
  const rewritten: string[] = [];
  for (const zipmap of zipmaps) {
    const outName = zipmap.output![0];
    const labels = zipmapLabels(zipmap);
    if (labels.length === 0) {
      throw new SlipwayError(
        'ONNX_UNSUPPORTED_OUTPUT',
        `${fileLabel}: output "${outName}" is a ZipMap without class labels; export with ` +
          `skl2onnx's options={id(model): {"zipmap": False}} to get a probability tensor`,
      );
    }
    classLabels = labels;
    const node = g.node!.find((n) => n.opType === 'ZipMap' && n.output?.[0] === outName)!;
    node.opType = 'Identity';
    node.domain = '';
    node.attribute = [];
    const output = g.output!.find((o) => o.name === outName)!;
    output.type = onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: onnx.TensorShapeProto.create({
          dim: [
            onnx.TensorShapeProto.Dimension.create({ dimParam: 'N' }),
            onnx.TensorShapeProto.Dimension.create({ dimValue: labels.length }),
          ],
        }),
      }),
    });
    rewritten.push(outName);
  }
  ensureDefaultOpset(copy);
  return { model: copy, classLabels, outputs: rewritten };
}

function zipmapLabels(node: NodeProto): string[] {
  for (const attr of node.attribute ?? []) {
    if (attr.name === 'classlabels_strings' && attr.strings?.length) {
      return attr.strings.map((s) => Buffer.from(s).toString('utf8'));
    }
    if (attr.name === 'classlabels_int64s' && attr.ints?.length) return attr.ints.map((i) => String(i));
  }
  return [];
}

/** Identity lives in the default domain; a pure ai.onnx.ml graph may not import it yet. */
function ensureDefaultOpset(model: ModelProto): void {
  const imports = model.opsetImport ?? [];
  if (!imports.some((o) => !o.domain || o.domain === 'ai.onnx')) {
    imports.push(onnx.OperatorSetIdProto.create({ domain: '', version: 13 }));
    model.opsetImport = imports;
  }
}
