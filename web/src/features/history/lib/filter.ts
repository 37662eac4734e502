import type { RouterOutputs } from "@/lib/trpc";

export type SessionSummary = RouterOutputs["sessions"]["list"][number];

/** Date range filter, inclusive of whole days in local time (`from`/`to` as yyyy-mm-dd from <input type=date>). */
export function inDateRange(s: SessionSummary, from: string, to: string): boolean {
  const t = Date.parse(s.updatedAt);
  if (from && t < new Date(`${from}T00:00:00`).getTime()) return false;
  if (to && t >= new Date(`${to}T00:00:00`).getTime() + 86_400_000) return false;
  return true;
}
