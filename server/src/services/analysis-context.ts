import path from "node:path";
import type { Kysely } from "kysely";
import type { Database, SessionRow } from "../db/schema.js";
import { OutputCollector } from "../kernel/outputs.js";
import type { DatasetFacts } from "../llm/types.js";
import { describeFacts, datasetFacts, previewRows } from "./dataset-facts.js";
import { datasetContext } from "./datasets-context.js";
import type { KernelManager } from "./kernels.js";

/**
 * Run silently in a kernel before model code: figures then carry their titles and axis labels in text/plain,
 * which is what the interpretation step reads (a PNG says nothing to a language model). Idempotent.
 */
export const PREPARE_KERNEL = `
def _lab_describe_figure(fig, p, cycle):
    parts = []
    if getattr(fig, "_suptitle", None) is not None and fig._suptitle.get_text():
        parts.append("suptitle %r" % fig._suptitle.get_text())
    for ax in fig.axes:
        bits = [("%s %r" % (k, v)) for k, v in (("title", ax.get_title()), ("x", ax.get_xlabel()), ("y", ax.get_ylabel())) if v]
        if bits:
            parts.append(", ".join(bits))
    p.text("<Figure: " + ("; ".join(parts) or "no titles") + ">")
# After the backend is loaded (lazily, at the first figure): loading the inline backend pops every formatter
# registered for Figure.
import matplotlib.pyplot as _lab_plt
_lab_plt.close(_lab_plt.figure())
from matplotlib.figure import Figure as _LabFigure
get_ipython().display_formatter.formatters["text/plain"].for_type(_LabFigure, _lab_describe_figure)
del _lab_describe_figure, _lab_plt, _LabFigure
`;

/** Names, types and shapes of the user's variables; DataFrames with their columns and dtypes. */
const VARIABLES_PROBE = `
def _lab_vars():
    import json, types
    out = []
    for k, v in list(globals().items()):
        if k.startswith("_") or k in ("In", "Out", "exit", "quit", "get_ipython") or isinstance(v, (types.ModuleType, types.FunctionType, type)):
            continue
        item = {"name": k, "type": type(v).__name__}
        if hasattr(v, "shape"):
            item["shape"] = list(getattr(v, "shape"))
        if hasattr(v, "dtypes") and hasattr(v, "columns"):
            item["columns"] = {str(c): str(t) for c, t in list(v.dtypes.items())[:40]}
        elif isinstance(v, (int, float, str, bool)):
            item["value"] = repr(v)[:80]
        out.append(item)
    print(json.dumps(out[:50]))
_lab_vars(); del _lab_vars
`;

export interface PromptContext {
  datasets: string;
  history: string;
  variables: string;
  facts: DatasetFacts[];
}

/** Runs probe code silently in the session's live kernel; null when there is none or it fails. */
export async function probeKernel(kernels: KernelManager, session: SessionRow, code: string, timeoutMs = 20_000): Promise<string | null> {
  if (!kernels.isLive(session.id)) return null;
  const live = await kernels.acquire(session);
  const sink = new OutputCollector(200_000, () => {});
  const r = await live.kernel.execute(code, sink, { timeoutMs, silent: true }).catch(() => null);
  if (r?.kind !== "ok") return null;
  return sink.outputs.map((o) => (o.output_type === "stream" ? o.text : "")).join("");
}

/** The datasets, earlier cells and live variables of a session, each cut to its share of the token budget. */
export async function buildContext(
  db: Kysely<Database>,
  kernels: KernelManager,
  workspaces: string,
  session: SessionRow,
  budgetTokens: number,
): Promise<PromptContext> {
  const chars = budgetTokens * 4;
  const dataDir = path.join(workspaces, session.workspace_id, "data");
  const facts = await datasetFacts(dataDir);
  // The datasets feature's profile text when the data was attached through it; else the files themselves.
  const attached = await datasetContext(db, session.id, { maxChars: Math.round(chars * 0.5) }).catch(() => null);
  const datasets = attached && !attached.startsWith("No datasets") ? attached : describeFacts(facts, await previewRows(dataDir, facts));

  const cells = await db.selectFrom("cells").select(["code", "status"]).where("session_id", "=", session.id).orderBy("position", "desc").limit(20).execute();
  let history = "";
  for (const c of cells) {
    const block = `# [${c.status}]\n${c.code.length > 1500 ? `${c.code.slice(0, 1500)}\n# … cut` : c.code}\n`;
    if (history.length + block.length > chars * 0.3) break;
    history = block + history;
  }
  const vars = await probeKernel(kernels, session, VARIABLES_PROBE);
  return {
    datasets: cut(datasets, chars * 0.5),
    history: history || "(none)",
    variables: vars ? cut(vars.trim(), chars * 0.2) : "(no kernel running yet: none)",
    facts,
  };
}

const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, Math.round(n))}… [cut]` : s);
