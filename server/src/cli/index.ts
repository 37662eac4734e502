import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { createAppContext } from "../app.js";
import { loadConfig } from "../config/index.js";
import { exportNotebook } from "../services/notebook.js";
import { datasetsCommand } from "./datasets.js";
import { ANALYZE_USAGE, analyze } from "./analyze.js";
import { outputText } from "./format.js";
import { openLocalSession, userPath } from "./local-session.js";

// @jupyterlab/services logs every websocket (re)start at debug level; a CLI prints only what the user asked for.
console.debug = () => {};

const USAGE = `Usage: npm run lab -- <command> [options]

Commands:
  exec   Run Python code in a fresh sandboxed session and print its outputs.
         --code "…" | --file script.py   the code (one cell)
         --data FILE                     a data file to make readable at /data/<name> (repeatable)
         --out result.ipynb              also write the session as a notebook
         --title "…"                     the session's title
${ANALYZE_USAGE}
  datasets add FILE [--encoding gb18030]   store a CSV/TSV/Excel/Parquet/JSON file (shows upload progress)
  datasets list                            your stored datasets and the storage used
  datasets preview ID [--sheet S] [--json] the first 100 rows

Runs on the embedded defaults (PGlite in .lab/, a local Enterprise Gateway) unless DATABASE_URL / GATEWAY_URL are set.`;



async function exec(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { code: { type: "string" }, file: { type: "string" }, data: { type: "string", multiple: true }, out: { type: "string" }, title: { type: "string" } },
    strict: true,
  });
  if (!values.code === !values.file) throw new UsageError("exec needs exactly one of --code or --file");
  const code = values.code ?? (await readFile(userPath(values.file!), "utf8"));
  const root = path.resolve(import.meta.dirname, "../../..");
  const { config, secrets } = loadConfig(process.env, root);
  config.kernels.poolSize = 0; // one-shot: a warm spare kernel would only be started and thrown away
  const app = await createAppContext(config, secrets, { log: (l) => console.error(l) });
  try {
    const { session, datasets } = await openLocalSession(app, values.title ?? `CLI ${new Date().toISOString()}`, values.data ?? []);
    const { done } = await app.services.executor.submit(session, { code, source: "user" });
    const cell = await done;
    for (const o of cell.outputs) process.stdout.write(outputText(o, process.stdout.isTTY));
    if (cell.error && !cell.outputs.some((o) => o.output_type === "error")) console.error(cell.error);
    if (values.out) {
      const nb = await exportNotebook(app.db, session, app.services.environment, datasets);
      await writeFile(userPath(values.out), `${JSON.stringify(nb, null, 1)}\n`);
      console.error(`notebook: ${values.out}`);
    }
    return cell.status === "ok" ? 0 : 1;
  } finally {
    await app.close();
  }
}

class UsageError extends Error {}

async function main(): Promise<number> {
  const [command, ...rest] = process.argv.slice(2);
  switch (command) {
    case "exec":
      return exec(rest);
    case "analyze":
      return analyze(rest, path.resolve(import.meta.dirname, "../../.."), (m) => new UsageError(m));
    case "datasets": {
      const { config } = loadConfig(process.env, path.resolve(import.meta.dirname, "../../.."));
      return datasetsCommand(rest, config, userPath, (msg) => new UsageError(msg));
    }
    case undefined:
    case "help":
    case "--help":
      console.log(USAGE);
      return command ? 0 : 2;
    default:
      throw new UsageError(`Unknown command: ${command}`);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError || (err instanceof TypeError && "code" in err && String(err.code).startsWith("ERR_PARSE_ARGS"))) {
      console.error(`${err.message}\n\n${USAGE}`);
      process.exit(2);
    }
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
