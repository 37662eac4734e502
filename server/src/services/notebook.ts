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
    cells: cells.map((c) => ({
      id: c.id,
      cell_type: "code" as const,
      metadata: {
        llm_data_lab: { source: c.source, status: c.status, started_at: c.startedAt, ended_at: c.endedAt, ...(c.error ? { error: c.error } : {}) },
      },
      source: c.code,
      execution_count: c.executionCount,
      // Stored outputs are already nbformat: `transient` was stripped and update_display_data folded on arrival.
      outputs: c.outputs,
    })),
  };
}

/** A filename safe in a Content-Disposition header and on any filesystem. */
export function notebookFilename(title: string): string {
  const base = title.normalize("NFKC").replace(/[\\/:*?"<>|\x00-\x1f\x7f]+/g, "_").replace(/^[.\s]+/, "").slice(0, 100).trim();
  return `${base || "session"}.ipynb`;
}
