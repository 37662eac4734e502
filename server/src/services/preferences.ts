import type { Kysely } from "kysely";
import { z } from "zod";
import type { Database } from "../db/schema.js";

/** matplotlib styles offered in Settings (all ship with matplotlib); "default" is the kernel's own rc file. */
export const PLOT_THEMES = ["default", "seaborn-v0_8-whitegrid", "seaborn-v0_8-colorblind", "ggplot", "bmh", "grayscale", "fivethirtyeight"] as const;

export const ZPreferencesSchema = z.object({
  /** auto = the language the request was written in. */
  interpretationLanguage: z.enum(["auto", "zh", "en"]),
  plotTheme: z.enum(PLOT_THEMES),
});
export type TPreferences = z.infer<typeof ZPreferencesSchema>;

const DEFAULTS: TPreferences = { interpretationLanguage: "auto", plotTheme: "default" };

export async function getPreferences(db: Kysely<Database>, userId: string): Promise<TPreferences> {
  const row = await db.selectFrom("user_preferences").selectAll().where("user_id", "=", userId).executeTakeFirst();
  if (!row) return DEFAULTS;
  // Stored values were validated on the way in; parse anyway, falling back per field if the offer changed.
  const parsed = ZPreferencesSchema.safeParse({ interpretationLanguage: row.interpretation_language, plotTheme: row.plot_theme });
  return parsed.success ? parsed.data : DEFAULTS;
}

export async function setPreferences(db: Kysely<Database>, userId: string, prefs: TPreferences): Promise<TPreferences> {
  const values = { interpretation_language: prefs.interpretationLanguage, plot_theme: prefs.plotTheme, updated_at: new Date() };
  await db
    .insertInto("user_preferences")
    .values({ user_id: userId, ...values })
    .onConflict((oc) => oc.column("user_id").doUpdateSet(values))
    .execute();
  return prefs;
}

/**
 * Kernel code applying a theme. `rc_file_defaults()` returns to the kernel's rc file (CJK fonts, dpi) first, so
 * switching back to "default" works; a style's own font choice is undone, or Chinese labels would turn to boxes.
 */
export function plotThemeCode(theme: TPreferences["plotTheme"]): string {
  const style = theme === "default" ? "" : `plt.style.use(${JSON.stringify(theme)})\n`;
  return [
    "import matplotlib as _mpl, matplotlib.pyplot as plt",
    "_mpl.rc_file_defaults()",
    "_lab_fonts = {k: _mpl.rcParams[k] for k in ('font.family', 'font.sans-serif', 'axes.unicode_minus')}",
    `${style}_mpl.rcParams.update(_lab_fonts)`,
    "del _lab_fonts",
  ].join("\n");
}
