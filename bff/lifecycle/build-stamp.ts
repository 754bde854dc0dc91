/**
 * build/stamp.json: what `npm run build` made (ADR 0022). `remix build` takes its mode from
 * NODE_ENV; a build made under NODE_ENV=test (the test suite's) or development renders with
 * React's development JSX runtime (`jsxDEV`), which does not exist under NODE_ENV=production,
 * so serving it in production answers 500 to every page. The server refuses such a build at
 * start with a message naming what to run, instead of serving errors.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

export interface BuildStamp {
  /** The NODE_ENV `remix build` ran with ("production" when unset, as Remix does). */
  mode: string;
  /** `git rev-parse HEAD`, or "unknown" outside a git checkout. */
  commit: string;
  /** Uncommitted changes were present when building. */
  dirty: boolean;
  /** ISO date-time. */
  builtAt: string;
}

export const STAMP_FILE = "stamp.json";

export function makeBuildStamp(env: NodeJS.ProcessEnv, cwd: string, now = new Date()): BuildStamp {
  const git = (args: string[]) => {
    try {
      return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    } catch {
      return undefined;
    }
  };
  const commit = git(["rev-parse", "HEAD"]);
  return {
    mode: env.NODE_ENV ?? "production", // @remix-run/dev cli: `mode ?? "production"` with mode = NODE_ENV
    commit: commit ?? "unknown",
    dirty: commit !== undefined && (git(["status", "--porcelain", "--untracked-files=no"]) ?? "") !== "",
    builtAt: now.toISOString(),
  };
}

export function readBuildStamp(buildDir: string): BuildStamp | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(buildDir, STAMP_FILE), "utf8")) as BuildStamp;
  } catch {
    return undefined;
  }
}

/** Why this build must not be served under this NODE_ENV, or undefined when it may. */
export function buildRefusal(stamp: BuildStamp | undefined, nodeEnv: string | undefined): string | undefined {
  if (nodeEnv !== "production") return undefined; // a production build also runs in development and test
  if (!stamp) {
    return (
      `build/${STAMP_FILE} is missing: build/ was not made by this version's \`npm run build\`. ` +
      "Run `npm run build` (without NODE_ENV) and then `npm run serve`, or `npm start` to do both."
    );
  }
  if (stamp.mode !== "production") {
    const by = stamp.mode === "test" ? " (the test suite builds so)" : "";
    return (
      `build/ was built with NODE_ENV=${stamp.mode || '""'}${by} on ${stamp.builtAt}; ` +
      "under NODE_ENV=production it would answer 500 to every page. " +
      "Run `npm run build` (without NODE_ENV) and then `npm run serve`, or `npm start` to do both."
    );
  }
  return undefined;
}
