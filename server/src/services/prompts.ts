import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { AppError } from "../errors.js";
import type { RecipeBook } from "../llm/offline.js";
import { type TRecipe, ZConceptsSchema, ZRecipeSchema } from "../llm/recipes.js";

/** A prompt template (prompts/*.yaml, or a user's own in llm_templates): parsed through this schema on load. */
export const ZTemplateSchema = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "lowercase letters, digits and dashes"),
  version: z.number().int().positive().default(1),
  mode: z.enum(["analysis", "strategy"]),
  title: z.object({ en: z.string().min(1), zh: z.string().min(1) }),
  description: z.string().default(""),
  /** The offline engine's recipe chain for this template (prompts/recipes/<id>.yaml), in order. */
  recipes: z.array(z.string()).default([]),
  system: z.string().min(1),
  user: z.string().min(1),
  repair: z.string().optional(),
  interpret: z.string().optional(),
});
export type TTemplate = z.infer<typeof ZTemplateSchema>;

/** What each part may use; a template naming anything else is refused when saved, not when it runs. */
const CONTEXT = ["request", "language", "datasets", "history", "variables"];
export const TEMPLATE_VARIABLES = {
  system: CONTEXT,
  user: CONTEXT,
  repair: [...CONTEXT, "code", "error"],
  interpret: [...CONTEXT, "code", "outputs"],
} as const;

const VAR = /\{\{\s*(\w+)\s*\}\}/g;

/** `{{name}}` → value; a name the caller did not supply is an error, never an empty string. */
export function render(text: string, vars: Record<string, string>, where: string): string {
  return text.replace(VAR, (_, k: string) => {
    const v = vars[k];
    if (v === undefined) throw new AppError("BAD_REQUEST", `Prompt template ${where} uses {{${k}}}, which is not supplied`);
    return v;
  });
}

/** Parses and checks a template's YAML (built-in or a user's): the schema, then every variable it names. */
export function parseTemplate(yamlText: string, where: string): TTemplate {
  let raw: unknown;
  try {
    raw = parseYaml(yamlText);
  } catch (cause) {
    throw new AppError("BAD_REQUEST", `${where}: not valid YAML (${cause instanceof Error ? cause.message.split("\n")[0] : "parse error"})`, { cause });
  }
  const parsed = ZTemplateSchema.safeParse(raw);
  if (!parsed.success) {
    throw new AppError("BAD_REQUEST", `${where}: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`);
  }
  const t = parsed.data;
  for (const part of ["system", "user", "repair", "interpret"] as const) {
    for (const [, name] of (t[part] ?? "").matchAll(VAR)) {
      if (!(TEMPLATE_VARIABLES[part] as readonly string[]).includes(name!)) {
        throw new AppError("BAD_REQUEST", `${where}: ${part} uses {{${name}}}; it may use ${TEMPLATE_VARIABLES[part].map((v) => `{{${v}}}`).join(", ")}`);
      }
    }
  }
  if (t.mode === "analysis" && (!t.repair || !t.interpret)) throw new AppError("BAD_REQUEST", `${where}: a data-analysis template needs repair and interpret prompts`);
  return t;
}

export interface PromptRegistry {
  templates: Map<string, TTemplate>;
  recipes: RecipeBook;
}

/** Reads prompts/ once at startup; a broken file stops the server with its name and the problem. */
export function loadPrompts(dir: string): PromptRegistry {
  const templates = new Map<string, TTemplate>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".yaml") && f !== "concepts.yaml").sort()) {
    const t = parseTemplate(readFileSync(path.join(dir, file), "utf8"), `prompts/${file}`);
    if (templates.has(t.name)) throw new Error(`prompts/${file}: template name ${t.name} is used twice`);
    templates.set(t.name, t);
  }
  const recipeDir = path.join(dir, "recipes");
  const recipes: TRecipe[] = readdirSync(recipeDir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => {
      const r = ZRecipeSchema.safeParse(parseYaml(readFileSync(path.join(recipeDir, f), "utf8")));
      if (!r.success) throw new Error(`prompts/recipes/${f}: ${r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
      return r.data;
    });
  const concepts = ZConceptsSchema.parse(parseYaml(readFileSync(path.join(dir, "concepts.yaml"), "utf8"))).concepts;
  const preamble = readFileSync(path.join(recipeDir, "_preamble.py"), "utf8");
  for (const t of templates.values()) {
    const unknown = t.recipes.filter((id) => !recipes.some((r) => r.id === id));
    if (unknown.length) throw new Error(`template ${t.name} names unknown recipes: ${unknown.join(", ")}`);
  }
  return { templates, recipes: { recipes, concepts, preamble } };
}
