import { randomUUID } from "node:crypto";
import { chmod, cp, link, mkdir, readdir, rm } from "node:fs/promises";
import path from "node:path";
import type { Kysely } from "kysely";
import type { Database, SessionRow } from "../db/schema.js";

/**
 * A branch: a hidden child session in which one model of a multi-model task runs, so models cannot disturb
 * each other or the session. It starts from the session's state: its successful cells are copied into the
 * branch and replayed silently by the Executor in the branch's fresh kernel (submit with replay: true), its
 * data files are hard-linked (read-only in every kernel, so sharing the inode is safe), its work files copied.
 * The branch's kernel counts against the user's kernel cap like any other.
 */
export async function createBranch(db: Kysely<Database>, workspaces: string, parent: SessionRow, label: string): Promise<SessionRow> {
  const branch = await db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto("analysis_sessions")
      .values({ id: randomUUID(), user_id: parent.user_id, title: `${parent.title} · ${label}`.slice(0, 200), workspace_id: randomUUID(), parent_session_id: parent.id })
      .returningAll()
      .executeTakeFirstOrThrow();
    const cells = await trx.selectFrom("cells").selectAll().where("session_id", "=", parent.id).where("status", "=", "ok").orderBy("position").execute();
    if (cells.length) {
      await trx
        .insertInto("cells")
        .values(
          cells.map((c, i) => ({
            id: randomUUID(),
            session_id: row.id,
            position: i,
            source: c.source,
            code: c.code,
            status: c.status,
            outputs: JSON.stringify(c.outputs),
            execution_count: c.execution_count,
            error: null,
            started_at: c.started_at,
            ended_at: c.ended_at,
          })),
        )
        .execute();
    }
    return row;
  });
  const from = path.join(workspaces, parent.workspace_id);
  const to = path.join(workspaces, branch.workspace_id);
  await mkdir(path.join(to, "data"), { recursive: true, mode: 0o755 });
  await chmod(path.join(to, "data"), 0o755);
  for (const name of await readdir(path.join(from, "data")).catch(() => [] as string[])) {
    const src = path.join(from, "data", name);
    await link(src, path.join(to, "data", name)).catch(() => cp(src, path.join(to, "data", name), { recursive: true }));
  }
  // The launcher chowns work/ to the branch kernel's uid when it starts.
  await cp(path.join(from, "work"), path.join(to, "work"), { recursive: true, verbatimSymlinks: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== "ENOENT") throw err;
  });
  return branch;
}

/** The branch's folder goes when its run ends; its rows (cells, outputs) stay as the run's record. */
export async function removeBranchFiles(workspaces: string, branch: SessionRow): Promise<void> {
  await rm(path.join(workspaces, branch.workspace_id), { recursive: true, force: true });
}
