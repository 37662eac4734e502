import { randomUUID } from "node:crypto";
import { rm } from "node:fs/promises";
import path from "node:path";
import { type Kysely, sql } from "kysely";
import type { Database, SessionRow } from "../db/schema.js";
import { notFound } from "../errors.js";
import { type CellDto, toCellDto, toSessionDto } from "./dto.js";
import type { KernelManager } from "./kernels.js";

/** The tenancy rule for sessions, decided in SQL: another user's session is indistinguishable from a missing one. */
export async function findOwnedSession(db: Kysely<Database>, userId: string, sessionId: string): Promise<SessionRow> {
  const session = await db
    .selectFrom("analysis_sessions")
    .selectAll()
    .where("id", "=", sessionId)
    .where("user_id", "=", userId)
    .executeTakeFirst();
  if (!session) throw notFound("Session");
  return session;
}

export async function createSession(db: Kysely<Database>, userId: string, title: string) {
  const row = await db
    .insertInto("analysis_sessions")
    .values({ id: randomUUID(), user_id: userId, title, workspace_id: randomUUID() })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toSessionDto(row);
}

/**
 * History: the user's sessions, newest activity first. `query` matches the title, any request made to a model,
 * or any cell's code; each row carries the models its tasks used, so the list can be filtered by model.
 */
export async function listSessions(db: Kysely<Database>, userId: string, opts: { query?: string; model?: string; limit: number }) {
  // Branches (a model's private copy of a session, services/analysis-branch.ts) are part of their task, not history.
  let q = db
    .selectFrom("analysis_sessions as s")
    .selectAll("s")
    .select((eb) =>
      eb
        .selectFrom("llm_runs as r")
        .innerJoin("llm_tasks as t", "t.id", "r.task_id")
        .whereRef("t.session_id", "=", "s.id")
        .select(sql<string[]>`coalesce(array_agg(distinct r.model order by r.model), '{}')`.as("m"))
        .as("models"),
    )
    .where("s.user_id", "=", userId)
    .where("s.parent_session_id", "is", null);
  if (opts.query) {
    const like = `%${opts.query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where((eb) =>
      eb.or([
        eb("s.title", "ilike", like),
        eb.exists(eb.selectFrom("llm_tasks as t").select("t.id").whereRef("t.session_id", "=", "s.id").where("t.request", "ilike", like)),
        eb.exists(eb.selectFrom("cells as c").select("c.id").whereRef("c.session_id", "=", "s.id").where("c.code", "ilike", like)),
      ]),
    );
  }
  if (opts.model) {
    const model = opts.model;
    q = q.where((eb) =>
      eb.exists(
        eb.selectFrom("llm_runs as r").innerJoin("llm_tasks as t", "t.id", "r.task_id").select("r.id").whereRef("t.session_id", "=", "s.id").where("r.model", "=", model),
      ),
    );
  }
  const rows = await q.orderBy("s.updated_at", "desc").limit(opts.limit).execute();
  return rows.map((r) => ({ ...toSessionDto(r), models: r.models ?? [] }));
}

/** The owner check lives in trpc.ts (sessionProcedure); this takes the row it loaded. */
export async function getSessionWithCells(db: Kysely<Database>, session: SessionRow, kernels: KernelManager) {
  return { ...toSessionDto(session), kernelLive: kernels.isLive(session.id), cells: await listCells(db, session.id) };
}

export async function listCells(db: Kysely<Database>, sessionId: string): Promise<CellDto[]> {
  const rows = await db.selectFrom("cells").selectAll().where("session_id", "=", sessionId).orderBy("position").execute();
  return rows.map(toCellDto);
}

export async function renameSession(db: Kysely<Database>, session: SessionRow, title: string) {
  const row = await db
    .updateTable("analysis_sessions")
    .set({ title, updated_at: new Date() })
    .where("id", "=", session.id)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw notFound("Session");
  return toSessionDto(row);
}

/** Stops the kernel, deletes history (cascade) and the sandbox folder. */
export async function deleteSession(db: Kysely<Database>, session: SessionRow, kernels: KernelManager, workspacesDir: string) {
  await kernels.shutdown(session.id, "session deleted");
  await db.deleteFrom("analysis_sessions").where("id", "=", session.id).execute();
  await rm(path.join(workspacesDir, session.workspace_id), { recursive: true, force: true });
}
