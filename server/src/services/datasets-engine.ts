import { mkdir } from "node:fs/promises";
import { DuckDBInstance, type DuckDBValue } from "@duckdb/node-api";
import { AppError } from "../errors.js";
import { MAX_LINE_BYTES, type TRead } from "./datasets-types.js";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface EngineOptions {
  memoryMb: number;
  tempDir: string;
  /** The only folders DuckDB may open (the datasets store); everything else is refused. */
  allowedDirs: string[];
  threads?: number;
}

export interface QueryResult {
  columns: string[];
  types: string[];
  rows: Json[][];
}

/** What the dataset services ask of the engine: SQL in, JSON-safe rows out (see EngineProcess). */
export interface DatasetEngine {
  query(sql: string): Promise<QueryResult>;
  close(): Promise<void>;
}

/**
 * DuckDB, for sniffing, previews and profiles: it streams CSV/Parquet/JSON from disk, so no dataset is ever
 * held in memory. One instance with a memory limit (it spills to `tempDir` past it); a connection per query.
 * It runs in the engine process (datasets-engine-worker.ts), never in the server's: see EngineProcess.
 */
export class DuckDbEngine implements DatasetEngine {
  private constructor(private readonly instance: DuckDBInstance) {}

  static async create(opts: EngineOptions): Promise<DuckDbEngine> {
    await mkdir(opts.tempDir, { recursive: true, mode: 0o700 });
    const instance = await DuckDBInstance.create(":memory:", {
      threads: String(opts.threads ?? 2),
      memory_limit: `${opts.memoryMb}MB`,
      temp_directory: opts.tempDir,
      // Nothing is downloaded or auto-loaded (there is no internet, and no reason to).
      autoinstall_known_extensions: "false",
      autoload_known_extensions: "false",
      preserve_insertion_order: "false",
    });
    const c = await instance.connect();
    const dirs = [...opts.allowedDirs, opts.tempDir].map((d) => literal(d.endsWith("/") ? d : `${d}/`));
    // Defence in depth: even a crafted path in a query could not read outside the store, nor undo this.
    await c.run(`SET allowed_directories = [${dirs.join(", ")}]`);
    await c.run("SET enable_external_access = false");
    await c.run("SET lock_configuration = true");
    c.closeSync();
    return new DuckDbEngine(instance);
  }

  /** Rows as JSON-safe values (BIGINT → number when exact, else string; dates → ISO strings). */
  async query(sql: string, params: DuckDBValue[] = []): Promise<QueryResult> {
    const c = await this.instance.connect();
    try {
      const r = await c.runAndReadAll(sql, params);
      return { columns: r.columnNames(), types: r.columnTypes().map(String), rows: r.getRowsJson() as Json[][] };
    } catch (err) {
      throw engineError(err);
    } finally {
      c.closeSync();
    }
  }

  async close(): Promise<void> {
    this.instance.closeSync();
  }
}

/** DuckDB's messages quote the offending line in full (a 1 GB line…): keep the first line, bounded. */
export function engineError(err: unknown): AppError {
  const raw = err instanceof Error ? err.message : String(err);
  if (/^Out of Memory Error/.test(raw)) {
    return new AppError("UNAVAILABLE", "The dataset engine ran out of memory for this request (LAB_DATASET_ENGINE_MEMORY_MB); try again later", { cause: err });
  }
  const first = raw.split("\n", 1)[0]!.replace(/^[A-Za-z ]+Error: /, "").slice(0, 300);
  return new AppError("BAD_REQUEST", `The file could not be read as a table: ${first}`, { cause: new Error(raw.slice(0, 2000)) });
}

export const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;
export const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** The table function that reads one table of a dataset, with the options detected at upload. */
export function sourceSql(file: string, read: TRead): string {
  switch (read.format) {
    case "csv":
      return `read_csv(${literal(file)}, delim=${literal(read.delimiter)}, quote=${literal(read.quote)}, header=${read.header}, decimal_separator=${literal(read.decimal)}, null_padding=true, max_line_size=${MAX_LINE_BYTES + 1024}, encoding='utf-8')`;
    case "json":
      return `read_json(${literal(file)}, format=${read.lines ? "'newline_delimited'" : "'auto'"}, maximum_object_size=${MAX_LINE_BYTES})`;
    case "parquet":
    case "xlsx":
    case "xls":
      return `read_parquet(${literal(file)})`;
  }
}

const SHORT = 200;

/** The first rows, wide text cut short in SQL so 100 rows of 2 MB cells never reach the server's heap. */
export async function previewRows(engine: DatasetEngine, source: string, limit: number, offset = 0) {
  const described = await engine.query(`DESCRIBE SELECT * FROM ${source}`);
  const cols = described.rows.map((r) => ({ name: String(r[0]), type: String(r[1]) }));
  const shown = cols.slice(0, 1000);
  const select = shown.map(({ name, type }) => (isPlain(type) ? ident(name) : `left(CAST(${ident(name)} AS VARCHAR), ${SHORT}) AS ${ident(name)}`));
  const r = await engine.query(`SELECT ${select.join(", ")} FROM ${source} LIMIT ${limit} OFFSET ${offset}`);
  // 64-bit integers arrive as strings (JSON has no int64): numbers again when they are exact as doubles.
  const ints = shown.map(({ type }) => /INT/.test(type));
  const rows = r.rows.map((row) => row.map((v, i) => (ints[i] && typeof v === "string" && Number.isSafeInteger(Number(v)) ? Number(v) : v)));
  return { columns: cols, rows, omittedColumns: cols.length - shown.length };
}

const isPlain = (type: string) => /^(BOOLEAN|TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL.*|DATE|TIMESTAMP.*|TIME)$/.test(type);
