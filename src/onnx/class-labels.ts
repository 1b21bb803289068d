import type { ModelProto } from './onnx-proto.js';

const CLASSIFIERS = new Set(['TreeEnsembleClassifier', 'LinearClassifier', 'SVMClassifier']);

/**
 * Class labels carried by an ai.onnx.ml classifier node (scikit-learn, XGBoost and LightGBM
 * converters all emit one), in probability-column order; null for other models.
 */
export function classLabelsOf(model: ModelProto): string[] | null {
  for (const node of model.graph?.node ?? []) {
    if (!CLASSIFIERS.has(node.opType ?? '')) continue;
    for (const attr of node.attribute ?? []) {
      if (attr.name === 'classlabels_strings' && attr.strings?.length) {
        return attr.strings.map((s) => Buffer.from(s).toString('utf8'));
      }
      if (attr.name === 'classlabels_int64s' && attr.ints?.length) return attr.ints.map((i) => String(i));
    }
  }
  return null;
}
