import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { chmod, copyFile, mkdir } from "node:fs/promises";
import path from "node:path";
import type { AppContext } from "../context.js";
import type { SessionRow } from "../db/schema.js";
import { createSession } from "../services/sessions.js";
import { ensureLocalUser } from "./local-user.js";

/** npm runs workspace scripts in server/; paths on the command line are relative to where the user typed them. */
export const userPath = (p: string) => path.resolve(process.env.INIT_CWD ?? process.cwd(), p);

/** Only letters, digits, dot, dash, underscore survive: the name becomes a path inside the sandbox. */
export const safeName = (file: string) => path.basename(file).normalize("NFKC").replace(/[^\p{L}\p{N}._-]+/gu, "_").replace(/^\.+/, "_").slice(0, 120);

const sha256 = (file: string) =>
  new Promise<string>((resolve, reject) => {
    const h = createHash("sha256");
    createReadStream(file).on("data", (b) => h.update(b)).on("end", () => resolve(h.digest("hex"))).on("error", reject);
  });

/**
 * A new session of the local CLI account with the given files read-only at /data/<name> (as the sandbox
 * binds them), and their names and sha256 for the notebook's metadata.
 */
export async function openLocalSession(app: AppContext, title: string, files: string[]): Promise<{ session: SessionRow; datasets: { name: string; sha256: string }[] }> {
  const userId = await ensureLocalUser(app.db);
  const dto = await createSession(app.db, userId, title);
  const session = await app.db.selectFrom("analysis_sessions").selectAll().where("id", "=", dto.id).executeTakeFirstOrThrow();
  const dataDir = path.join(app.config.paths.workspaces, session.workspace_id, "data");
  await mkdir(dataDir, { recursive: true, mode: 0o755 });
  const datasets = [];
  for (const file of files) {
    const name = safeName(file);
    await copyFile(userPath(file), path.join(dataDir, name));
    await chmod(path.join(dataDir, name), 0o444);
    datasets.push({ name, sha256: await sha256(userPath(file)) });
    console.error(`data: /data/${name}`);
  }
  return { session, datasets };
}
