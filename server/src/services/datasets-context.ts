import type { Kysely } from "kysely";
import type { Database } from "../db/schema.js";
import { type TColumnProfile, type TDatasetInfo, type TTableProfile, ZDatasetInfoSchema, ZProfilesSchema } from "./datasets-types.js";

export interface DatasetContextOptions {
  /** Upper bound on the text's length; tables past it are named, not described. Default 6000. */
  maxChars?: number;
}

/**
 * The datasets attached to a session as compact text for an LLM prompt: for each, its /data path, the one
 * call that loads it, and per table the columns with types, a few rows and the profile (when computed —
 * attaching computes it). The caller has already checked the session belongs to its user.
 *
 * Cell text comes from uploaded data and is untrusted: it is quoted as JSON, never spliced as instructions.
 */
export async function datasetContext(db: Kysely<Database>, sessionId: string, opts: DatasetContextOptions = {}): Promise<string> {
  const maxChars = opts.maxChars ?? 6000;
  const rows = await db
    .selectFrom("session_datasets as sd")
    .innerJoin("datasets as d", "d.id", "sd.dataset_id")
    .select(["sd.file_name", "d.name", "d.format", "d.info", "d.profile"])
    .where("sd.session_id", "=", sessionId)
    .orderBy("sd.attached_at")
    .execute();
  if (rows.length === 0) return "No datasets are attached to this session.";
  let out = "Datasets (read-only in the kernel; load with `from lab_data import load; df = load(\"<file>\")`):\n";
  for (const r of rows) {
    const info = ZDatasetInfoSchema.parse(r.info);
    const profiles = r.profile ? ZProfilesSchema.parse(r.profile) : {};
    const block = describeDataset(r.file_name, r.name, info, profiles);
    if (out.length + block.length > maxChars) {
      out += `- /data/${r.file_name} (${r.format}; details omitted for length)\n`;
      continue;
    }
    out += block;
  }
  return out;
}

function describeDataset(file: string, name: string, info: TDatasetInfo, profiles: Record<string, TTableProfile>): string {
  const read = info.read;
  const how =
    read.format === "csv"
      ? `CSV, encoding ${read.encoding}, delimiter ${JSON.stringify(read.delimiter)}, decimal ${JSON.stringify(read.decimal)}${read.header ? "" : ", no header row"}`
      : read.format === "json"
        ? read.lines ? "JSON Lines" : "JSON"
        : read.format;
  const lines = [`- /data/${file} (uploaded as ${JSON.stringify(name)}; ${how})`];
  const multi = info.tables.length > 1;
  for (const t of info.tables) {
    const p = profiles[t.name];
    const call = multi ? `load(${JSON.stringify(file)}, sheet=${JSON.stringify(t.name)})` : `load(${JSON.stringify(file)})`;
    lines.push(`  ${multi ? `sheet ${JSON.stringify(t.name)}: ` : ""}${call}${p ? `, ${p.rowCount} rows` : ""}`);
    const byName = new Map((p?.columns ?? []).map((c) => [c.name, c]));
    for (const c of t.columns.slice(0, 60)) lines.push(`    ${JSON.stringify(c.name)} ${c.type}${summary(byName.get(c.name))}`);
    if (t.columns.length > 60) lines.push(`    … ${t.columns.length - 60} more columns`);
    if (t.sample.length) lines.push(`    first rows: ${t.sample.slice(0, 3).map((row) => JSON.stringify(row.map(clip))).join(" ")}`);
  }
  return `${lines.join("\n")}\n`;
}

function summary(c: TColumnProfile | undefined): string {
  if (!c) return "";
  const parts = [`missing ${c.missing}`, `distinct ~${c.distinct}`];
  if (c.kind === "number" && c.mean !== null) {
    parts.push(`min ${c.min} max ${c.max} mean ${round(c.mean)} std ${round(c.std)}`);
    if (c.median !== null) parts.push(`median ${c.estimated ? "~" : ""}${round(c.median)} IQR ${round(c.q1)}–${round(c.q3)}`);
  }
  else if (c.kind === "date") parts.push(`${c.min} … ${c.max}`);
  else if (c.top.length) parts.push(`top ${c.top.slice(0, 3).map((t) => `${JSON.stringify(clip(t.value))}×${t.count}`).join(", ")}`);
  return ` (${parts.join("; ")})`;
}

const round = (x: number | null) => (x === null ? "–" : Number(x.toPrecision(4)));
const clip = (v: unknown) => (typeof v === "string" && v.length > 40 ? `${v.slice(0, 39)}…` : v);
