import { z } from "zod";

/**
 * What the server knows about a stored dataset: how to read it, and its tables' schemas. Persisted in
 * datasets.info / datasets.profile (jsonb) and parsed with these schemas wherever it is read back.
 */
export const ZEncodingSchema = z.enum(["utf-8", "utf-8-sig", "gb18030", "windows-1252", "utf-16le", "utf-16be"]);
export type TEncoding = z.infer<typeof ZEncodingSchema>;

export const ZColumnSchema = z.object({ name: z.string(), type: z.string() });
export type TColumn = z.infer<typeof ZColumnSchema>;

/** One table of a dataset: the CSV itself, or one sheet of a workbook. `file` is relative to the dataset folder. */
export const ZTableSchema = z.object({
  name: z.string(),
  file: z.string(),
  columns: z.array(ZColumnSchema),
  /** A few rows for prompts; previews read the file. */
  sample: z.array(z.array(z.unknown())),
});
export type TTable = z.infer<typeof ZTableSchema>;

export const ZReadSchema = z.discriminatedUnion("format", [
  z.object({
    format: z.literal("csv"),
    encoding: ZEncodingSchema,
    delimiter: z.string(),
    quote: z.string(),
    header: z.boolean(),
    decimal: z.enum([".", ","]),
  }),
  z.object({ format: z.enum(["xlsx", "xls"]), macros: z.boolean() }),
  z.object({ format: z.literal("parquet") }),
  z.object({ format: z.literal("json"), lines: z.boolean() }),
]);
export type TRead = z.infer<typeof ZReadSchema>;

export const ZDatasetInfoSchema = z.object({ read: ZReadSchema, tables: z.array(ZTableSchema).min(1), warnings: z.array(z.string()) });
export type TDatasetInfo = z.infer<typeof ZDatasetInfoSchema>;

const ZCell = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const ZColumnProfileSchema = z.object({
  name: z.string(),
  type: z.string(),
  kind: z.enum(["number", "text", "date", "boolean", "other"]),
  missing: z.number(),
  /** Exact for small tables and for columns whose every value is a counted top value; else HyperLogLog. */
  distinct: z.number(),
  min: ZCell,
  max: ZCell,
  mean: z.number().nullable(),
  std: z.number().nullable(),
  /** Quartiles of a numeric column (estimated from the sample for large tables; none in older profiles). */
  q1: z.number().nullable().default(null),
  median: z.number().nullable().default(null),
  q3: z.number().nullable().default(null),
  top: z.array(z.object({ value: ZCell, count: z.number() })),
  /**
   * Ten equal-width bins over [min, max], (from, to] (the first also holds `from`), or one bar per value of a
   * discrete column (exact counts).
   */
  histogram: z.array(z.object({ from: z.number(), to: z.number(), count: z.number() })),
  /** Large tables: the quartiles and the bins' counts are estimated from a sample of rows spread over the file. */
  estimated: z.boolean().default(false),
});
export type TColumnProfile = z.infer<typeof ZColumnProfileSchema>;

export const ZTableProfileSchema = z.object({ table: z.string(), rowCount: z.number(), columns: z.array(ZColumnProfileSchema) });
export type TTableProfile = z.infer<typeof ZTableProfileSchema>;
/** Per table name (sheets are profiled when first asked for). */
export const ZProfilesSchema = z.record(z.string(), ZTableProfileSchema);

export const PREVIEW_ROWS = 100;
export const SAMPLE_ROWS = 5;
/** Longest CSV/JSON line accepted (DuckDB's own default max_line_size): a longer one is not a table. */
export const MAX_LINE_BYTES = 2 * 1024 * 1024;
export const MAX_COLUMNS = 10_000;
