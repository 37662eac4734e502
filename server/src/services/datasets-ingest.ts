import { open } from "node:fs/promises";
import path from "node:path";
import type { Config } from "../config/index.js";
import type { DatasetFormat } from "../db/schema.js";
import { AppError } from "../errors.js";
import { sniff, transcode } from "./datasets-detect.js";
import { type DatasetEngine, literal, previewRows, sourceSql } from "./datasets-engine.js";
import { convertWorkbook } from "./datasets-excel.js";
import { ORIGINAL, type Received } from "./datasets-store.js";
import { MAX_COLUMNS, MAX_LINE_BYTES, SAMPLE_ROWS, type TDatasetInfo, type TEncoding, type TRead, type TTable } from "./datasets-types.js";
import { checkXlsxZip } from "./datasets-zip.js";

export interface Ingested {
  format: DatasetFormat;
  info: TDatasetInfo;
  /** Files written in the incoming folder (relative), beside `original`. */
  files: string[];
}

const bad = (message: string) => new AppError("BAD_REQUEST", message);
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

/** Works out what an uploaded file is and how to read it; throws a BAD_REQUEST naming the problem. */
export async function ingest(config: Config, engine: DatasetEngine, rec: Received, opts: { encoding?: TEncoding }): Promise<Ingested> {
  const s = sniff(rec.head, rec.size, opts.encoding);
  const at = (f: string) => path.join(rec.dir, f);
  switch (s.kind) {
    case "parquet": {
      if (!(await endsWithPar1(rec.file, rec.size))) throw bad("The Parquet file is truncated (no footer)");
      const read: TRead = { format: "parquet" };
      return { format: "parquet", info: { read, tables: [await table(engine, "data", ORIGINAL, rec.dir, read)], warnings: [] }, files: [ORIGINAL] };
    }
    case "zip":
    case "xls": {
      const kind = s.kind === "zip" ? "xlsx" : "xls";
      const zip = kind === "xlsx"
        ? await checkXlsxZip(rec.file, rec.size, { maxUncompressed: config.datasets.xlsxMaxUncompressedBytes, maxEntries: 10_000, maxRatio: 200 })
        : null;
      const sheets = await convertWorkbook(config, kind, rec.file, at("sheets"));
      const read: TRead = { format: kind, macros: zip?.macros ?? false };
      const tables: TTable[] = [];
      for (const sh of sheets) {
        const file = `sheets/${sh.file}`;
        tables.push(sh.columns === 0 ? { name: sh.name, file, columns: [], sample: [] } : await table(engine, sh.name, file, rec.dir, read));
      }
      const warnings = read.macros ? ["The workbook contains macros: they were ignored (only cell values are read)"] : [];
      return { format: kind, info: { read, tables, warnings }, files: [ORIGINAL, ...tables.map((t) => t.file), "sheets"] };
    }
    case "text": {
      // Minified JSON is one long line by nature; DuckDB bounds each JSON object instead.
      if (!s.json && rec.longestLine > MAX_LINE_BYTES) {
        throw bad(`A line of the file is ${mb(rec.longestLine)} long (limit ${mb(MAX_LINE_BYTES)}): not a table, or not line-separated`);
      }
      let file = ORIGINAL;
      if (!["utf-8", "utf-8-sig"].includes(s.encoding)) {
        file = s.json ? "utf8.json" : "utf8.csv";
        await transcode(rec.file, at(file), s.encoding);
      }
      const files = file === ORIGINAL ? [ORIGINAL] : [ORIGINAL, file];
      if (s.json) {
        const read: TRead = { format: "json", lines: /^\s*\{/.test(rec.head.toString("utf8", 0, 4096)) };
        return { format: "json", info: { read, tables: [await table(engine, "data", file, rec.dir, read)], warnings: [] }, files };
      }
      const read = await sniffCsv(engine, at(file), s.encoding);
      return { format: "csv", info: { read, tables: [await table(engine, "data", file, rec.dir, read)], warnings: [] }, files };
    }
  }
}

async function table(engine: DatasetEngine, name: string, file: string, dir: string, read: TRead): Promise<TTable> {
  const p = await previewRows(engine, sourceSql(path.join(dir, file), read), SAMPLE_ROWS);
  if (p.columns.length > MAX_COLUMNS) throw bad(`The table has ${p.columns.length} columns (limit ${MAX_COLUMNS})`);
  return { name, file, columns: p.columns, sample: p.rows };
}

/**
 * DuckDB's sniffer picks delimiter, quote and header from a sample. Ragged rows are padded with nulls
 * (instruments drop trailing empty fields). European exports use ';' with decimal commas: when reading
 * "1,5" as a number gives more numeric columns, the decimal mark is ','.
 */
async function sniffCsv(engine: DatasetEngine, file: string, encoding: TEncoding): Promise<Extract<TRead, { format: "csv" }>> {
  const r = await engine.query(`SELECT Delimiter, Quote, HasHeader FROM sniff_csv(${literal(file)}, null_padding=true, max_line_size=${MAX_LINE_BYTES + 1024})`);
  const [delimiter, quote, header] = r.rows[0] ?? [];
  if (typeof delimiter !== "string" || typeof header !== "boolean") throw bad("The file is not a recognisable CSV/TSV table");
  const base = { format: "csv" as const, encoding, delimiter, quote: typeof quote === "string" && quote.length === 1 ? quote : '"', header, decimal: "." as const };
  if (delimiter === ",") return base;
  const numeric = async (read: TRead) => {
    const d = await engine.query(`DESCRIBE SELECT * FROM ${sourceSql(file, read)}`).catch(() => null);
    return d ? d.rows.filter((row) => /INT|DOUBLE|FLOAT|DECIMAL/.test(String(row[1]))).length : -1;
  };
  const comma = { ...base, decimal: "," as const };
  return (await numeric(comma)) > (await numeric(base)) ? comma : base;
}

async function endsWithPar1(file: string, size: number): Promise<boolean> {
  if (size < 12) return false;
  const fh = await open(file, "r");
  try {
    const b = Buffer.alloc(4);
    await fh.read(b, 0, 4, size - 4);
    return b.toString("latin1") === "PAR1";
  } finally {
    await fh.close();
  }
}
