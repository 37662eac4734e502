import { type DatasetEngine, type Json, ident, literal } from "./datasets-engine.js";
import type { TColumn, TColumnProfile, TTableProfile } from "./datasets-types.js";

type Kind = TColumnProfile["kind"];
const BINS = 10;
const TOP = 5;
/** Candidate frequent values per category column, from the sample: a column with no more values is counted whole. */
const CANDIDATES = 12;
const DISCRETE = 12;
/** Up to this many rows, a second cheap query makes distinct counts, quartiles and bins exact. */
const EXACT_ROWS = 100_000;
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

interface Col extends TColumn { i: number; q: string; kind: Kind; candidates: string[] }

/**
 * Profiles a table in one streaming pass over all of it (parsing a 1 GB CSV dominates: a second pass
 * would double the time), plus two cheap queries over `sample` (rows spread over the whole table, see
 * DatasetService.sample): before the pass, to name candidate frequent values per category column and spot
 * discrete numeric columns (Likert scales, 0/1 flags); after it, for numeric columns' quartiles and bins
 * over the now exact [min, max]. The pass takes exact counts, min/max/mean/std, HyperLogLog distinct
 * counts and exact counts of each candidate. Only aggregates reach the server.
 *
 * Chosen by measurement (21 M rows, 2 threads): `count_if` per candidate costs ~0.01 s where a
 * `histogram()` over the candidates cost ~0.5 s, and exact bins ~0.3 s per numeric column. So a large
 * table's quartiles and bin counts are estimated (flagged), its top values and everything else exact.
 * Small tables get exact figures throughout, from a second query.
 */
export async function profileTable(engine: DatasetEngine, table: string, source: string, columns: TColumn[], sample: string): Promise<TTableProfile> {
  const cols: Col[] = columns.slice(0, PROFILE_COLUMNS).map((c, i) => ({ ...c, i, q: ident(c.name), kind: kindOf(c.type), candidates: [] }));
  await findCandidates(engine, sample, cols);
  const aggs = ["count(*)"];
  const reads: ((row: Json[], rows: number) => TColumnProfile)[] = [];
  for (const c of cols) {
    const at = aggs.length;
    aggs.push(`count(${c.q})`, `approx_count_distinct(${c.q})`);
    if (c.kind === "number") aggs.push(`min(${c.q})::DOUBLE`, `max(${c.q})::DOUBLE`, `avg(${c.q}::DOUBLE)`, `stddev_samp(${c.q}::DOUBLE)`);
    else if (c.kind === "date") aggs.push(`min(${c.q})::VARCHAR`, `max(${c.q})::VARCHAR`);
    const counted = aggs.length;
    aggs.push(...c.candidates.map((v) => `count_if(${c.q} = ${typedLiteral(c, v)})`));
    reads.push((row, rows) => {
      const nonNull = num(row[at]) ?? 0;
      const counts = c.candidates.map((value, k) => ({ value: c.kind === "number" ? Number(value) : value, count: num(row[counted + k]) ?? 0 }));
      const seen = counts.filter((t) => t.count > 0);
      // Every value is a candidate: the distinct count is exact, not HyperLogLog's.
      const covered = counts.length > 0 && seen.reduce((s, t) => s + t.count, 0) === nonNull;
      const p: TColumnProfile = {
        name: c.name, type: c.type, kind: c.kind, missing: rows - nonNull, distinct: covered ? seen.length : (num(row[at + 1]) ?? 0),
        min: null, max: null, mean: null, std: null, q1: null, median: null, q3: null, top: [], histogram: [], estimated: false,
      };
      if (c.kind === "date") Object.assign(p, { min: cell(row[at + 2]), max: cell(row[at + 3]) });
      if (c.kind === "number") {
        Object.assign(p, { min: num(row[at + 2]), max: num(row[at + 3]), mean: num(row[at + 4]), std: num(row[at + 5]) });
        if (c.candidates.length) p.histogram = seen.map((t) => ({ from: Number(t.value), to: Number(t.value), count: t.count })).sort((a, b) => a.from - b.from);
      } else {
        p.top = seen.sort((a, b) => b.count - a.count).slice(0, TOP);
      }
      return p;
    });
  }
  const row = (await engine.query(`SELECT ${aggs.join(", ")} FROM ${source}`)).rows[0] ?? [];
  const rowCount = num(row[0]) ?? 0;
  const profiles = reads.map((read) => read(row, rowCount));
  await distributions(engine, rowCount <= EXACT_ROWS ? source : sample, cols, profiles, rowCount);
  return { table, rowCount, columns: profiles };
}

async function findCandidates(engine: DatasetEngine, sample: string, cols: Col[]): Promise<void> {
  const picked = cols.filter((c) => c.kind === "text" || c.kind === "boolean" || c.kind === "number");
  if (!picked.length) return;
  // Bounded state only (top-k sketches): an exact GROUP BY over a sample of ids would be all of them.
  const aggs = picked.map((c) => (c.kind === "number" ? `approx_top_k(${c.q}::VARCHAR, ${DISCRETE + 1})` : `approx_top_k(left(${c.q}::VARCHAR, 200), ${CANDIDATES})`));
  const row = (await engine.query(`SELECT ${aggs.join(", ")} FROM ${sample}`)).rows[0] ?? [];
  picked.forEach((c, k) => {
    const v = row[k];
    const values = Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
    // A numeric column is discrete when the sketch found at most DISCRETE values.
    c.candidates = c.kind !== "number" || values.length <= DISCRETE ? values : [];
  });
}

/** A candidate (always text, from the sketch) as a constant of the column's own type: compared, not cast per row. */
const typedLiteral = (c: Col, v: string) => (c.kind === "text" ? literal(v) : `CAST(${literal(v)} AS ${c.type})`);

/**
 * Numeric columns' quartiles and bins over [min, max], read from `from`: the table itself (exact: small
 * tables, whose distinct counts are made exact here too) or the sample, whose bin counts are scaled to
 * the column's non-null count (rounding the running total, so the bars still add up to it exactly).
 */
async function distributions(engine: DatasetEngine, from: string, cols: Col[], profiles: TColumnProfile[], rowCount: number): Promise<void> {
  const exact = rowCount <= EXACT_ROWS;
  const numeric = cols.filter((c) => c.kind === "number" && profiles[c.i]!.min !== null && profiles[c.i]!.max !== null);
  if (!numeric.length && !exact) return;
  const range = (c: Col): [number, number] => [profiles[c.i]!.min as number, profiles[c.i]!.max as number];
  const distinct = exact ? cols.map((c) => `count(DISTINCT ${c.q})`) : [];
  const aggs = [
    ...distinct,
    ...numeric.flatMap((c) => [`count(${c.q})`, `quantile_cont(${c.q}::DOUBLE, [0.25, 0.5, 0.75])`, c.candidates.length ? "NULL" : binsSql(c.q, range(c))]),
  ];
  if (!aggs.length) return;
  const row = (await engine.query(`SELECT ${aggs.join(", ")} FROM ${from}`)).rows[0] ?? [];
  cols.forEach((c, k) => { if (exact) profiles[c.i]!.distinct = num(row[k]) ?? profiles[c.i]!.distinct; });
  numeric.forEach((c, k) => {
    const p = profiles[c.i]!;
    const [counted, quartiles, bins] = row.slice(distinct.length + 3 * k, distinct.length + 3 * k + 3);
    const n = num(counted) ?? 0;
    if (n === 0) return; // the sample held no value of this column
    if (Array.isArray(quartiles)) [p.q1, p.median, p.q3] = [num(quartiles[0]), num(quartiles[1]), num(quartiles[2])];
    p.estimated = !exact;
    if (c.candidates.length) return; // a discrete column's bars are its values' exact counts already
    const [lo, hi] = range(c);
    const nonNull = rowCount - p.missing;
    const b = bounds([lo, hi]);
    if (!b) {
      p.histogram = [{ from: lo, to: hi, count: nonNull }];
      return;
    }
    const found = new Map(Array.isArray(bins) ? (bins as { key: Json; value: Json }[]).map((e) => [typeof e.key === "number" ? e.key : Infinity, Number(e.value)]) : []);
    const inBins = b.slice(1).map((bound) => found.get(bound) ?? 0);
    // Nothing lies outside [min, max]; a sample row read differently from the table would: keep it at the ends.
    inBins[0]! += found.get(b[0]!) ?? 0;
    inBins[BINS - 1]! += found.get(Infinity) ?? 0;
    let sampled = 0;
    let shown = 0;
    p.histogram = inBins.map((count, k) => {
      sampled += count;
      const upTo = exact ? sampled : Math.round((nonNull * sampled) / n);
      const bar = { from: k === 0 ? lo : b[k]!, to: b[k + 1]!, count: upTo - shown };
      shown = upTo;
      return bar;
    });
  });
}

/**
 * Boundaries for DuckDB's `histogram(x, boundaries)`, whose buckets are (previous, boundary] (the first
 * from -inf): the double just below min, then ten equal-width bins up to max. Null when the range is too
 * narrow to split in ten.
 */
function bounds([lo, hi]: [number, number]): number[] | null {
  if (!(hi > lo)) return null;
  const w = (hi - lo) / BINS;
  const b = [below(lo), ...Array.from({ length: BINS - 1 }, (_, k) => lo + (k + 1) * w), hi];
  return b.every((x, k) => k === 0 || x > b[k - 1]!) ? b : null;
}

function binsSql(q: string, range: [number, number]): string {
  const b = bounds(range);
  return b ? `histogram(${q}::DOUBLE, [${b.map((x) => `${x}::DOUBLE`).join(", ")}])` : "NULL";
}

/** The largest double smaller than x (x finite). */
function below(x: number): number {
  if (x === 0) return -Number.MIN_VALUE;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  view.setBigUint64(0, x > 0 ? bits - 1n : bits + 1n);
  return view.getFloat64(0);
}
