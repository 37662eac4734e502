import type { Kysely } from "kysely";
import type { Database, SessionRow } from "../db/schema.js";
import type { AnalysisService } from "./analysis.js";
import { type KernelEnvironment, exportNotebook } from "./notebook.js";

type Notebook = Awaited<ReturnType<typeof exportNotebook>>;
type NotebookCell = Record<string, unknown>;

const markdown = (id: string, text: string): NotebookCell => ({ id, cell_type: "markdown", metadata: {}, source: text });

/**
 * A task as a notebook: the request, then per model its final (successful) cell and its interpretation, as
 * Markdown around the code. Failed attempts stay in the database (and the session), not in the notebook, so it
 * re-runs top to bottom. With several models, each model's cell comes from its branch.
 */
export async function exportTaskNotebook(
  db: Kysely<Database>,
  analysis: AnalysisService,
  session: SessionRow,
  taskId: string,
  env: KernelEnvironment,
  datasets: { name: string; sha256: string }[],
): Promise<Notebook> {
  const nb = await exportNotebook(db, session, env, datasets);
  const task = await analysis.get(taskId);
  const cells: NotebookCell[] = [markdown(`${task.id.slice(0, 8)}-request`, `**Request:** ${task.request}\n\n*Template ${task.template} v${task.templateVersion}; ${task.runs.map((r) => r.model).join(", ")}*`)];
  for (const run of task.runs) {
    const label = task.runs.length > 1 ? `### ${run.model}\n\n` : "";
    const cell = run.cellId ? await db.selectFrom("cells").selectAll().where("id", "=", run.cellId).executeTakeFirst() : undefined;
    if (cell) {
      if (label) cells.push(markdown(`${run.id.slice(0, 8)}-model`, label.trim()));
      cells.push({
        id: cell.id,
        cell_type: "code",
        metadata: { llm_data_lab: { source: "model", model: run.model, task_id: task.id, attempts: run.steps.filter((s) => s.cellId).length } },
        source: cell.code,
        execution_count: cell.execution_count,
        outputs: cell.outputs,
      });
    }
    const body = run.interpretation ?? (run.error ? `**${run.model} failed:** ${run.error.message}` : "");
    if (body) cells.push(markdown(`${run.id.slice(0, 8)}-interpretation`, `${label}${body}`));
  }
  return { ...nb, cells: cells as Notebook["cells"], metadata: { ...nb.metadata, llm_data_lab: { ...nb.metadata.llm_data_lab, task_id: task.id } as typeof nb.metadata.llm_data_lab } };
}
