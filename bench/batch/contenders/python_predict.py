"""The usual Python batch-scoring script, as the anchor: pandas.read_csv, onnxruntime, DataFrame.to_csv.

    python3 python_predict.py <model.onnx> <input.csv> <output.csv> <feature,names,...>

Prints one JSON line: rows, wall time of the work (after imports) and of the whole process,
CPU time, and peak resident memory.
"""
import json
import resource
import sys
import time

t_import = time.perf_counter()
import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402
import pandas as pd  # noqa: E402



def peak_rss_bytes():
    """VmHWM, as the node contenders report it (getrusage's maxrss survives exec on Linux)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


model, input_csv, output_csv, names = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split(",")
t0 = time.perf_counter()
c0 = time.process_time()
df = pd.read_csv(input_csv)
session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
label, probabilities = session.run(None, {"features": df[names].to_numpy(dtype=np.float32)})
out = pd.DataFrame({"label": label, "probabilities_0": probabilities[:, 0], "probabilities_1": probabilities[:, 1]})
out.to_csv(output_csv, index=False)
wall_ms = (time.perf_counter() - t0) * 1000
print(
    json.dumps(
        {
            "rows": int(len(df)),
            "wallMs": wall_ms,
            "cpuMs": (time.process_time() - c0) * 1000,
            "importMs": (t0 - t_import) * 1000,
            "maxRssBytes": peak_rss_bytes(),
        }
    )
)
