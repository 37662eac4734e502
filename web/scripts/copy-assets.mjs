#!/usr/bin/env node
/**
 * Copies what the app serves as plain files into public/ before a build: Monaco's own AMD build (loaded from
 * our origin by @monaco-editor/react instead of its default CDN: the product must work offline) and the
 * bundled sample dataset. Skipped when the copy is already of the installed version.
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);

// monaco-editor's "exports" hide package.json: find the package folder from its main entry.
const monacoDir = packageDir(require.resolve("monaco-editor"));
const { version } = JSON.parse(fs.readFileSync(path.join(monacoDir, "package.json"), "utf8"));
const target = path.join(WEB, "public", "monaco");
const stamp = path.join(target, ".version");
if (!fs.existsSync(stamp) || fs.readFileSync(stamp, "utf8") !== version) {
  fs.rmSync(target, { recursive: true, force: true });
  fs.cpSync(path.join(monacoDir, "min", "vs"), path.join(target, "vs"), { recursive: true });
  fs.writeFileSync(stamp, version);
}

const sample = path.join(WEB, "..", "notebooks", "data", "diabetes.csv");
fs.mkdirSync(path.join(WEB, "public", "sample"), { recursive: true });
fs.copyFileSync(sample, path.join(WEB, "public", "sample", "diabetes.csv"));

function packageDir(file) {
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "package.json")) && path.basename(path.dirname(dir)) === "node_modules") return dir;
  }
  throw new Error(`no package folder above ${file}`);
}
