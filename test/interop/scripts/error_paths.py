"""Error paths as the real `mlflow` client meets them against slipway.

Usage: python error_paths.py <results.json>. For each case records the `error_code` of the
MlflowException the client raised and the HTTP status slipway answered (read with `requests`,
which the client itself uses), so the suite can compare both with MLflow's.
"""

import json
import os
import sys
import uuid

import mlflow
import requests
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

out_path = sys.argv[1]
base = os.environ["MLFLOW_TRACKING_URI"].rstrip("/")
client = MlflowClient()
results = {}


def client_error(name, fn):
    try:
        fn()
    except MlflowException as e:
        results.setdefault(name, {})["client_error_code"] = e.error_code
        results[name]["client_message"] = str(e.message)[:300]
        return
    except requests.HTTPError as e:
        # The artifact repository raises the HTTP error itself (as it does against `mlflow server`).
        results.setdefault(name, {})["client_error_code"] = f"HTTP {e.response.status_code}"
        results[name]["client_message"] = str(e)[:300]
        return
    results.setdefault(name, {})["client_error_code"] = None


def http_status(name, method, path, **kwargs):
    r = requests.request(method, base + path, timeout=10, **kwargs)
    body = {}
    try:
        body = r.json()
    except ValueError:
        pass
    results.setdefault(name, {})["http_status"] = r.status_code
    results[name]["http_error_code"] = body.get("error_code")


# Unknown run.
missing = uuid.uuid4().hex
client_error("unknown_run", lambda: client.get_run(missing))
http_status("unknown_run", "GET", f"/api/2.0/mlflow/runs/get?run_id={missing}")

# Duplicate experiment.
name = f"dup-{uuid.uuid4().hex[:8]}"
client.create_experiment(name)
client_error("duplicate_experiment", lambda: client.create_experiment(name))
http_status("duplicate_experiment", "POST", "/api/2.0/mlflow/experiments/create", json={"name": name})

# Changed param value (same value again is fine).
run = client.create_run("0")
client.log_param(run.info.run_id, "alpha", "1")
client.log_param(run.info.run_id, "alpha", "1")
client_error("changed_param", lambda: client.log_param(run.info.run_id, "alpha", "2"))
http_status(
    "changed_param",
    "POST",
    "/api/2.0/mlflow/runs/log-parameter",
    json={"run_id": run.info.run_id, "key": "alpha", "value": "3"},
)
client_error(
    "changed_param_batch",
    lambda: client.log_batch(run.info.run_id, params=[mlflow.entities.Param("alpha", "4")]),
)

# Traversal in an artifact path: through the client's listing, and raw on the proxy.
client_error("traversal", lambda: client.list_artifacts(run.info.run_id, "../../../etc"))
http_status("traversal", "GET", f"/api/2.0/mlflow/artifacts/list?run_id={run.info.run_id}&path=../../etc")
http_status("traversal_put", "PUT", "/api/2.0/mlflow-artifacts/artifacts/0/%2E%2E/%2E%2E/escape.txt", data=b"x")
http_status("traversal_get", "GET", "/api/2.0/mlflow-artifacts/artifacts/0/..%2F..%2Fetc/passwd")

# Over MLflow's batch limit (the client splits batches itself, so ask the server directly).
metrics = [{"key": "m", "value": 1.0, "timestamp": 1, "step": i} for i in range(1001)]
http_status("batch_limit", "POST", "/api/2.0/mlflow/runs/log-batch", json={"run_id": run.info.run_id, "metrics": metrics})

# Missing artifact, multipart refused, unknown registered model, unknown endpoint.
http_status("missing_artifact", "GET", "/api/2.0/mlflow-artifacts/artifacts/0/nothing/here.txt")
http_status("multipart", "POST", "/api/2.0/mlflow-artifacts/mpu/create/0/x/big.bin", json={"path": "big.bin", "num_parts": 2})
client_error("unknown_registered_model", lambda: client.get_registered_model("no-such-model"))
http_status("unknown_endpoint", "GET", "/api/2.0/mlflow/no-such-endpoint")
client_error("bad_filter", lambda: client.search_runs(["0"], filter_string="metrics.x > 'a'"))

with open(out_path, "w") as f:
    json.dump(results, f, indent=1)
