import { createHash } from "node:crypto";
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, type TestCaller } from "./helpers/app.js";
import { type Lab, run, startLab, text } from "./helpers/lab.js";
import { attachFile } from "./helpers/llm.js";

const DIR = path.join(REPO_ROOT, "notebooks");
interface Nb {
  metadata: { llm_data_lab: { datasets: { name: string; sha256: string }[]; task_id?: string } };
  cells: { cell_type: string; source: string | string[]; outputs?: { output_type: string; name?: string; text?: string | string[] }[] }[];
}
const src = (s: string | string[]) => (Array.isArray(s) ? s.join("") : s);
const notebooks = (await readdir(DIR)).filter((f) => f.endsWith(".ipynb")).sort();

/** The recipe engine's findings (its `→` lines): deterministic, so a re-run must print exactly the same ones. */
const findings = (t: string) => t.split("\n").filter((l) => l.startsWith("→ "));

describe("the example notebooks, re-executed in a sandboxed kernel (pglite)", () => {
  let lab: Lab;
  let alice: TestCaller;
  beforeAll(async () => {
    lab = await startLab("pglite");
    alice = await lab.user();
  });
  afterAll(() => lab?.close());

  it("are the four scenarios, each made by `analyze` from data kept in the repository", async () => {
    const made = [];
    for (const f of notebooks) {
      const nb = JSON.parse(await readFile(path.join(DIR, f), "utf8")) as Nb;
      if (nb.metadata.llm_data_lab.task_id) made.push(f);
    }
    expect(made).toEqual(["clinical-table-logistic-km.ipynb", "differential-expression-volcano.ipynb", "lab-cleaning-outliers.ipynb", "report-diabetes.ipynb"]);
  });

  it.for(notebooks)("%s runs top to bottom on its recorded data and prints what it recorded", { timeout: 300_000 }, async (file) => {
    const nb = JSON.parse(await readFile(path.join(DIR, file), "utf8")) as Nb;
    const sessionId = (await alice.caller.sessions.create({ title: file })).id;
    for (const d of nb.metadata.llm_data_lab.datasets) {
      const local = path.join(DIR, "data", d.name);
      expect(createHash("sha256").update(await readFile(local)).digest("hex"), `${d.name} changed since the notebook was made`).toBe(d.sha256);
      await attachFile(lab, sessionId, local);
    }
    const code = nb.cells.filter((c) => c.cell_type === "code");
    expect(code.length).toBeGreaterThan(0);
    for (const c of code) {
      const cell = await run(alice, sessionId, src(c.source), 180_000);
      expect({ status: cell.status, error: cell.error }).toEqual({ status: "ok", error: null });
      const recorded = (c.outputs ?? []).filter((o) => o.output_type === "stream" && o.name === "stdout").map((o) => src(o.text ?? "")).join("");
      expect(findings(text(cell))).toEqual(findings(recorded));
    }
    await alice.caller.sessions.delete({ sessionId }); // frees its kernel: the user's cap is 4
  });
});
