"""Load for bench/tracking: the real `mlflow` client against one tracking server.

Usage: python load.py <tracking url> <runs> <out.json>

1. log_batch throughput: one run, 20 sequential `MlflowClient.log_batch` calls of 1,000 metrics.
2. populate <runs> runs (create_run + one log_batch each: 2 metrics, 2 params, 1 tag), 8 threads.
3. search_runs latency over those runs: the 10 best runs of a filter (the common "which run
   was best" query); the first page of 1,000 unfiltered; a filtered and ordered
   page (`metrics.acc > 0.5 and params.model = 'mlp'`, `metrics.acc DESC`); and the whole set as
   a pandas frame with `mlflow.search_runs` (the client pages 1,000 at a time).
"""

import json
import statistics
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import mlflow
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag

url, n_runs, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
mlflow.set_tracking_uri(url)
client = MlflowClient(url)
result = {"mlflow_version": mlflow.__version__, "runs": n_runs}
tag = uuid.uuid4().hex[:8]


def median_ms(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return round(statistics.median(times), 1)


# 1. log_batch throughput
exp = client.create_experiment(f"bench-batch-{tag}")
run = client.create_run(exp)
now = int(time.time() * 1000)


def batch(i):
    return [Metric(f"m{k % 50}", float(k), now + i, i * 1000 + k) for k in range(1000)]


for i in range(2):
    client.log_batch(run.info.run_id, metrics=batch(i))
latencies = []
t0 = time.perf_counter()
for i in range(2, 22):
    t = time.perf_counter()
    client.log_batch(run.info.run_id, metrics=batch(i))
    latencies.append((time.perf_counter() - t) * 1000)
elapsed = time.perf_counter() - t0
result["log_batch"] = {
    "batches": 20,
    "metrics_per_second": round(20_000 / elapsed),
    "median_ms_per_batch": round(statistics.median(latencies), 1),
}
print("log_batch", result["log_batch"], flush=True)

# 2. populate
search_exp = client.create_experiment(f"bench-search-{tag}")


def make(i):
    r = client.create_run(search_exp, run_name=f"run-{i}")
    client.log_batch(
        r.info.run_id,
        metrics=[Metric("acc", (i * 7919 % 10_000) / 10_000, now, 0), Metric("loss", (i % 97) / 97, now, 0)],
        params=[Param("model", "mlp" if i % 2 == 0 else "gbdt"), Param("lr", str((i % 10) / 100))],
        tags=[RunTag("team", "a" if i % 4 == 0 else "b")],
    )


t0 = time.perf_counter()
with ThreadPoolExecutor(8) as pool:
    list(pool.map(make, range(n_runs)))
result["populate_seconds"] = round(time.perf_counter() - t0, 1)
print("populated", n_runs, "runs in", result["populate_seconds"], "s", flush=True)

# 3. search latency
flt = "metrics.acc > 0.5 and params.model = 'mlp'"
expected_filtered = sum(1 for i in range(n_runs) if (i * 7919 % 10_000) / 10_000 > 0.5 and i % 2 == 0)
page = client.search_runs([search_exp], filter_string=flt, order_by=["metrics.acc DESC"], max_results=1000)
assert len(page) == min(1000, expected_filtered), (len(page), expected_filtered)
everything = mlflow.search_runs([search_exp])
assert len(everything) == n_runs, len(everything)
result["search_ms"] = {
    "best_10_filtered": median_ms(
        lambda: client.search_runs([search_exp], filter_string=flt, order_by=["metrics.acc DESC"], max_results=10), 7
    ),
    "first_page_1000": median_ms(lambda: client.search_runs([search_exp], max_results=1000), 7),
    "filtered_ordered_page_1000": median_ms(
        lambda: client.search_runs([search_exp], filter_string=flt, order_by=["metrics.acc DESC"], max_results=1000), 7
    ),
    "all_runs_as_pandas": median_ms(lambda: mlflow.search_runs([search_exp]), 3),
}
print("search_ms", result["search_ms"], flush=True)

with open(out, "w") as f:
    json.dump(result, f, indent=1)
