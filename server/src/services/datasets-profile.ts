import { type DatasetEngine, type Json, ident, literal } from "./datasets-engine.js";
import type { TColumn, TColumnProfile, TTableProfile } from "./datasets-types.js";

type Kind = TColumnProfile["kind"];
const BINS = 10;
const TOP = 5;
/** Candidate frequent values, discrete numeric columns and histogram ranges are decided on this many first rows. */
const PREFIX_ROWS = 200_000;
const DISCRETE = 12;
const EXACT_DISTINCT_ROWS = 100_000;
/** Past this many columns the rest are listed by the schema only: a profile is for reading. */
export const PROFILE_COLUMNS = 500;

export function kindOf(type: string): Kind {
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL.*)$/.test(type)) return "number";
  if (/^(DATE|TIME|TIMESTAMP.*)$/.test(type)) return "date";
  if (type === "BOOLEAN") return "boolean";
  if (type === "VARCHAR") return "text";
  return "other";
}

const num = (v: Json | undefined): number | null => (v === null || v === undefined || v === "" ? null : Number.isFinite(Number(v)) ? Number(v) : null);
const cell = (v: Json | undefined) => (v === undefined || typeof v === "object" ? null : v);

interface Col extends TColumn { i: number; q: string; kind: Kind; candidates: string[]; range: [number, number] | null }

/**
 * One streaming pass over the whole table (parsing a 1 GB CSV dominates: a second pass would double the
 * time), after a cheap look at its first PREFIX_ROWS rows, which name candidate frequent values per
 * category column, spot discrete numeric columns (Likert scales, 0/1 flags) and give each numeric column
 * a provisional histogram range. The full pass then takes exact counts, min/max/mean/std, HyperLogLog
 * distinct counts, exact counts of the candidates, and exact bin counts — values outside the provisional
 * range land in an extra bin at either end, reaching the true min/max. Only aggregates reach the server.
 */
export async function profileTable(engine: DatasetEngine, table: string, source: string, columns: TColumn[]): Promise<TTableProfile> {
  const cols: Col[] = columns.slice(0, PROFILE_COLUMNS).map((c, i) => ({ ...c, i, q: ident(c.name), kind: kindOf(c.type), candidates: [], range: null }));
  await lookAtPrefix(engine, source, cols);
  const aggs = ["count(*)"];
  const reads: ((row: Json[], rows: number) => TColumnProfile)[] = [];
  for (const c of cols) {
    const at = aggs.length;
    aggs.push(`count(${c.q})`, `approx_count_distinct(${c.q})`);
    if (c.kind === "number") aggs.push(`min(${c.q})::DOUBLE`, `max(${c.q})::DOUBLE`, `avg(${c.q}::DOUBLE)`, `stddev_samp(${c.q}::DOUBLE)`, binsSql(c));
    else if (c.kind === "date") aggs.push(`min(${c.q})::VARCHAR`, `max(${c.q})::VARCHAR`);
    const counted = aggs.length;
    // One bounded map per column (only the candidates are keys), not a comparison per candidate per row;
    // literals, not parameters: DuckDB folds a constant IN list into a set lookup.
    const asText = c.kind === "text" ? c.q : `${c.q}::VARCHAR`;
    aggs.push(c.candidates.length ? `histogram(CASE WHEN ${asText} IN (${c.candidates.map(literal).join(", ")}) THEN ${asText} END)` : "NULL");
    reads.push((row, rows) => {
      const found = new Map(((row[counted] ?? []) as { key: Json; value: Json }[]).map((e) => [String(e.key), num(e.value) ?? 0]));
      const top = c.candidates.map((value) => ({ value: c.kind === "number" ? Number(value) : value, count: found.get(value) ?? 0 }));
      const p: TColumnProfile = {
        name: c.name, type: c.type, kind: c.kind, missing: rows - (num(row[at]) ?? 0), distinct: num(row[at + 1]) ?? 0,
        min: null, max: null, mean: null, std: null, top: [], histogram: [],
      };
      if (c.kind === "date") Object.assign(p, { min: cell(row[at + 2]), max: cell(row[at + 3]) });
      if (c.kind === "number") {
        Object.assign(p, { min: num(row[at + 2]), max: num(row[at + 3]), mean: num(row[at + 4]), std: num(row[at + 5]) });
        p.histogram = top.length
          ? top.map((t) => ({ from: Number(t.value), to: Number(t.value), count: t.count })).sort((a, b) => a.from - b.from)
          : readBins(row[at + 6], c.range, num(row[at + 2]), num(row[at + 3]));
      } else {
        p.top = top.filter((t) => t.count > 0).sort((a, b) => b.count - a.count).slice(0, TOP);
      }
      return p;
    });
  }
  const row = (await engine.query(`SELECT ${aggs.join(", ")} FROM ${source}`)).rows[0] ?? [];
  const rowCount = num(row[0]) ?? 0;
  const profiles = reads.map((read) => read(row, rowCount));
  if (rowCount <= EXACT_DISTINCT_ROWS) await exactDistinct(engine, source, cols, profiles);
  return { table, rowCount, columns: profiles };
}

async function lookAtPrefix(engine: DatasetEngine, source: string, cols: Col[]): Promise<void> {
  const picked = cols.filter((c) => c.kind === "text" || c.kind === "boolean" || c.kind === "number");
  if (!picked.length) return;
  const aggs = picked.flatMap((c) =>
    c.kind === "number"
      // Bounded state only (top-k sketches, HyperLogLog): exact DISTINCT over 200,000 ids would not fit the engine's memory.
      ? [`approx_top_k(${c.q}::VARCHAR, ${DISCRETE + 1})`, `min(${c.q})::DOUBLE`, `max(${c.q})::DOUBLE`]
      : [`approx_top_k(left(${c.q}::VARCHAR, 200), ${TOP + 5})`, "NULL", "NULL"],
  );
  const row = (await engine.query(`SELECT ${aggs.join(", ")} FROM (SELECT * FROM ${source} LIMIT ${PREFIX_ROWS})`)).rows[0] ?? [];
  picked.forEach((c, k) => {
    const v = row[k * 3];
    const values = Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
    // A numeric column is discrete when the sketch found at most DISCRETE values.
    c.candidates = c.kind !== "number" || values.length <= DISCRETE ? values : [];
    const lo = num(row[k * 3 + 1]), hi = num(row[k * 3 + 2]);
    if (c.kind === "number" && !c.candidates.length && lo !== null && hi !== null && hi > lo) c.range = [lo, hi];
  });
}

/** Small tables get exact distinct counts (HyperLogLog says 11 for 10): one cheap extra query. */
async function exactDistinct(engine: DatasetEngine, source: string, cols: Col[], profiles: TColumnProfile[]): Promise<void> {
  if (!cols.length) return;
  const row = (await engine.query(`SELECT ${cols.map((c) => `count(DISTINCT ${c.q})`).join(", ")} FROM ${source}`)).rows[0] ?? [];
  cols.forEach((c, k) => { profiles[c.i]!.distinct = num(row[k]) ?? profiles[c.i]!.distinct; });
}

/** Bin -1 and BINS catch values below / above the provisional range; NULLs are not counted. */
function binsSql(c: Col): string {
  if (!c.range) return "NULL";
  const [lo, hi] = c.range;
  const w = (hi - lo) / BINS;
  const x = `${c.q}::DOUBLE`;
  return `histogram(CASE WHEN ${x} < ${lo} THEN -1 WHEN ${x} > ${hi} THEN ${BINS} ELSE least(floor((${x} - ${lo}) / ${w}), ${BINS - 1})::INTEGER END)`;
}

function readBins(v: Json | undefined, range: [number, number] | null, min: number | null, max: number | null) {
  if (!range || !Array.isArray(v) || min === null || max === null) return [];
  const counts = new Map((v as { key: Json; value: Json }[]).map((e) => [Number(e.key), Number(e.value)]));
  const [lo, hi] = range;
  const w = (hi - lo) / BINS;
  const bins = Array.from({ length: BINS }, (_, b) => ({ from: lo + b * w, to: b === BINS - 1 ? hi : lo + (b + 1) * w, count: counts.get(b) ?? 0 }));
  if (counts.get(-1)) bins.unshift({ from: min, to: lo, count: counts.get(-1)! });
  if (counts.get(BINS)) bins.push({ from: hi, to: max, count: counts.get(BINS)! });
  return bins;
}
