import { beforeAll } from "vitest";
import { silentLogger } from "./container.js";

/**
 * Runs before each test file. Files share their worker process (isolate: false in
 * tests/vitest.config.ts), so what a helper collects module-wide starts empty for each file:
 * a file expecting no logged errors must not see another file's.
 */
beforeAll(() => {
  silentLogger.errors.length = 0;
  silentLogger.warnings.length = 0;
});
