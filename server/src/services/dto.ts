import type { CellRow, SessionRow } from "../db/schema.js";
import type { TOutput } from "../kernel/outputs.js";

/** Rows → API shapes, in one place. Dates leave as ISO strings. */
const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

export function toSessionDto(s: SessionRow) {
  return { id: s.id, title: s.title, createdAt: iso(s.created_at)!, updatedAt: iso(s.updated_at)! };
}
export type SessionDto = ReturnType<typeof toSessionDto>;

export function toCellDto(c: CellRow) {
  return {
    id: c.id,
    sessionId: c.session_id,
    position: c.position,
    source: c.source,
    code: c.code,
    status: c.status,
    // jsonb comes back parsed from both pg and PGlite; the column type says string for inserts only.
    outputs: c.outputs as unknown as TOutput[],
    executionCount: c.execution_count,
    error: c.error,
    createdAt: iso(c.created_at)!,
    startedAt: iso(c.started_at),
    endedAt: iso(c.ended_at),
  };
}
export type CellDto = ReturnType<typeof toCellDto>;
