import { type Match, type TConcepts, type TRecipe, chooseRecipe } from "./recipes.js";
import { LlmError } from "./errors.js";
import type { ChatProvider, ChatRequest, DatasetFacts, OfflineHints, StreamChunk } from "./types.js";

export interface RecipeBook {
  recipes: TRecipe[];
  concepts: TConcepts;
  /** Python run before every recipe: imports, the `say` helper, and loading the data as `df`. */
  preamble: string;
}

const T = {
  en: {
    notLlm: "This answer comes from the **built-in recipe engine, not an LLM**: it matched your request to a fixed analysis recipe and filled in your columns.",
    recipe: "Recipe",
    keywords: "matched words",
    none: "none (the closest recipe by the columns you named)",
    columns: "Columns",
    noData: "The built-in recipe engine needs a CSV dataset in this session (attach one, or pass --data): it could not find one.",
    noRecipe: "None of the built-in recipes fits this request and these columns. Configure an LLM provider for free-form requests.",
    noRepair: "The built-in recipe engine cannot repair code. The recipe failed with:",
    interpretHead: "Interpretation by the built-in recipe engine (not an LLM), read from the outputs:",
    interpretNone: "The outputs contain no findings the recipe engine can summarise; please read the tables and figures above.",
    planHead: "Analysis plan from the built-in recipe engine (not an LLM); nothing has been run.",
  },
  zh: {
    notLlm: "此回答来自**内置配方引擎（不是大语言模型）**：它把您的请求匹配到一个固定的分析配方，并填入了您的数据列。",
    recipe: "配方",
    keywords: "匹配到的词",
    none: "无（按您提到的列选出的最接近的配方）",
    columns: "数据列",
    noData: "内置配方引擎需要本会话中有一个 CSV 数据集（请先附加数据，或使用 --data），目前没有找到。",
    noRecipe: "没有适合此请求和这些数据列的内置配方。如需自由形式的请求，请配置一个大语言模型。",
    noRepair: "内置配方引擎无法修复代码。配方运行出错：",
    interpretHead: "内置配方引擎（非大语言模型）根据输出整理的解读：",
    interpretNone: "输出中没有配方引擎可以总结的结果，请直接查看上方的表格和图。",
    planHead: "内置配方引擎（非大语言模型）给出的分析方案；尚未运行任何代码。",
  },
};

/** Fills `{{name}}` from values that are already Python literals (column names never reach code unquoted). */
function fill(code: string, values: Record<string, string>): string {
  return code.replace(/\{\{(\w+)\}\}/g, (_, k: string) => {
    const v = values[k];
    if (v === undefined) throw new Error(`recipe variable {{${k}}} has no value`);
    return v;
  });
}

function readCall(d: DatasetFacts): string {
  const p = JSON.stringify(d.path) + (d.encoding ? `, encoding=${JSON.stringify(d.encoding)}` : "");
  if (/\.(xlsx|xls)$/i.test(d.path)) return `pd.read_excel(${p})`;
  if (/\.(tsv|tab)$/i.test(d.path)) return `pd.read_csv(${p}, sep="\\t")`;
  return `pd.read_csv(${p})`;
}

/**
 * The offline default: not a language model. It chooses a recipe from prompts/recipes/ by the request's words and
 * the datasets' columns, and says so plainly in every answer. It "streams" like a provider so the pipeline has
 * one code path.
 */
export class OfflineProvider implements ChatProvider {
  readonly protocol = "offline";
  constructor(private readonly book: RecipeBook) {}

  async *stream(req: ChatRequest): AsyncIterable<StreamChunk> {
    if (!req.hints) throw new LlmError("bad_request", null, false, "The built-in recipe engine needs the request's structured context");
    const text = this.answer(req.hints);
    // Line by line: the client sees the same streaming as from a provider, without artificial delays.
    for (const piece of text.match(/[^\n]*\n?/g) ?? []) {
      if (req.signal.aborted) throw new LlmError("cancelled", null, false, "Cancelled");
      if (piece) yield { type: "text", text: piece };
    }
    yield { type: "usage", input: 0, output: 0 };
  }

  answer(h: OfflineHints): string {
    const t = T[h.language];
    switch (h.phase) {
      case "repair":
        return `${t.noRepair}\n\n    ${(h.error ?? "").split("\n").slice(-3).join("\n    ")}\n`;
      case "interpret": {
        const findings = (h.outputs ?? "").split("\n").filter((l) => l.startsWith("→ ")).map((l) => `- ${l.slice(2).trim()}`);
        return `${t.interpretHead}\n\n${findings.length ? findings.join("\n") : t.interpretNone}\n`;
      }
      case "plan":
      case "code": {
        const csv = h.datasets.filter((d) => d.columns.length > 0);
        if (csv.length === 0) return `${t.noData}\n`;
        const matches = this.matches(h, csv);
        if (matches.length === 0) return `${t.noRecipe}\n`;
        const head = [t.notLlm, "", ...matches.flatMap((m) => this.explain(m, h.language))].join("\n");
        if (h.phase === "plan") return `${t.planHead}\n\n${head}\n`;
        return `${head}\n\n\`\`\`python\n${this.code(matches, h.language)}\`\`\`\n`;
      }
    }
  }

  private matches(h: OfflineHints, datasets: DatasetFacts[]): Match[] {
    const { recipes, concepts } = this.book;
    // A domain template names its recipe chain; the request's own words pick when it has none.
    if (h.recipes?.length) {
      return h.recipes.map((id) => chooseRecipe(h.request, datasets, recipes, concepts, [id])).filter((m): m is Match => m !== null);
    }
    const one = chooseRecipe(h.request, datasets, recipes, concepts);
    return one ? [one] : [];
  }

  private explain(m: Match, lang: "zh" | "en"): string[] {
    const t = T[lang];
    const cols = m.filled.map((f) => `\`${f.slot}\` = ${f.columns.map((c) => `\`${c}\``).join(", ")} (${f.because})`);
    return [
      `- ${t.recipe}: **${m.recipe.title[lang]}** (\`${m.recipe.id}\`, ${m.dataset.path}); ${t.keywords}: ${m.keywords.join(", ") || t.none}`,
      ...(cols.length ? [`  - ${t.columns}: ${cols.join("; ")}`] : []),
    ];
  }

  private code(matches: Match[], lang: "zh" | "en"): string {
    const first = matches[0]!;
    const parts = [fill(this.book.preamble, { language: JSON.stringify(lang), path: JSON.stringify(first.dataset.path), read: readCall(first.dataset) })];
    let current = first.dataset.path;
    for (const m of matches) {
      if (m.dataset.path !== current) parts.push(`df = ${readCall(m.dataset)}`), (current = m.dataset.path);
      parts.push(`# --- ${m.recipe.title.en} (${m.recipe.id}) ---\n${fill(m.recipe.code, { ...m.values, path: JSON.stringify(m.dataset.path) })}`);
    }
    return `${parts.join("\n")}\n`;
  }
}
