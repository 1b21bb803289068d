"""The data scientist's script, run by the real `mlflow` client against slipway.

Usage: python tracking_flow.py <results.json> <registered model name>
with MLFLOW_TRACKING_URI pointing at slipway. Writes what it saw to results.json for the
vitest suite to check; any exception fails the script (non-zero exit, traceback on stderr).
"""

import json
import os
import sys
import tempfile
import time

import mlflow
import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag
from packaging.version import Version
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

out_path, model_name = sys.argv[1], sys.argv[2]
MLFLOW_3 = Version(mlflow.__version__).major >= 3
client = MlflowClient()
results = {"mlflow_version": mlflow.__version__}
step_times = {}


def timed(name):
    class _T:
        def __enter__(self):
            self.t = time.perf_counter()

        def __exit__(self, *exc):
            step_times[name] = round(time.perf_counter() - self.t, 3)

    return _T()


# --- experiments -----------------------------------------------------------------------------
with timed("experiments"):
    exp_name = f"interop-{model_name}"
    exp = mlflow.set_experiment(exp_name)
    results["experiment_id"] = exp.experiment_id
    assert client.get_experiment_by_name(exp_name).experiment_id == exp.experiment_id
    assert client.get_experiment_by_name("no-such-experiment-anywhere") is None
    client.set_experiment_tag(exp.experiment_id, "owner", "interop")
    names = [e.name for e in client.search_experiments(filter_string=f"name = '{exp_name}'")]
    assert names == [exp_name], names

# --- a training run: params, metrics, tags, dataset, artifacts, model ------------------------
iris = load_iris(as_frame=True)
df = iris.frame.rename(columns=lambda c: c.replace(" (cm)", "").replace(" ", "_"))
features = [c for c in df.columns if c != "target"]
X = df[features].to_numpy(dtype=np.float32)
y = df["target"].to_numpy()
clf = LogisticRegression(max_iter=500, C=0.7).fit(X, y)
onx = convert_sklearn(clf, initial_types=[("input", FloatTensorType([None, X.shape[1]]))], target_opset=15)

GIT_COMMIT = "0123456789abcdef0123456789abcdef01234567"
with mlflow.start_run(run_name="train-iris", tags={"mlflow.source.git.commit": GIT_COMMIT}) as run:
    run_id = run.info.run_id
    results["run_id"] = run_id
    with timed("params_metrics_tags"):
        mlflow.log_param("C", 0.7)
        mlflow.log_params({"max_iter": 500, "solver": "lbfgs"})
        mlflow.log_metric("accuracy", float(clf.score(X, y)))
        for step in range(20):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
        mlflow.set_tag("team", "ml-platform")
        mlflow.set_tags({"stage": "interop", "dataset": "iris"})
    with timed("log_batch_1000"):
        now = int(time.time() * 1000)
        client.log_batch(
            run_id,
            metrics=[Metric("batch_metric", float(i) / 1000.0, now + i, i) for i in range(1000)],
            params=[Param("batch_param", "yes")],
            tags=[RunTag("batch_tag", "yes")],
        )
    with timed("dataset"):
        dataset = mlflow.data.from_pandas(df, source="iris.csv", name="iris", targets="target")
        mlflow.log_input(dataset, context="training")
    with timed("artifacts"):
        with tempfile.TemporaryDirectory() as d:
            os.makedirs(os.path.join(d, "sub"))
            with open(os.path.join(d, "a.txt"), "w") as f:
                f.write("alpha")
            with open(os.path.join(d, "sub", "b.json"), "w") as f:
                json.dump({"b": 1}, f)
            mlflow.log_artifacts(d, artifact_path="extras")
        listed = sorted((f.path, f.is_dir) for f in client.list_artifacts(run_id, "extras"))
        results["artifact_listing"] = listed
        with tempfile.TemporaryDirectory() as d:
            got = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="extras/sub/b.json", dst_path=d)
            with open(got) as f:
                results["downloaded_artifact"] = json.load(f)
    with timed("log_model"):
        kwargs = {"name": "model"} if MLFLOW_3 else {"artifact_path": "model"}
        signature = mlflow.models.infer_signature(X[:5], clf.predict_proba(X[:5]).astype(np.float32))
        info = mlflow.onnx.log_model(onx, registered_model_name=model_name, signature=signature, **kwargs)
        results["model_uri"] = info.model_uri
        results["registered_version"] = str(info.registered_model_version)

# --- registry: alias, lookups ------------------------------------------------------------------
with timed("registry"):
    version = results["registered_version"]
    client.set_registered_model_alias(model_name, "champion", version)
    mv = client.get_model_version_by_alias(model_name, "champion")
    results["alias_version"] = mv.version
    results["alias_version_status"] = mv.status
    results["alias_version_run_id"] = mv.run_id
    results["alias_version_source"] = mv.source
    versions = client.search_model_versions(f"name='{model_name}'")
    results["search_model_versions"] = sorted(v.version for v in versions)
    rm = client.get_registered_model(model_name)
    results["registered_model_aliases"] = dict(rm.aliases)

# --- load the model back by alias and predict ----------------------------------------------------
with timed("load_model"):
    loaded = mlflow.onnx.load_model(f"models:/{model_name}@champion")
    assert isinstance(loaded, onnx.ModelProto)
    sess = ort.InferenceSession(loaded.SerializeToString(), providers=["CPUExecutionProvider"])
    onnx_labels = sess.run(None, {"input": X})[0]
    results["onnx_matches_sklearn"] = bool((np.asarray(onnx_labels) == clf.predict(X)).all())
    sample = X[::10]
    results["sample_inputs"] = sample.tolist()
    results["sample_sklearn_labels"] = clf.predict(sample).tolist()
    results["sample_sklearn_proba"] = clf.predict_proba(sample).tolist()

# --- read back: run, metric history --------------------------------------------------------------
with timed("read_back"):
    got = client.get_run(run_id)
    results["run_status"] = got.info.status
    results["run_name"] = got.info.run_name
    results["params"] = dict(got.data.params)
    results["metrics"] = dict(got.data.metrics)
    results["tags"] = {k: v for k, v in got.data.tags.items() if not k.startswith("mlflow.log-model")}
    results["dataset_inputs"] = [
        {"name": di.dataset.name, "digest": di.dataset.digest, "context": {t.key: t.value for t in di.tags}.get("mlflow.data.context")}
        for di in got.inputs.dataset_inputs
    ]
    history = client.get_metric_history(run_id, "batch_metric")
    results["batch_history_len"] = len(history)
    results["batch_history_steps_ok"] = sorted(m.step for m in history) == list(range(1000))
    loss = client.get_metric_history(run_id, "loss")
    results["loss_history"] = [(m.step, m.value) for m in sorted(loss, key=lambda m: m.step)]

# --- search runs: filters, order, paging ---------------------------------------------------------
with timed("search"):
    search_exp = client.create_experiment(f"search-{model_name}")
    for i in range(23):
        r = client.create_run(search_exp, run_name=f"r{i:02d}", tags={"parity": "even" if i % 2 == 0 else "odd"})
        client.log_batch(
            r.info.run_id,
            metrics=[Metric("score", i / 22.0, int(time.time() * 1000), 0)],
            params=[Param("kind", "even" if i % 2 == 0 else "odd"), Param("lr", str(0.01 * (i + 1)))],
        )
        if i % 3 == 0:
            client.set_terminated(r.info.run_id, "FINISHED")
    flt = "metrics.score > 0.25 and params.kind = 'even' and tags.parity = 'even'"
    expected = sorted((f"r{i:02d}" for i in range(23) if i / 22.0 > 0.25 and i % 2 == 0), reverse=True)
    seen, token, pages = [], None, 0
    while True:
        page = client.search_runs([search_exp], filter_string=flt, order_by=["metrics.score DESC"], max_results=3, page_token=token)
        seen += [r.info.run_name for r in page]
        pages += 1
        token = page.token
        if not token:
            break
    results["search_paged"] = {"seen": seen, "expected": expected, "pages": pages}
    finished = client.search_runs([search_exp], filter_string="attributes.status = 'FINISHED'", max_results=100)
    results["search_finished"] = sorted(r.info.run_name for r in finished)
    like = client.search_runs([search_exp], filter_string="attributes.run_name LIKE 'r1%' and params.lr != '0.11'")
    results["search_like"] = sorted(r.info.run_name for r in like)
    in_ids = [r.info.run_id for r in finished][:2]
    by_id = client.search_runs([search_exp], filter_string=f"attributes.run_id IN ('{in_ids[0]}', '{in_ids[1]}')")
    results["search_in"] = sorted(r.info.run_id for r in by_id) == sorted(in_ids)
    df_runs = mlflow.search_runs([search_exp], filter_string="params.kind = 'odd'", order_by=["params.lr ASC"])
    results["search_pandas_len"] = int(len(df_runs))

results["step_seconds"] = step_times
with open(out_path, "w") as f:
    json.dump(results, f, indent=1)
print(json.dumps(step_times))
