import { createReadStream } from "node:fs";
import { open, readdir } from "node:fs/promises";
import path from "node:path";
import type { ColumnFacts, DatasetFacts } from "../llm/types.js";

/** Enough of a file to know its columns and their types; the kernel reads the whole file. */
const HEAD_BYTES = 512 * 1024;
const HEAD_ROWS = 2000;
const MISSING = new Set(["", "na", "nan", "n/a", "null", "none", "-", "."]);

/** Minimal RFC 4180: quoted fields with doubled quotes and embedded newlines. */
export function parseCsv(text: string, delimiter: string, maxRows: number): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length && rows.length < maxRows; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === "") quoted = true;
    else if (ch === delimiter) row.push(field), (field = "");
    else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      row.push(field), rows.push(row), (row = []), (field = "");
    } else field += ch;
  }
  if ((field !== "" || row.length) && rows.length < maxRows) row.push(field), rows.push(row);
  return rows;
}

function columnFacts(name: string, values: string[]): ColumnFacts {
  const present = values.filter((v) => !MISSING.has(v.trim().toLowerCase()));
  const distinctSet = new Set(present);
  const distinct = distinctSet.size;
  const numeric = present.length > 0 && present.every((v) => v.trim() !== "" && Number.isFinite(Number(v)));
  const dates = present.length > 0 && !numeric && present.every((v) => /^\d{4}-\d{2}-\d{2}/.test(v));
  let kind: ColumnFacts["kind"];
  if (numeric) kind = distinct <= 2 ? "categorical" : "numeric";
  else if (dates) kind = "datetime";
  else kind = distinct <= Math.max(12, present.length * 0.05) ? "categorical" : "text";
  return { name, kind, distinct, missing: values.length - present.length, examples: kind === "categorical" ? [...distinctSet].slice(0, 6) : [] };
}

async function readHead(file: string): Promise<{ text: string; encoding?: string }> {
  const fh = await open(file, "r");
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await fh.read(buf, 0, HEAD_BYTES, 0);
    const bytes = buf.subarray(0, bytesRead);
    try {
      return { text: new TextDecoder("utf-8", { fatal: true }).decode(bytes).replace(/^\uFEFF/, "") };
    } catch {
      // Chinese lab exports are often GB18030; a cut multi-byte character at the end is harmless here.
      return { text: new TextDecoder("gb18030").decode(bytes), encoding: "gb18030" };
    }
  } finally {
    await fh.close();
  }
}

async function countLines(file: string): Promise<number> {
  let n = 0;
  for await (const chunk of createReadStream(file)) for (const b of chunk as Buffer) if (b === 10) n++;
  return n;
}

/** Facts about the CSV/TSV files in a workspace's data folder (what the kernel sees at /data). */
export async function datasetFacts(dataDir: string): Promise<DatasetFacts[]> {
  const files = await readdir(dataDir).catch(() => [] as string[]);
  const out: DatasetFacts[] = [];
  for (const name of files.sort()) {
    const file = path.join(dataDir, name);
    if (!/\.(csv|tsv|txt)$/i.test(name)) {
      out.push({ path: `/data/${name}`, name, rows: 0, columns: [] });
      continue;
    }
    const { text, encoding } = await readHead(file);
    const delimiter = /\.tsv$/i.test(name) || (text.split("\n")[0] ?? "").includes("\t") ? "\t" : ",";
    const rows = parseCsv(text, delimiter, HEAD_ROWS + 1);
    const header = rows[0] ?? [];
    const body = rows.slice(1, text.length >= HEAD_BYTES ? -1 : undefined); // the last row may be cut
    const columns = header.map((h, i) => columnFacts(h, body.map((r) => r[i] ?? "")));
    const lines = await countLines(file);
    out.push({ path: `/data/${name}`, name, ...(encoding ? { encoding } : {}), rows: Math.max(0, lines - 1 + (text.endsWith("\n") ? 0 : 1)), columns });
  }
  return out;
}

/** The same facts as prompt text: what an LLM needs to write code against the files. */
export function describeFacts(facts: DatasetFacts[], previews: Map<string, string[][]>): string {
  if (facts.length === 0) return "No datasets are attached to this session.";
  const lines = ["Datasets (read-only in the kernel):"];
  for (const d of facts) {
    if (d.columns.length === 0) {
      lines.push(`- ${d.path}`);
      continue;
    }
    lines.push(`- ${d.path}: ${d.rows} rows; load with pd.read_csv(${JSON.stringify(d.path)}${d.encoding ? `, encoding=${JSON.stringify(d.encoding)}` : ""}${d.name.endsWith(".tsv") ? ', sep="\\t"' : ""})`);
    for (const c of d.columns.slice(0, 60)) {
      const ex = c.examples.length ? `; values ${c.examples.map((e) => JSON.stringify(e)).join(", ")}` : "";
      lines.push(`    ${JSON.stringify(c.name)} ${c.kind} (missing ${c.missing} of the first rows; distinct ${c.distinct}${ex})`);
    }
    const preview = previews.get(d.path);
    if (preview?.length) lines.push(`    first rows: ${preview.slice(0, 3).map((r) => JSON.stringify(r)).join(" ")}`);
  }
  return lines.join("\n");
}

/** The first rows of each CSV, for previews in prompts. */
export async function previewRows(dataDir: string, facts: DatasetFacts[]): Promise<Map<string, string[][]>> {
  const map = new Map<string, string[][]>();
  for (const d of facts.filter((f) => f.columns.length)) {
    const { text } = await readHead(path.join(dataDir, d.name));
    map.set(d.path, parseCsv(text, d.name.endsWith(".tsv") ? "\t" : ",", 4).slice(1).map((r) => r.map((v) => v.slice(0, 40))));
  }
  return map;
}
