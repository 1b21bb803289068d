import type { Signature, TensorSpec } from '../core/tensor-types.js';
import type { GateCheck } from './gate-report.js';

/**
 * Can the candidate take the requests the current version takes, and give the answers its callers
 * read? Inputs must match by name (a missing one fails every request; an extra one is refused by
 * the codec), with the same datatype and rank, and each dimension the candidate fixes must be fixed
 * to the same size in the current version. Every output of the current version must exist in the
 * candidate with the same datatype and rank. Returns one check, failed with every mismatch listed.
 */
export function signatureCheck(current: Signature, candidate: Signature): GateCheck {
  const problems: string[] = [];
  const byName = (specs: TensorSpec[]) => new Map(specs.map((s) => [s.name, s]));
  const cur = byName(current.inputs);
  const cand = byName(candidate.inputs);
  for (const [name, spec] of cur) {
    const other = cand.get(name);
    if (!other) problems.push(`input "${name}" is missing from the candidate`);
    else problems.push(...specProblems('input', spec, other, true));
  }
  for (const name of cand.keys()) {
    if (!cur.has(name))
      problems.push(`the candidate needs input "${name}", which current requests do not carry`);
  }
  const candOut = byName(candidate.outputs);
  for (const spec of current.outputs) {
    const other = candOut.get(spec.name);
    if (!other) problems.push(`output "${spec.name}" is missing from the candidate`);
    else problems.push(...specProblems('output', spec, other, false));
  }
  return {
    check: 'signature',
    passed: problems.length === 0,
    message:
      problems.length === 0
        ? 'the candidate takes the current inputs and gives the current outputs'
        : problems.join('; '),
    actual: problems.length,
    threshold: 0,
    by: problems.length === 0 ? null : problems.length,
  };
}

function specProblems(kind: string, current: TensorSpec, candidate: TensorSpec, input: boolean): string[] {
  const out: string[] = [];
  if (current.datatype !== candidate.datatype) {
    out.push(
      `${kind} "${current.name}": expected ${current.datatype}, the candidate has ${candidate.datatype}`,
    );
  }
  if (current.shape.length !== candidate.shape.length) {
    out.push(
      `${kind} "${current.name}": expected rank ${current.shape.length} [${current.shape.join(',')}], ` +
        `the candidate has [${candidate.shape.join(',')}]`,
    );
    return out;
  }
  for (let d = 0; d < current.shape.length; d++) {
    const a = current.shape[d];
    const b = candidate.shape[d];
    // For inputs the candidate must accept at least what the current accepts; for outputs, callers
    // must get what they got.
    const ok = input ? b === -1 || a === b : a === -1 || b === -1 || a === b;
    if (!ok) {
      out.push(
        `${kind} "${current.name}" dimension ${d}: current ${a === -1 ? 'dynamic' : a}, candidate ${b === -1 ? 'dynamic' : b}`,
      );
    }
  }
  return out;
}
