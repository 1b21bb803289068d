"""Builds slipway's own example model and the small test fixtures that ../shared/fixtures lacks.

Run from the repository root:  python3 examples/make_models.py
Needs: pip install scikit-learn==1.6.1 skl2onnx==1.18.0 onnx==1.17.0 mlflow-skinny==3.1.1 pandas

Outputs (committed, so `npm start` and `npm test` need no Python):
  examples/models/iris-classifier/model.onnx   logistic regression on iris, probability tensor (no ZipMap)
  examples/models/iris-classifier/train.csv    the training split, for lineage (`--dataset ... --target species`)
  examples/models/iris-classifier/holdout.csv  the rest, for evaluation and drift demos
  test/fixtures/zipmap-logreg.onnx             the same model exported with skl2onnx's default ZipMap output
  test/fixtures/mlflow-onnx-iris/              an MLflow model directory (onnx flavor) written by mlflow.onnx.save_model
"""
import json
import os
import shutil

import numpy as np
import pandas as pd
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from skl2onnx import to_onnx
from skl2onnx.common.data_types import FloatTensorType

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
LABELS = ["setosa", "versicolor", "virginica"]


def main() -> None:
    iris = load_iris()
    x = iris.data.astype(np.float32)
    y = np.array([LABELS[i] for i in iris.target])
    x_train, x_hold, y_train, y_hold = train_test_split(x, y, test_size=0.3, random_state=7, stratify=y)
    model = LogisticRegression(max_iter=500, random_state=0).fit(x_train, y_train)

    out = os.path.join(ROOT, "examples", "models", "iris-classifier")
    os.makedirs(out, exist_ok=True)
    for name, xs, ys in (("train.csv", x_train, y_train), ("holdout.csv", x_hold, y_hold)):
        frame = pd.DataFrame(xs, columns=FEATURES)
        frame["species"] = ys
        frame.to_csv(os.path.join(out, name), index=False, float_format="%.6g")

    initial = [("features", FloatTensorType([None, 4]))]
    plain = to_onnx(model, initial_types=initial, options={id(model): {"zipmap": False}}, target_opset={"": 17, "ai.onnx.ml": 3})
    with open(os.path.join(out, "model.onnx"), "wb") as f:
        f.write(plain.SerializeToString())

    fixtures = os.path.join(ROOT, "test", "fixtures")
    os.makedirs(fixtures, exist_ok=True)
    zipmap = to_onnx(model, initial_types=initial, target_opset={"": 17, "ai.onnx.ml": 3})
    with open(os.path.join(fixtures, "zipmap-logreg.onnx"), "wb") as f:
        f.write(zipmap.SerializeToString())
    # What scikit-learn itself predicts for the first rows, to check the rewritten ZipMap model.
    sample = x_hold[:5]
    with open(os.path.join(fixtures, "zipmap-logreg.expected.json"), "w") as f:
        json.dump(
            {
                "inputs": sample.tolist(),
                "labels": model.predict(sample).tolist(),
                "probabilities": model.predict_proba(sample).tolist(),
            },
            f,
        )

    import mlflow.onnx
    from mlflow.models import infer_signature

    mdir = os.path.join(fixtures, "mlflow-onnx-iris")
    shutil.rmtree(mdir, ignore_errors=True)
    example = pd.DataFrame(x_hold[:2], columns=FEATURES)
    signature = infer_signature(example, model.predict_proba(x_hold[:2]).astype(np.float32))
    # Explicit requirements: inferring them would load and run the model in a subprocess.
    mlflow.onnx.save_model(
        plain, mdir, signature=signature, input_example=example, pip_requirements=["onnx", "onnxruntime"]
    )


if __name__ == "__main__":
    main()
