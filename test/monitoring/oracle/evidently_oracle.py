"""Evidently oracle for slipway's drift tests (PSI, Jensen-Shannon, chi-square, Z, KS, normed
Wasserstein, and the default-method choice).

Evidently pins pandas < 3 and pulls in a web stack, so CI does not install it. This script was
run once and its output is committed as evidently_stattests.json, which the tests read:

    python3 -m venv /tmp/evenv && /tmp/evenv/bin/pip install evidently==0.7.23 "pandas<3"
    /tmp/evenv/bin/python test/monitoring/oracle/evidently_oracle.py > test/monitoring/oracle/evidently_stattests.json

Each case calls the StatTest function Evidently's DataDriftPreset would call (with the default
threshold), on the same data the test feeds slipway.
"""

import json
import sys

import numpy as np
import pandas as pd
import evidently
from evidently.legacy.calculations.stattests import (
    chi_stat_test,
    jensenshannon_stat_test,
    ks_stat_test,
    psi_stat_test,
    wasserstein_stat_test,
    z_stat_test,
)
from evidently.legacy.calculations.stattests.registry import get_stattest
from evidently.legacy.core import ColumnType


def run(test, ref, cur, kind):
    ctype = ColumnType.Numerical if kind == "numeric" else ColumnType.Categorical
    threshold = test.default_threshold
    r = test(pd.Series(ref), pd.Series(cur), ctype, threshold)
    return {"statistic": float(r.drift_score), "drifted": bool(r.drifted), "threshold": float(threshold)}


def encode(values, kind):
    if kind == "numeric":
        return [float(v) for v in values]
    return [None if v is None else str(v) for v in values]


def main():
    rng = np.random.default_rng(7)
    cases = []

    def add(name, kind, ref, cur, tests):
        entry = {"name": name, "kind": kind, "reference": encode(ref, kind), "current": encode(cur, kind), "results": {}}
        for label, test in tests.items():
            entry["results"][label] = run(test, ref, cur, kind)
        ctype = ColumnType.Numerical if kind == "numeric" else ColumnType.Categorical
        entry["default_method"] = get_stattest(pd.Series(ref), pd.Series(cur), ctype, None).name
        cases.append(entry)

    numeric_tests = {"psi": psi_stat_test, "jensenshannon": jensenshannon_stat_test, "ks": ks_stat_test,
                     "wasserstein": wasserstein_stat_test}
    category_tests = {"psi": psi_stat_test, "jensenshannon": jensenshannon_stat_test, "chisquare": chi_stat_test}

    ref = np.round(rng.normal(10, 2, size=1500), 4)
    cur = np.round(rng.normal(10.3, 2.2, size=1200), 4)
    add("numeric_sturges", "numeric", ref, cur, numeric_tests)
    add("numeric_sturges_small_ref", "numeric", ref[:800], cur, numeric_tests)
    add("numeric_sturges_same", "numeric", ref[:700], np.round(rng.normal(10, 2, size=900), 4), numeric_tests)
    ref = rng.integers(0, 12, size=1400).astype(float)
    cur = rng.integers(1, 14, size=1100).astype(float)
    add("numeric_few_values", "numeric", ref, cur, numeric_tests | {"chisquare": chi_stat_test})
    ref = rng.choice([0.0, 1.0, 2.0, 3.0, 4.0], size=600, p=[0.3, 0.25, 0.2, 0.15, 0.1])
    cur = rng.choice([0.0, 1.0, 2.0, 3.0, 4.0], size=700, p=[0.27, 0.25, 0.21, 0.16, 0.11])
    add("numeric_five_values_small_ref", "numeric", ref, cur, {"chisquare": chi_stat_test, "psi": psi_stat_test})
    ref = (rng.random(800) < 0.3).astype(float)
    cur = (rng.random(900) < 0.36).astype(float)
    add("numeric_binary_small_ref", "numeric", ref, cur, {"z": z_stat_test, "chisquare": chi_stat_test})
    ref = (rng.random(3000) < 0.3).astype(float)
    cur = (rng.random(2000) < 0.3).astype(float)
    add("numeric_binary_large_ref", "numeric", ref, cur, {"jensenshannon": jensenshannon_stat_test, "z": z_stat_test})

    cats = np.array(["red", "green", "blue", "amber"])
    ref = list(rng.choice(cats, size=900, p=[0.4, 0.3, 0.2, 0.1]))
    cur = list(rng.choice(np.append(cats, "violet"), size=1000, p=[0.35, 0.3, 0.2, 0.1, 0.05]))
    add("categorical_new_category", "categorical", ref, cur, category_tests)
    ref = list(rng.choice(cats, size=2500, p=[0.4, 0.3, 0.2, 0.1]))
    cur = list(rng.choice(cats[:3], size=1200, p=[0.5, 0.3, 0.2]))
    add("categorical_large_ref_missing_category", "categorical", ref, cur, category_tests)
    ref = list(rng.choice(["no", "yes"], size=700, p=[0.8, 0.2]))
    cur = list(rng.choice(["no", "yes"], size=650, p=[0.7, 0.3]))
    add("categorical_binary", "categorical", ref, cur, {"z": z_stat_test, "chisquare": chi_stat_test})
    ref = list(rng.choice(cats, size=950, p=[0.4, 0.3, 0.2, 0.1]))
    cur = list(rng.choice(cats, size=400, p=[0.38, 0.31, 0.2, 0.11]))
    add("categorical_same_distribution", "categorical", ref, cur, category_tests | {"z": z_stat_test})
    add("categorical_constant_same", "categorical", ["a"] * 50, ["a"] * 70, {"z": z_stat_test})

    json.dump({"versions": {"evidently": evidently.__version__, "pandas": pd.__version__, "numpy": np.__version__},
               "cases": cases}, sys.stdout)


if __name__ == "__main__":
    main()
