"""scipy oracle for the distributions behind the chi-square and Z drift tests: chi2.sf over a
grid of degrees of freedom (including the a ~ x region where scipy switches to Temme's
expansion) and norm.cdf. Exit code 3: scipy missing."""

import json
import sys

try:
    import numpy as np
    import scipy
    from scipy import stats
except ImportError as err:  # pragma: no cover
    print(f"scipy is not importable ({err}); run: pip install scipy==1.17.1 numpy==2.4.6", file=sys.stderr)
    sys.exit(3)


def main():
    chi2 = []
    for df in (1, 2, 3, 4, 5, 7, 10, 30, 41, 50, 99, 100, 399, 400, 1000, 5000):
        for f in (0.001, 0.01, 0.1, 0.5, 0.8, 0.9, 0.95, 1.0, 1.05, 1.1, 1.2, 1.5, 2.0, 3.0, 5.0, 10.0):
            x = df * f
            chi2.append({"df": df, "x": x, "sf": float(stats.chi2.sf(x, df))})
    norm = [{"x": float(x), "cdf": float(stats.norm.cdf(x))} for x in np.linspace(-12, 12, 97)]
    json.dump({"versions": {"scipy": scipy.__version__}, "chi2": chi2, "norm": norm}, sys.stdout)


if __name__ == "__main__":
    main()
