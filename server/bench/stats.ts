/** Nearest-rank percentile of samples in ms (p in 0..100). */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export interface Summary {
  n: number;
  p50: number;
  p95: number;
  min: number;
  max: number;
}

export function summarize(samples: number[]): Summary {
  return {
    n: samples.length,
    p50: percentile(samples, 50),
    p95: percentile(samples, 95),
    min: Math.min(...samples),
    max: Math.max(...samples),
  };
}

/** One line of the report. `target.on` says whether the target bounds the value or the ratio to the baseline. */
export interface Row {
  metric: string;
  unit: "ms" | "MB";
  value: number;
  baseline: number | null;
  ratio: number | null;
  target: { max: number; on: "value" | "ratio" } | null;
  result: "PASS" | "MISS" | "—";
  note?: string;
}

export function row(r: Omit<Row, "ratio" | "result">): Row {
  const ratio = r.baseline ? r.value / r.baseline : null;
  const checked = r.target?.on === "ratio" ? ratio : r.value;
  const result = r.target && checked !== null ? (checked <= r.target.max ? "PASS" : "MISS") : "—";
  return { ...r, ratio, result };
}

const fmt = (n: number | null, unit = "") => (n === null || Number.isNaN(n) ? "—" : `${n < 10 ? n.toFixed(2) : n.toFixed(1)}${unit}`);

export function renderTable(rows: Row[]): string {
  const head = ["metric", "measured", "baseline", "ratio", "target", "result"];
  const body = rows.map((r) => [
    r.metric,
    fmt(r.value, ` ${r.unit}`),
    fmt(r.baseline, ` ${r.unit}`),
    r.ratio === null ? "—" : `${r.ratio.toFixed(2)}×`,
    r.target ? `≤ ${r.target.max}${r.target.on === "ratio" ? "×" : ` ${r.unit}`}` : "—",
    r.result,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}
