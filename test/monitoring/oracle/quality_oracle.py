"""scikit-learn oracle for slipway's model quality metrics.

Prints one JSON document: generated cases (labels, predictions, scores, probabilities) with
scikit-learn's answers. The vitest suite runs this with python3. Exit code 3: sklearn missing.
"""

import json
import sys
import warnings

try:
    import numpy as np
    import sklearn
    from sklearn import metrics
except ImportError as err:  # pragma: no cover
    print(f"scikit-learn is not importable ({err}); run: pip install scikit-learn==1.9.1 scipy==1.17.1 numpy==2.4.6", file=sys.stderr)
    sys.exit(3)

warnings.simplefilter("ignore")


def tolist(a):
    return [x.item() if hasattr(x, "item") else x for x in a]


def main():
    rng = np.random.default_rng(11)
    out = {"versions": {"sklearn": sklearn.__version__, "numpy": np.__version__}, "classification": [],
           "auc": [], "logloss": [], "regression": []}

    def cls(name, y_true, y_pred, average, pos_label=1):
        kw = {"average": average}
        if average == "binary":
            kw["pos_label"] = pos_label
        out["classification"].append({
            "name": name, "y_true": tolist(y_true), "y_pred": tolist(y_pred), "average": average,
            "pos_label": pos_label if average == "binary" else None,
            "accuracy": metrics.accuracy_score(y_true, y_pred),
            "precision": metrics.precision_score(y_true, y_pred, **kw),
            "recall": metrics.recall_score(y_true, y_pred, **kw),
            "f1": metrics.f1_score(y_true, y_pred, **kw),
        })

    y = rng.integers(0, 2, 500)
    p = np.where(rng.random(500) < 0.8, y, 1 - y)
    cls("binary_int", y, p, "binary")
    cls("binary_int_macro", y, p, "macro")
    ys = np.array(["no", "yes"])[y]
    ps = np.array(["no", "yes"])[p]
    cls("binary_str", ys, ps, "binary", "yes")
    cls("binary_never_predicted", y, np.zeros(500, dtype=int), "binary")
    y4 = rng.integers(0, 4, 400)
    p4 = np.where(rng.random(400) < 0.6, y4, rng.integers(0, 4, 400))
    cls("multiclass_macro", y4, p4, "macro")
    p4b = np.where(p4 == 3, 2, p4)  # label 3 never predicted: zero-division precision
    cls("multiclass_macro_missing_label", y4, p4b, "macro")
    cls("multiclass_str", np.array(["cat", "dog", "emu", "ant"])[y4], np.array(["cat", "dog", "emu", "ant"])[p4],
        "macro")

    def auc(name, y_true, score):
        out["auc"].append({"name": name, "y_true": tolist(y_true), "score": tolist(score),
                           "value": metrics.roc_auc_score(y_true, score)})

    s = np.clip(y * 0.3 + rng.random(500) * 0.7, 0, 1)
    auc("continuous", y, s)
    auc("heavy_ties", y, np.round(s, 1))
    auc("all_tied", y, np.full(500, 0.5))
    auc("string_labels", ys, np.round(s, 2))
    auc("perfect", y, y.astype(float))

    def ll(name, y_true, prob, labels=None):
        out["logloss"].append({"name": name, "y_true": tolist(y_true), "prob": np.asarray(prob).tolist(),
                               "labels": None if labels is None else tolist(labels),
                               "value": metrics.log_loss(y_true, prob, labels=labels)})

    ll("binary_1d", y, s)
    ll("binary_clipped", y, np.where(rng.random(500) < 0.1, y.astype(float), s))
    ll("binary_wrong_certain", [0, 1, 1], [1.0, 0.0, 0.5])
    probs = rng.dirichlet([1, 1, 1, 1], size=400)
    ll("multiclass", y4, probs)
    ll("multiclass_labels", y4[y4 < 3], probs[y4 < 3], labels=[0, 1, 2, 3])
    ll("binary_str", ys, s)

    def reg(name, y_true, y_pred):
        out["regression"].append({
            "name": name, "y_true": tolist(y_true), "y_pred": tolist(y_pred),
            "mae": metrics.mean_absolute_error(y_true, y_pred),
            "rmse": float(np.sqrt(metrics.mean_squared_error(y_true, y_pred))),
            "mape": metrics.mean_absolute_percentage_error(y_true, y_pred),
            "r2": metrics.r2_score(y_true, y_pred),
        })

    t = rng.normal(50, 10, 300)
    reg("normal", t, t + rng.normal(0, 3, 300))
    tz = np.round(rng.normal(0, 1, 300), 1)  # includes exact zeros (MAPE epsilon)
    reg("with_zeros", tz, tz + rng.normal(0, 0.5, 300))
    reg("constant_true", np.full(10, 3.0), np.full(10, 3.5))
    reg("constant_true_perfect", np.full(10, 3.0), np.full(10, 3.0))
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
