"""Load for bench/tracking: the real `mlflow` client against one tracking server.

Usage: python load.py <tracking url> <runs> <out.json>

1. log_batch throughput: one run, 20 sequential `MlflowClient.log_batch` calls of 1,000 metrics.
2. populate <runs> runs (create_run + one log_batch each: 2 metrics, 2 params, 1 tag), 8 threads.
3. search_runs latency over those runs: the 10 best runs of a filter (the common "which run
   was best" query); the first page of 1,000 unfiltered; a filtered and ordered
   page (`metrics.acc > 0.5 and params.model = 'mlp'`, `metrics.acc DESC`); and the whole set as
   a pandas frame with `mlflow.search_runs` (the client asks for pages of 10,000).
4. The same searches and log_batch without the client's own work ("server side"): the request
   body the client builds (its own `SearchRuns` / `LogBatch` message through its own
   `message_to_json`, built before the clock starts), POSTed with `http.client` over one
   kept-alive connection, timed to the last byte of the response body, never parsed. The whole set
   follows `next_page_token` (found in the body's tail) the way `mlflow.search_runs` pages. The
   gap between 1/3 and 4 is the Python client's own work.
"""

import http.client
import json
import re
import statistics
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import mlflow
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag, ViewType
from mlflow.protos.service_pb2 import LogBatch, SearchRuns
from mlflow.tracking.fluent import NUM_RUNS_PER_PAGE_PANDAS
from mlflow.utils.proto_json_utils import message_to_json

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


# 4. the same searches, server side: raw bytes, no parsing
class RawPost:
    """POSTs over one kept-alive connection; returns the response body's bytes, unparsed."""

    def __init__(self, base):
        parts = urlsplit(base)
        self.host, self.port, self.conn = parts.hostname, parts.port, None

    def post(self, body, path="/api/2.0/mlflow/runs/search"):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=600)
        self.conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        resp = self.conn.getresponse()
        data = resp.read()
        if resp.will_close:
            self.conn.close()
            self.conn = None
        if resp.status != 200:
            raise RuntimeError(f"{path} answered {resp.status}: {data[:300]!r}")
        return data


def search_body(max_results, filter_string="", order_by=None, page_token=None):
    # RestStore._search_runs: message_to_json(SearchRuns(...)), which requests then sends with json=.
    message = SearchRuns(
        experiment_ids=[str(search_exp)],
        filter=filter_string,
        run_view_type=ViewType.to_proto(ViewType.ACTIVE_ONLY),
        max_results=max_results,
        order_by=order_by,
        page_token=page_token,
    )
    return json.dumps(json.loads(message_to_json(message))).encode()


raw = RawPost(url)
token_re = re.compile(rb'"next_page_token":\s*"([^"]*)"')


def raw_all_runs():
    token, total = None, 0
    while True:
        data = raw.post(search_body(NUM_RUNS_PER_PAGE_PANDAS, page_token=token))
        total += len(data)
        found = token_re.search(data, max(0, len(data) - 400))
        if not found or not found.group(1):
            return total
        token = found.group(1).decode()


raw_bodies = {
    "best_10_filtered": search_body(10, flt, ["metrics.acc DESC"]),
    "first_page_1000": search_body(1000),
    "filtered_ordered_page_1000": search_body(1000, flt, ["metrics.acc DESC"]),
}
# Once, outside the timing: the raw answers are the pages the client gets.
assert len(json.loads(raw.post(raw_bodies["filtered_ordered_page_1000"]))["runs"]) == len(page)
result["server_ms"] = {name: median_ms(lambda b=body: raw.post(b), 7) for name, body in raw_bodies.items()}
result["server_ms"]["all_runs_pages"] = median_ms(raw_all_runs, 3)
result["response_bytes"] = {name: len(raw.post(body)) for name, body in raw_bodies.items()}
result["response_bytes"]["all_runs_pages"] = raw_all_runs()

# log_batch the same way: the client's own body (LogBatch through message_to_json, built before the
# clock starts), 2 warm-up then 20 timed calls of 1,000 metrics on a run of their own.
raw_run = client.create_run(exp)


def log_batch_body(i):
    message = LogBatch(run_id=raw_run.info.run_id, metrics=[m.to_proto() for m in batch(i)], params=[], tags=[])
    return json.dumps(json.loads(message_to_json(message))).encode()


raw_latencies = []
for i in range(22):
    body = log_batch_body(i)
    t = time.perf_counter()
    raw.post(body, "/api/2.0/mlflow/runs/log-batch")
    if i >= 2:
        raw_latencies.append((time.perf_counter() - t) * 1000)
result["server_ms"]["log_batch"] = round(statistics.median(raw_latencies), 1)
print("server_ms", result["server_ms"], "response_bytes", result["response_bytes"], flush=True)

with open(out, "w") as f:
    json.dump(result, f, indent=1)
