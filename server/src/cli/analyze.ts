import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { createAppContext } from "../app.js";
import { loadConfig } from "../config/index.js";
import { exportTaskNotebook } from "../services/analysis-notebook.js";
import { outputText } from "./format.js";
import { openLocalSession, userPath } from "./local-session.js";

export const ANALYZE_USAGE = `  analyze  Ask for an analysis in words; a model (default: the built-in recipe engine) writes code that runs.
         "request"                       what to analyse, in Chinese or English
         --data FILE                     a data file, readable at /data/<name> (repeatable)
         --model provider:model          e.g. openai:gpt-4.1-mini, anthropic:claude-sonnet-4-20250514 (repeatable: compared side by side)
         --template NAME                 data-analysis (default), analysis-strategy, clinical-table, differential-expression, lab-cleaning, report-writing
         --retries N                     corrections after a failing cell (default LAB_LLM_REPAIR_RETRIES, 2)
         --out task.ipynb                write the request, code, outputs and interpretation as a notebook`;


/** `npm run lab -- analyze …`: the whole pipeline through the same services as the web UI. Exit 0 when a run succeeded. */
export async function analyze(argv: string[], root: string, usageError: (m: string) => Error): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      data: { type: "string", multiple: true },
      model: { type: "string", multiple: true },
      template: { type: "string" },
      retries: { type: "string" },
      out: { type: "string" },
      title: { type: "string" },
    },
    strict: true,
  });
  const request = positionals.join(" ").trim();
  if (!request) throw usageError('analyze needs a request, e.g. "compare blood pressure between sexes"');
  const retries = values.retries === undefined ? undefined : Number(values.retries);
  if (retries !== undefined && !(Number.isInteger(retries) && retries >= 0 && retries <= 5)) throw usageError("--retries must be 0–5");
  const { config, secrets } = loadConfig(process.env, root);
  config.kernels.poolSize = 0;
  const app = await createAppContext(config, secrets, { log: (l) => console.error(l) });
  try {
    const { session, datasets } = await openLocalSession(app, values.title ?? request.slice(0, 100), values.data ?? []);
    // Tokens stream to stderr as they arrive; results go to stdout.
    const ctl = new AbortController();
    const follow = (async () => {
      for await (const { event: e } of app.services.events.subscribe(session.id, null, ctl.signal)) {
        if (e.type === "task.token") process.stderr.write(e.text);
        else if (e.type === "task.answer") process.stderr.write("\n");
        else if (e.type === "task.attempt") console.error(`[${e.status}] attempt ${e.attempt}${e.error ? `: ${e.error}` : ""}`);
      }
    })();
    const task = await app.services.analysis.start(session, { request, models: values.model, template: values.template, retries });
    await app.services.analysis.wait(task.id);
    ctl.abort();
    await follow.catch(() => {});
    const done = await app.services.analysis.get(task.id);
    for (const run of done.runs) {
      if (done.runs.length > 1) console.log(`\n=== ${run.model} ===`);
      const cell = run.cellId ? await app.db.selectFrom("cells").select("outputs").where("id", "=", run.cellId).executeTakeFirst() : undefined;
      for (const o of (cell?.outputs as unknown as import("../kernel/outputs.js").TOutput[] | undefined) ?? []) process.stdout.write(outputText(o, process.stdout.isTTY));
      if (run.interpretation) console.log(`\n${run.interpretation}`);
      if (run.error) console.error(`${run.model}: ${run.error.message}`);
    }
    if (values.out) {
      const nb = await exportTaskNotebook(app.db, app.services.analysis, session, task.id, app.services.environment, datasets);
      await writeFile(userPath(values.out), `${JSON.stringify(nb, null, 1)}\n`);
      console.error(`notebook: ${values.out}`);
    }
    return done.status === "ok" ? 0 : 1;
  } finally {
    await app.close();
  }
}
