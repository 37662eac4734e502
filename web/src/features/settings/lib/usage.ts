/** Usage rows (day × model) → one entry per day, oldest first, with tokens per model, for the stacked chart. */
export function dailyTotals(rows: { day: string; model: string; tokensIn: number; tokensOut: number }[]) {
  const models = [...new Set(rows.map((r) => r.model))].sort();
  const byDay = new Map<string, Record<string, number>>();
  for (const r of rows) {
    const d = byDay.get(r.day) ?? {};
    d[r.model] = (d[r.model] ?? 0) + r.tokensIn + r.tokensOut;
    byDay.set(r.day, d);
  }
  const days = [...byDay.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([day, byModel]) => ({ day, byModel, total: Object.values(byModel).reduce((s, n) => s + n, 0) }));
  return { days, models, peak: Math.max(1, ...days.map((d) => d.total)) };
}
