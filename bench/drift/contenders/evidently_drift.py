"""Evidently contender: DataDriftPreset on the bench data, timed in-process.

Usage: python evidently_drift.py <data dir>. Prints one JSON line. Exit code 3 when evidently is
not importable (the runner then reports it as not run). Also times the bare scipy floor of the
same math (wasserstein_distance / np.std and ks_2samp per column), without Evidently around it.
"""

import json
import sys
import time

import numpy as np

try:
    import pandas as pd
    import scipy
    import evidently
    from evidently import Report
    from evidently.presets import DataDriftPreset
except ImportError as err:
    print(json.dumps({"error": f"not importable: {err}"}))
    sys.exit(3)
from scipy import stats


def load(data_dir, name, features, rows):
    raw = np.fromfile(f"{data_dir}/{name}.f64", dtype="<f8").reshape(len(features), rows)
    return raw


def drifted_count(snapshot):
    for m in snapshot.dict()["metrics"]:
        if m["metric_name"].startswith("DriftedColumnsCount"):
            return int(m["value"]["count"])
    return None


def main():
    data_dir = sys.argv[1]
    meta = json.load(open(f"{data_dir}/meta.json"))
    features = meta["features"]
    ref = load(data_dir, "reference", features, meta["reference_rows"])
    cur = load(data_dir, "current", features, meta["current_rows"])
    out = {"versions": {"evidently": evidently.__version__, "pandas": pd.__version__, "scipy": scipy.__version__,
                        "numpy": np.__version__, "python": sys.version.split()[0]}}

    t = time.perf_counter()
    ref_df = pd.DataFrame(ref.T, columns=features)
    cur_df = pd.DataFrame(cur.T, columns=features)
    out["dataframe_ms"] = (time.perf_counter() - t) * 1000

    for label, preset in (("default", DataDriftPreset()), ("ks", DataDriftPreset(method="ks"))):
        t = time.perf_counter()
        snapshot = Report([preset]).run(current_data=cur_df, reference_data=ref_df)
        ms = (time.perf_counter() - t) * 1000
        out[f"evidently_{label}_ms"] = ms
        out[f"evidently_{label}_drifted"] = drifted_count(snapshot)

    t = time.perf_counter()
    wd = [stats.wasserstein_distance(ref[i], cur[i]) / max(np.std(ref[i]), 0.001) for i in range(len(features))]
    out["scipy_wasserstein_ms"] = (time.perf_counter() - t) * 1000
    out["scipy_wasserstein_drifted"] = int(sum(1 for w in wd if w >= 0.1))
    t = time.perf_counter()
    ks = [stats.ks_2samp(ref[i], cur[i]).pvalue for i in range(len(features))]
    out["scipy_ks_ms"] = (time.perf_counter() - t) * 1000
    out["scipy_ks_drifted"] = int(sum(1 for p in ks if p <= 0.05))
    t = time.perf_counter()
    for i in range(len(features)):
        np.sort(cur[i])
        np.sort(ref[i])
    out["numpy_sort_ms"] = (time.perf_counter() - t) * 1000
    print(json.dumps(out))


if __name__ == "__main__":
    main()
