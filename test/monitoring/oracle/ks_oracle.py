"""scipy oracle for slipway's two-sample KS test.

Prints one JSON document on stdout: generated samples with scipy.stats.ks_2samp's answer
(default method='auto', two-sided), plus grids of scipy.stats.kstwo.sf and
scipy.special.smirnov that reach every branch of scipy's implementation. The vitest suite runs
this with python3 and compares. Exit code 3 means scipy is missing.
"""

import json
import sys

try:
    import numpy as np
    import scipy
    from scipy import special, stats
except ImportError as err:  # pragma: no cover - exercised when scipy is missing
    print(f"scipy is not importable ({err}); run: pip install scipy==1.17.1 numpy==2.4.6", file=sys.stderr)
    sys.exit(3)


def case(name, a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    r = stats.ks_2samp(a, b)
    return {
        "name": name,
        "a": a.tolist(),
        "b": b.tolist(),
        "statistic": float(r.statistic),
        "pvalue": float(r.pvalue),
    }


def main():
    rng = np.random.default_rng(20240611)
    cases = []
    # Asymptotic branch (max(n1, n2) > 10000), several effect sizes.
    cases.append(case("asymp_large_no_shift", rng.normal(size=20000), rng.normal(size=15000)))
    cases.append(case("asymp_large_small_shift", rng.normal(size=30000), rng.normal(0.03, 1, size=12000)))
    cases.append(case("asymp_large_shift", rng.normal(size=25000), rng.normal(0.2, 1, size=11000)))
    cases.append(case("asymp_large_huge_shift", rng.normal(size=12000), rng.normal(3, 1, size=10001)))
    # Asymptotic with tiny d: Durbin-matrix and Ruben-Gambino regions of kstwo.
    base = rng.normal(size=20000)
    moved = np.sort(base.copy())
    moved[:10] = moved[-1] + 1 + np.arange(10)
    cases.append(case("asymp_tiny_d_durbin", base, moved))
    moved2 = np.sort(base.copy())
    moved2[:1] = moved2[-1] + 1
    cases.append(case("asymp_tiny_d_ruben_gambino", base, moved2))
    # Asymptotic with a small effective n (Pomeranz / n <= 140 branches).
    cases.append(case("asymp_n1_1", [0.25], rng.normal(size=20000)))
    cases.append(case("asymp_n1_1_far", [9.0], rng.normal(size=20000)))
    cases.append(case("asymp_n1_50", rng.normal(0.3, 1, size=50), rng.normal(size=15000)))
    cases.append(case("asymp_n1_120", rng.normal(0.5, 1, size=120), rng.normal(size=12000)))
    # Heavy ties.
    cases.append(case("ties_exact", rng.integers(0, 6, size=500), rng.integers(0, 6, size=700)))
    cases.append(case("ties_exact_shift", rng.integers(0, 6, size=400), rng.integers(1, 7, size=900)))
    cases.append(case("ties_asymp", rng.integers(0, 6, size=15000), rng.integers(0, 6, size=12000)))
    cases.append(case("ties_identical", np.zeros(300), np.zeros(200)))
    # Exact branch: unequal sizes, equal sizes, n1 = 1.
    cases.append(case("exact_unequal", rng.normal(size=37), rng.normal(0.4, 1, size=1000)))
    cases.append(case("exact_equal", rng.normal(size=300), rng.normal(0.2, 1, size=300)))
    cases.append(case("exact_equal_far", rng.normal(size=300), rng.normal(2, 1, size=300)))
    cases.append(case("exact_n1_1", [0.1], rng.normal(size=50)))
    cases.append(case("exact_n1_1_edge", [99.0], rng.normal(size=9000)))
    cases.append(case("exact_coprime_big", rng.normal(size=9973), rng.normal(0.05, 1, size=10000)))
    cases.append(case("exact_tiny_p", rng.normal(size=4000), rng.normal(0.5, 1, size=6000)))
    cases.append(case("exact_small", rng.normal(size=3), rng.normal(size=4)))

    # scipy's own smirnov costs ~0.1 s per call near n = 1e5, so the large n only get the
    # statistics that reach the other branches (Durbin, Pelz-Good) plus one Smirnov point.
    ns = [1, 2, 3, 5, 10, 50, 100, 140, 141, 500, 1000, 5000, 10000, 90909, 100000, 100001, 250000, 2000000]
    kstwo = []
    smirnov = []
    for n in ns:
        xs = {0.3 / n, 0.7 / n, 1.0 / n, 1.5 / n, 3.0 / n, 0.5, 0.6, 0.9, 1 - 1.0 / n, 1 - 0.5 / n}
        cs = (0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 0.9, 1.0, 1.2, 1.5, 1.7, 2.0, 3.0, 5.0, 10.0, 20.0)
        if n > 10000:
            cs = (0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 0.9, 1.0, 1.2, 1.4, 2.0, 20.0)
        for c in cs:
            xs.add(c / np.sqrt(n))
        for x in sorted(xs):
            if not (0 < x < 1):
                continue
            kstwo.append({"n": n, "x": float(x), "sf": float(stats.kstwo.sf(x, n))})
            if n <= 10000 or x > 0.4:
                smirnov.append({"n": n, "x": float(x), "sf": float(special.smirnov(n, x))})

    json.dump(
        {
            "versions": {"scipy": scipy.__version__, "numpy": np.__version__},
            "cases": cases,
            "kstwo": kstwo,
            "smirnov": smirnov,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
