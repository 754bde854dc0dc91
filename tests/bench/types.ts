/**
 * The contract between `tests/bench/run.ts` and each `tests/bench/<id>.bench.ts`.
 *
 * Benchmarks are measurements, never timed tests: nothing fails on a duration. A row may
 * carry a target; the report prints it next to the figure with ✓ or ✗ and moves on.
 */

export interface BenchRow {
  metric: string;
  /** A number (formatted by the report) or text such as "n/a". */
  value: number | string;
  unit: string;
  /** The goal as written in the issue, e.g. "≤ 110 KB" or "≥ 0.95". */
  target?: string;
  /** Whether the value meets the target; left out when there is no target. */
  ok?: boolean;
}

export interface BenchResult {
  rows: BenchRow[];
  /** Method, caveats, failing audits… one Markdown paragraph or list item per entry. */
  notes: string[];
  /** The database the figures were taken on, e.g. "PGlite 0.5.14 (PostgreSQL 17.5)". */
  database?: string;
}

export interface Benchmark {
  /** Used on the command line (`npm run bench -- <id>`) and as the file name. */
  id: string;
  title: string;
  /** The issue that asked for it, e.g. "#2". */
  issue: string;
  /** How to rerun only this benchmark; defaults to `npm run bench -- <id>`. */
  rerun?: string;
  run(): Promise<BenchResult>;
}

/** A machine as recorded next to each result. */
export interface MachineInfo {
  cpu: string;
  cores: number;
  ramGiB: number;
  node: string;
  os: string;
}

/** One benchmark's last result, as kept in tests/bench/results.json. */
export interface StoredResult extends BenchResult {
  id: string;
  title: string;
  issue: string;
  rerun: string;
  /** ISO date-time the run finished. */
  date: string;
  /** Wall time of the whole benchmark, in seconds. */
  seconds: number;
  machine: MachineInfo;
  /** 1-, 5- and 15-minute load averages when the benchmark started (other work skews figures). */
  loadAverage?: number[];
  /** The last attempt threw: the figures above are then those of the previous good run. */
  lastError?: { date: string; message: string };
}
