import type { Reporter, TestModule } from "vitest/node";

/**
 * Prints the ten slowest test files at the end of a run (issue 16): where the test step's
 * minutes go, so a change that slows the suite shows up in CI's log, file by file.
 * "set-up" is collecting the file (its imports) and its environment; "tests" are its tests and hooks.
 */
export default class SlowestFilesReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>) {
    const rows = modules
      .map((m) => {
        const d = m.diagnostic();
        const setup = d.environmentSetupDuration + d.prepareDuration + d.collectDuration + d.setupDuration;
        return { file: m.moduleId.replace(`${process.cwd()}/`, ""), setup, tests: d.duration };
      })
      .sort((a, b) => b.setup + b.tests - (a.setup + a.tests))
      .slice(0, 10);
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`.padStart(8);
    const lines = rows.map((r) => `${s(r.setup + r.tests)}  (set-up ${s(r.setup)}, tests ${s(r.tests)})  ${r.file}`);
    process.stdout.write(`\nThe ten slowest test files:\n${lines.join("\n")}\n`);
  }
}
