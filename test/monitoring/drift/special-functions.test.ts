/** chi2.sf and norm.cdf against scipy, computed live by oracle/special_oracle.py. */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { chi2Sf, normalCdf } from '../../../src/monitoring/index.js';
import { relErr, runPythonOracle, SCIPY_PIP } from '../fixtures.js';

const script = fileURLToPath(new URL('../oracle/special_oracle.py', import.meta.url));
const oracle = runPythonOracle(script, SCIPY_PIP) as {
  chi2: { df: number; x: number; sf: number }[];
  norm: { x: number; cdf: number }[];
};

describe('special functions against scipy', () => {
  it('chi2.sf', () => {
    for (const c of oracle.chi2) {
      const got = chi2Sf(c.x, c.df);
      // Below 1e-300 both sides are at the edge of double precision.
      if (c.sf < 1e-300) expect(got).toBeLessThan(1e-290);
      else expect(relErr(got, c.sf), `chi2.sf(${c.x}, ${c.df})`).toBeLessThan(1e-9);
    }
  });

  it('norm.cdf', () => {
    for (const c of oracle.norm)
      expect(relErr(normalCdf(c.x), c.cdf), `norm.cdf(${c.x})`).toBeLessThan(1e-12);
  });
});
