import { randomUUID } from "node:crypto";
import { mkdir, open, rm } from "node:fs/promises";
import path from "node:path";
import { type DatasetEngine, literal, sourceSql } from "./datasets-engine.js";
import type { TColumn, TRead } from "./datasets-types.js";

/** A CSV up to this size is its own sample; past it, SLICES slices of SLICE_BYTES make one (~4 MB). */
const SLICES = 64;
const SLICE_BYTES = 64 * 1024;
const WHOLE_BYTES = SLICES * SLICE_BYTES;
/** Formats without slices: a reservoir sample over a scan (Parquet is columnar and cheap to scan). */
const SAMPLE_ROWS = 100_000;

export interface Sample {
  /** A DuckDB table expression holding rows spread over the whole table. */
  sql: string;
  /** Removes the sample's file, if it has one. */
  dispose(): Promise<void>;
}

/**
 * Rows spread evenly over a table, for the profile's estimates (see profileTable). The first rows would not
 * do: files are often sorted (by id, date or group), so a prefix sees one corner of the data. A large CSV
 * is sampled by reading evenly spaced slices of the file, each cut to whole lines, behind its first line
 * (the header): a few MB read, however large the file. A slice may begin inside a quoted field that spans
 * lines, so the sample is read leniently, with the table's own column types.
 */
export async function sampleOf(engine: DatasetEngine, file: string, read: TRead, columns: TColumn[], tempDir: string): Promise<Sample> {
  const source = sourceSql(file, read);
  const none = { dispose: async () => {} };
  if (read.format === "json") return { sql: `(SELECT * FROM ${source} LIMIT ${SAMPLE_ROWS})`, ...none };
  if (read.format !== "csv") return { sql: `(SELECT * FROM ${source} USING SAMPLE ${SAMPLE_ROWS} ROWS)`, ...none };
  await mkdir(tempDir, { recursive: true, mode: 0o700 });
  const out = path.join(tempDir, `sample-${randomUUID()}.csv`);
  const sliced = await writeSlices(file, out).catch(async (err: unknown) => {
    await rm(out, { force: true });
    throw err;
  });
  if (!sliced) return { sql: source, ...none };
  const types = columns.map((c) => `${literal(c.name)}: ${literal(c.type)}`).join(", ");
  const sql = `${sourceSql(out, read).replace(/\)$/, "")}, ignore_errors=true${read.header && types ? `, types={${types}}` : ""})`;
  const dispose = () => rm(out, { force: true });
  try {
    // Slices the reader cannot make sense of (columns it names differently, say): the first rows will do.
    await engine.query(`SELECT count(*) FROM ${sql}`);
    return { sql, dispose };
  } catch {
    await dispose();
    return { sql: `(SELECT * FROM ${source} LIMIT ${SAMPLE_ROWS})`, ...none };
  }
}

/** Writes the slices; false when the file is small enough to be its own sample (or has no line breaks to cut at). */
async function writeSlices(file: string, out: string): Promise<boolean> {
  const fh = await open(file, "r");
  try {
    const { size } = await fh.stat();
    if (size <= WHOLE_BYTES) return false;
    const parts: Buffer[] = [];
    for (let k = 0; k < SLICES; k++) {
      const at = Math.floor((k * (size - SLICE_BYTES)) / (SLICES - 1));
      const buf = Buffer.alloc(SLICE_BYTES);
      const { bytesRead } = await fh.read(buf, 0, SLICE_BYTES, at);
      const bytes = buf.subarray(0, bytesRead);
      // The first slice keeps the header line; the others drop their partial first line. All drop a partial last one.
      const start = k === 0 ? 0 : bytes.indexOf(0x0a) + 1;
      const end = bytes.lastIndexOf(0x0a) + 1;
      if (k === 0 && end === 0) return false; // a first line longer than a slice: read the file itself
      if (start > 0 && end > start) parts.push(bytes.subarray(start, end));
      else if (k === 0) parts.push(bytes.subarray(0, end));
    }
    const w = await open(out, "wx", 0o600);
    try {
      await w.writeFile(Buffer.concat(parts));
    } finally {
      await w.close();
    }
    return true;
  } finally {
    await fh.close();
  }
}
