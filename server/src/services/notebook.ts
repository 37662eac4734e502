import { readFileSync } from "node:fs";
import path from "node:path";
import type { Kysely } from "kysely";
import type { Database, SessionRow } from "../db/schema.js";
import { listCells } from "./sessions.js";

/** What a notebook records about where it ran: the kernel env's Python and its pinned packages. */
export interface KernelEnvironment {
  python: string;
  packages: Record<string, string>;
}

const REPORTED = ["ipykernel", "numpy", "pandas", "scipy", "statsmodels", "scikit-learn", "matplotlib", "seaborn", "plotly", "lifelines", "pyarrow", "openpyxl"];

/** Read once at startup from the same pinned files the kernel env is built from. */
export function readKernelEnvironment(root: string, kernelVenv: string): KernelEnvironment {
  const pins = readFileSync(path.join(root, "kernel-image", "requirements-kernel.txt"), "utf8");
  const packages: Record<string, string> = {};
  for (const line of pins.split("\n")) {
    const m = /^([A-Za-z0-9_.-]+)==([^\s;#]+)/.exec(line.trim());
    if (m && REPORTED.includes(m[1]!.toLowerCase())) packages[m[1]!.toLowerCase()] = m[2]!;
  }
  let python = "3";
  try {
    const cfg = readFileSync(path.join(kernelVenv, "pyvenv.cfg"), "utf8");
    python = /^version(?:_info)?\s*=\s*([\d.]+)/m.exec(cfg)?.[1] ?? python;
  } catch {
    // No venv yet (external gateway): the notebook still exports, with the major version only.
  }
  return { python, packages };
}

/**
 * The session as nbformat 4.5 (cell ids required), reopening in JupyterLab with the standard python3 kernel.
 * https://nbformat.readthedocs.io/en/latest/format_description.html
 */
export async function exportNotebook(
  db: Kysely<Database>,
  session: SessionRow,
  env: KernelEnvironment,
  datasets: { name: string; sha256: string }[] = [],
) {
  const cells = await listCells(db, session.id);
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: "python3", display_name: "Python 3 (ipykernel)", language: "python" },
      language_info: {
        name: "python",
        version: env.python,
        mimetype: "text/x-python",
        file_extension: ".py",
        codemirror_mode: { name: "ipython", version: 3 },
        pygments_lexer: "ipython3",
        nbconvert_exporter: "python",
      },
      title: session.title,
      llm_data_lab: {
        session_id: session.id,
        exported_at: new Date().toISOString(),
        python: env.python,
        packages: env.packages,
        datasets,
      },
    },
    cells: await withTaskNotes(db, session.id, cells.map((c) => ({
      id: c.id,
      cell_type: "code" as const,
      metadata: {
        llm_data_lab: { source: c.source, status: c.status, started_at: c.startedAt, ended_at: c.endedAt, ...(c.error ? { error: c.error } : {}) },
      },
      source: c.code,
      execution_count: c.executionCount,
      // Stored outputs are already nbformat: `transient` was stripped and update_display_data folded on arrival.
      outputs: c.outputs,
    }))),
  };
}

type NotebookCell = { id: string; cell_type: "code" | "markdown"; source: string; metadata: Record<string, unknown> } & Record<string, unknown>;

/**
 * The session's requests to models, as Markdown where they happened: each request before the first cell it
 * produced, and after its last, each model's interpretation (or plan, or failure). A task whose code ran only
 * in branches (several models) or that ran none (strategy mode) sits where it was asked, among the cells,
 * with each model's code quoted: the notebook stays the session's own, re-runnable top to bottom.
 */
async function withTaskNotes<T extends NotebookCell>(db: Kysely<Database>, sessionId: string, cells: (T & { metadata: { llm_data_lab: { started_at: string | null } } })[]): Promise<NotebookCell[]> {
  const tasks = await db.selectFrom("llm_tasks").select(["id", "request", "mode", "created_at"]).where("session_id", "=", sessionId).orderBy("created_at").execute();
  if (!tasks.length) return cells;
  const ids = tasks.map((t) => t.id);
  const runs = await db.selectFrom("llm_runs").select(["id", "task_id", "model", "runs_in", "code", "interpretation", "error"]).where("task_id", "in", ids).orderBy("created_at").execute();
  const steps = await db
    .selectFrom("llm_steps")
    .innerJoin("llm_runs", "llm_runs.id", "llm_steps.run_id")
    .select(["llm_runs.task_id", "llm_steps.run_id", "llm_steps.kind", "llm_steps.cell_id", "llm_steps.answer"])
    .where("llm_runs.task_id", "in", ids)
    .orderBy("llm_steps.id")
    .execute();
  const taskOfCell = new Map(steps.flatMap((s) => (s.cell_id ? [[s.cell_id, s.task_id] as const] : [])));
  const md = (id: string, source: string): NotebookCell => ({ id, cell_type: "markdown", metadata: {}, source });
  const before = new Map<number, NotebookCell[]>();
  const after = new Map<number, NotebookCell[]>();
  const add = (m: Map<number, NotebookCell[]>, at: number, c: NotebookCell) => m.set(at, [...(m.get(at) ?? []), c]);
  for (const task of tasks) {
    const own = cells.flatMap((c, i) => (taskOfCell.get(c.id) === task.id ? [i] : []));
    const asked = new Date(task.created_at).getTime();
    const at = own[0] ?? cells.findIndex((c) => c.metadata.llm_data_lab.started_at !== null && Date.parse(c.metadata.llm_data_lab.started_at) > asked);
    const start = at === -1 ? cells.length : at;
    const tag = task.id.slice(0, 8);
    add(before, start, md(`${tag}-request`, `**Request${task.mode === "strategy" ? " (analysis strategy)" : ""}:** ${task.request}`));
    const taskRuns = runs.filter((r) => r.task_id === task.id);
    const notes = taskRuns.flatMap((r) => {
      const label = taskRuns.length > 1 ? `### ${r.model}\n\n` : "";
      const plan = task.mode === "strategy" ? steps.filter((s) => s.run_id === r.id && s.kind === "plan").at(-1)?.answer : undefined;
      const quoted = r.runs_in !== sessionId && r.code ? `\`\`\`python\n${r.code.trimEnd()}\n\`\`\`\n\n` : "";
      const body = plan ?? r.interpretation ?? (r.error ? `**${r.model} failed:** ${r.error}` : "");
      return body || quoted ? [md(`${r.id.slice(0, 8)}-notes`, `${label}${quoted}${body}`.trim())] : [];
    });
    const end = own.length ? own.at(-1)! : start - 1; // with no cells of its own: right after the request
    for (const n of notes) add(end >= start ? after : before, end >= start ? end : start, n);
  }
  const out: NotebookCell[] = [];
  for (let i = 0; i <= cells.length; i++) {
    out.push(...(before.get(i) ?? []));
    if (i < cells.length) out.push(cells[i]!, ...(after.get(i) ?? []));
  }
  return out;
}

/** A filename safe in a Content-Disposition header and on any filesystem. */
export function notebookFilename(title: string): string {
  const base = title.normalize("NFKC").replace(/[\\/:*?"<>|\x00-\x1f\x7f]+/g, "_").replace(/^[.\s]+/, "").slice(0, 100).trim();
  return `${base || "session"}.ipynb`;
}
