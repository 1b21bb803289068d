/**
 * The files of a job beside its output: written aside while it runs, renamed into place at the end.
 */
export interface JobFiles {
  /** The final output. */
  output: string;
  /** The output while it is written. */
  partial: string;
  rejects: string;
  rejectsPartial: string;
  provenance: string;
  checkpoint: string;
}

export function jobFiles(output: string): JobFiles {
  return {
    output,
    partial: `${output}.partial`,
    rejects: `${output}.rejects.jsonl`,
    rejectsPartial: `${output}.rejects.jsonl.partial`,
    provenance: `${output}.provenance.json`,
    checkpoint: `${output}.checkpoint.json`,
  };
}
