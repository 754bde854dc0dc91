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
    reporters: ["default", "./tests/helpers/slowest-files-reporter.ts"],
    env: { TZ: "UTC", NODE_ENV: "test" },
  },
});
