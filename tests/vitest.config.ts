import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: path.resolve(path.dirname(fileURLToPath(import.meta.url)), ".."),
    include: ["tests/**/*.test.ts", "bff/**/*.test.ts", "service-worker/**/*.test.ts"],
    globalSetup: ["tests/helpers/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: "forks",
    // Each file gets its own database, so files may run side by side.
    fileParallelism: true,
    maxWorkers: 2,
    // Issue 16: the two worker processes run file after file, keeping the modules they loaded
    // (the app's composition root, the Remix build): importing them afresh cost every file
    // 1-3 s. Files share no state through them: each builds its own container and database;
    // what a helper keeps module-wide is reset per file (tests/helpers/per-file.ts).
    isolate: false,
    setupFiles: ["tests/helpers/per-file.ts"],
    reporters: ["default", "./tests/helpers/slowest-files-reporter.ts"],
    env: { TZ: "UTC", NODE_ENV: "test" },
  },
});
