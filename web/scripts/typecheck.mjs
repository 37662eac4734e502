#!/usr/bin/env node
/**
 * `npm run typecheck -w web`: tsc over the web app. The server's files come in through `import type
 * { AppRouter }` and are checked under the web's settings, where Next's globals (a required NODE_ENV in
 * ProcessEnv) make some server lines fail that are fine in the server's own check (`-w server`).
 * So only diagnostics in web files count here.
 */
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";

const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const r = spawnSync(process.execPath, [tsc, "--noEmit", "-p", ".", "--pretty", "false"], { encoding: "utf8" });
const lines = (r.stdout + r.stderr).split("\n");
// A diagnostic starts with "path(line,col): error"; continuation lines are indented.
const ours = [];
let keep = false;
for (const line of lines) {
  if (/^\S.*\(\d+,\d+\): error /.test(line)) keep = !line.startsWith("../");
  else if (!line.startsWith(" ")) keep = false;
  if (keep) ours.push(line);
}
if (ours.length) {
  process.stdout.write(`${ours.join("\n")}\n`);
  process.exit(1);
}
if (r.status !== 0 && !lines.some((l) => /\): error /.test(l))) {
  process.stdout.write(r.stdout + r.stderr);
  process.exit(r.status ?? 1);
}
console.log("web: no type errors");
