/** Model quality metrics against scikit-learn, computed live by oracle/quality_oracle.py. */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  accuracy,
  f1,
  type Label,
  logLoss,
  meanAbsoluteError,
  meanAbsolutePercentageError,
  precision,
  r2Score,
  recall,
  rocAuc,
  rootMeanSquaredError,
} from '../../../src/monitoring/index.js';
import { relErr, runPythonOracle, SKLEARN_PIP } from '../fixtures.js';

interface QualityOracle {
  versions: Record<string, string>;
  classification: {
    name: string;
    y_true: Label[];
    y_pred: Label[];
    average: 'binary' | 'macro';
    pos_label: Label | null;
    accuracy: number;
    precision: number;
    recall: number;
    f1: number;
  }[];
  auc: { name: string; y_true: Label[]; score: number[]; value: number }[];
  logloss: {
    name: string;
    y_true: Label[];
    prob: number[] | number[][];
    labels: Label[] | null;
    value: number;
  }[];
  regression: {
    name: string;
    y_true: number[];
    y_pred: number[];
    mae: number;
    rmse: number;
    mape: number;
    r2: number;
  }[];
}

const script = fileURLToPath(new URL('../oracle/quality_oracle.py', import.meta.url));
const oracle = runPythonOracle(script, SKLEARN_PIP) as QualityOracle;
const TOL = 1e-12;

describe('classification metrics against sklearn', () => {
  it.each(oracle.classification.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const options = { average: c.average, posLabel: c.pos_label ?? undefined };
    expect(relErr(accuracy(c.y_true, c.y_pred), c.accuracy)).toBeLessThan(TOL);
    expect(relErr(precision(c.y_true, c.y_pred, options), c.precision)).toBeLessThan(TOL);
    expect(relErr(recall(c.y_true, c.y_pred, options), c.recall)).toBeLessThan(TOL);
    expect(relErr(f1(c.y_true, c.y_pred, options), c.f1)).toBeLessThan(TOL);
  });

  it('refuses binary averaging over more than two labels, and an absent positive label', () => {
    expect(() => precision([0, 1, 2], [0, 1, 2], { average: 'binary' })).toThrow(/use average "macro"/);
    expect(() => recall(['a', 'b'], ['a', 'b'])).toThrow(/pos_label 1 is not one of the labels/);
    expect(() => accuracy([1, 0], [1])).toThrow(/y_true has 2 rows but the predictions have 1/);
  });
});

describe('ROC AUC against sklearn', () => {
  it.each(oracle.auc.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    expect(relErr(rocAuc(c.y_true, c.score), c.value)).toBeLessThan(TOL);
  });

  it('needs two classes', () => {
    expect(() => rocAuc([1, 1, 1], [0.1, 0.2, 0.3])).toThrow(/exactly 2 classes/);
  });
});

describe('log loss against sklearn', () => {
  it.each(oracle.logloss.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const value = logLoss(c.y_true, c.prob, c.labels ? { labels: c.labels } : {});
    expect(relErr(value, c.value)).toBeLessThan(TOL);
  });

  it('checks the shape of the probabilities', () => {
    expect(() => logLoss([0, 1, 2], [0.2, 0.3, 0.5])).toThrow(/one probability per row needs 2 classes/);
    expect(() => logLoss([0, 1], [[0.5, 0.5], [1]])).toThrow(/row 1 has 1 probabilities, expected 2/);
  });
});

describe('regression metrics against sklearn', () => {
  it.each(oracle.regression.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    expect(relErr(meanAbsoluteError(c.y_true, c.y_pred), c.mae)).toBeLessThan(TOL);
    expect(relErr(rootMeanSquaredError(c.y_true, c.y_pred), c.rmse)).toBeLessThan(TOL);
    expect(relErr(meanAbsolutePercentageError(c.y_true, c.y_pred), c.mape)).toBeLessThan(TOL);
    expect(relErr(r2Score(c.y_true, c.y_pred), c.r2)).toBeLessThan(1e-9);
  });

  it('returns NaN for R² of a single row, as sklearn', () => {
    expect(r2Score([1], [2])).toBeNaN();
  });
});
