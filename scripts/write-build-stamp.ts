// The last step of `npm run build`: build/stamp.json, which the server checks at start
// (bff/lifecycle/build-stamp.ts, ADR 0022).
import fs from "node:fs";
import path from "node:path";
import { makeBuildStamp, STAMP_FILE } from "../bff/lifecycle/build-stamp.js";

const stamp = makeBuildStamp(process.env, process.cwd());
fs.writeFileSync(path.join("build", STAMP_FILE), JSON.stringify(stamp, null, 2) + "\n");
console.log(
  `build/${STAMP_FILE}: ${stamp.mode} build of ${stamp.commit.slice(0, 12)}${stamp.dirty ? " (with uncommitted changes)" : ""}`,
);
