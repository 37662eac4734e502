import { z } from "zod";
import type { ColumnFacts, DatasetFacts } from "./types.js";

/** prompts/recipes/*.yaml and prompts/concepts.yaml, parsed at load (services/prompts.ts reads the files). */
const ZLocalisedSchema = z.object({ en: z.string(), zh: z.string() });
export const ZSlotSchema = z.object({
  name: z.string().regex(/^\w+$/),
  kind: z.enum(["numeric", "categorical", "binary", "numeric_list", "any_list"]),
  optional: z.boolean().default(false),
  /** Only a column the request names fills it (no guessing). */
  from_request: z.boolean().default(false),
  /** Concepts whose columns fill the slot when the request names none. */
  prefer: z.array(z.string()).default([]),
  /** Fill from a column whose name is one of `prefer`'s concepts even if the request does not name it. */
  by_name: z.boolean().default(false),
  min: z.number().int().default(1),
  fallback: z.enum(["all", "others", "all_other_numeric"]).optional(),
});
export const ZRecipeSchema = z.object({
  id: z.string().regex(/^[a-z0-9-]+$/),
  title: ZLocalisedSchema,
  keywords: z.object({ strong: z.array(z.string()), weak: z.array(z.string()).default([]) }),
  slots: z.array(ZSlotSchema),
  code: z.string().min(1),
});
export type TRecipe = z.infer<typeof ZRecipeSchema>;
export type TSlot = z.infer<typeof ZSlotSchema>;
export const ZConceptsSchema = z.object({ concepts: z.record(z.string(), z.array(z.string()).min(1)) });
export type TConcepts = Record<string, string[]>;

export interface Filled {
  slot: string;
  columns: string[];
  /** Why: the request's word that named it, a concept the column's name matched, or a fallback. */
  because: string;
}

export interface Match {
  recipe: TRecipe;
  dataset: DatasetFacts;
  score: number;
  keywords: string[];
  filled: Filled[];
  /** Python literals per slot, for the code template. */
  values: Record<string, string>;
}

const norm = (s: string) => s.normalize("NFKC").toLowerCase();
const tokens = (s: string) => norm(s).split(/[^\p{L}\p{N}]+/u).filter(Boolean);
const ascii = (w: string) => /^[\x20-\x7e]+$/.test(w);

/** Where a word occurs in the request: CJK by substring, Latin words on word boundaries ("bp" not in "bpm"). */
export function findWord(request: string, word: string): number {
  const r = norm(request);
  const w = norm(word);
  if (!ascii(w)) return r.indexOf(w);
  const m = new RegExp(`(^|[^a-z0-9])${w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}($|[^a-z0-9])`).exec(r);
  return m ? m.index + m[1]!.length : -1;
}

/** The concepts a column's name belongs to: "ph.karno" → karnofsky, "horTh" → treatment, "time" → duration. */
export function conceptsOf(column: string, concepts: TConcepts): string[] {
  const name = norm(column);
  const parts = tokens(column);
  return Object.entries(concepts)
    .filter(([, words]) => words.some((w) => norm(w) === name || norm(w).replace(/ /g, "_") === name || (w.length >= 3 && parts.includes(norm(w)))))
    .map(([c]) => c);
}

/** Columns the request names (by name, or through a concept), in the order the request names them. */
export function mentionedColumns(request: string, dataset: DatasetFacts, concepts: TConcepts): { column: ColumnFacts; at: number; word: string }[] {
  const found: { column: ColumnFacts; at: number; word: string }[] = [];
  for (const column of dataset.columns) {
    const names = [column.name, column.name.replace(/[_.]/g, " ")];
    const words = [...names, ...conceptsOf(column.name, concepts).flatMap((c) => concepts[c]!)];
    let best: { at: number; word: string } | null = null;
    for (const word of words) {
      if (word.length < 2) continue;
      const at = findWord(request, word);
      if (at >= 0 && (!best || at < best.at)) best = { at, word };
    }
    if (best) found.push({ column, ...best });
  }
  return found.sort((a, b) => a.at - b.at);
}

export function fits(c: ColumnFacts, kind: TSlot["kind"]): boolean {
  switch (kind) {
    case "numeric":
    case "numeric_list":
      return c.kind === "numeric";
    case "categorical":
      return (c.kind === "categorical" || c.kind === "numeric") && c.distinct >= 2 && c.distinct <= 12;
    case "binary":
      return c.distinct === 2;
    case "any_list":
      return c.kind === "numeric" || (c.kind === "categorical" && c.distinct <= 12);
  }
}

const py = (s: string) => JSON.stringify(s); // a JSON string is a valid Python string literal
const pyList = (xs: string[]) => `[${xs.map(py).join(", ")}]`;

/** Fills a recipe's slots from one dataset; null when a required slot cannot be filled. */
export function fillRecipe(recipe: TRecipe, dataset: DatasetFacts, request: string, concepts: TConcepts): Omit<Match, "score" | "keywords"> & { bonus: number } | null {
  const mentioned = mentionedColumns(request, dataset, concepts);
  const used = new Set<string>();
  const filled: Filled[] = [];
  const values: Record<string, string> = {};
  let bonus = 0;
  for (const slot of recipe.slots) {
    const free = (c: ColumnFacts) => !used.has(c.name) && fits(c, slot.kind);
    const named = mentioned.filter((m) => free(m.column));
    const preferred = dataset.columns.filter((c) => free(c) && conceptsOf(c.name, concepts).some((k) => slot.prefer.includes(k)));
    let pick: string[] = [];
    let because = "";
    if (slot.kind.endsWith("_list")) {
      if (named.length >= slot.min) {
        pick = named.map((m) => m.column.name);
        because = `named in the request (${named.map((m) => m.word).join(", ")})`;
        bonus += 2 * named.length;
      } else if (slot.fallback) {
        // Follow-up time and event status are outcomes, never predictors of something else.
        const role = (c: ColumnFacts) => conceptsOf(c.name, concepts).some((k) => k === "duration" || k === "event");
        pick = dataset.columns.filter((c) => !used.has(c.name) && (slot.fallback === "others" ? fits(c, "any_list") && !role(c) : c.kind === "numeric")).map((c) => c.name).slice(0, slot.fallback === "others" ? 12 : 60);
        because = slot.fallback === "others" ? "all other columns" : "all numeric columns";
      }
      if (pick.length < slot.min) pick = [];
    } else if (slot.by_name && preferred[0]) {
      // Roles a column's name states (time, status, cens) beat a mention: "survival by horTh" names the group.
      pick = [preferred[0].name];
      because = "its name";
      bonus += 1;
    } else if (named[0]) {
      pick = [named[0].column.name];
      because = `the request says "${named[0].word}"`;
      bonus += 2;
    } else if (preferred[0] && !slot.from_request && !slot.optional) {
      pick = [preferred[0].name];
      because = "its name";
      bonus += 0.5;
    } else if (!slot.optional && !slot.from_request) {
      const any = dataset.columns.find(free);
      if (any) (pick = [any.name]), (because = "the first column of the right type");
    }
    if (pick.length === 0 && !slot.optional) return null;
    pick.forEach((c) => used.add(c));
    if (pick.length) filled.push({ slot: slot.name, columns: pick, because });
    values[slot.name] = slot.kind.endsWith("_list") ? pyList(pick) : pick[0] ? py(pick[0]) : "None";
  }
  // A column the request named that the recipe leaves out means the recipe answers a different question.
  bonus -= 2 * mentioned.filter((m) => !used.has(m.column.name)).length;
  return { recipe, dataset, filled, values, bonus };
}

/** The best recipe for a request over the session's datasets, or null when nothing fits at all. */
export function chooseRecipe(request: string, datasets: DatasetFacts[], recipes: TRecipe[], concepts: TConcepts, only?: string[]): Match | null {
  let best: Match | null = null;
  for (const recipe of recipes) {
    if (only && !only.includes(recipe.id)) continue;
    const strong = recipe.keywords.strong.filter((k) => findWord(request, k) >= 0);
    const weak = recipe.keywords.weak.filter((k) => findWord(request, k) >= 0);
    for (const dataset of datasets) {
      const f = fillRecipe(recipe, dataset, request, concepts);
      if (!f) continue;
      const score = 3 * strong.length + weak.length + f.bonus + (recipe.id === "describe" ? 0.1 : 0);
      if (!best || score > best.score) best = { ...f, score, keywords: [...strong, ...weak] };
    }
  }
  return best;
}
