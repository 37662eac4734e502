import { copyFile, chmod, link, mkdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Kysely } from "kysely";
import type { Config } from "../config/index.js";
import type { Database, DatasetRow, SessionRow } from "../db/schema.js";
import { notFound } from "../errors.js";
import { ORIGINAL, datasetDir, safeFileName } from "./datasets-store.js";
import { type TDatasetInfo, ZDatasetInfoSchema } from "./datasets-types.js";

type Db = Kysely<Database>;

/**
 * Attaching puts a dataset into a session's <workspace>/data folder, which the sandbox binds read-only at
 * /data: the original at /data/<file>, derived files (UTF-8 copy, one Parquet per sheet) under
 * /data/.lab/<file>/, and /data/.lab/manifest.json telling lab_data.load() how to read each. Files are
 * hardlinks of the store's root-owned 0444 files (a copy across filesystems), so the kernel can read but
 * never change them, and nothing is duplicated on disk.
 */
const dataDir = (config: Config, workspaceId: string) => path.join(config.paths.workspaces, workspaceId, "data");

/** Manifest writes for one session run one at a time: each is rebuilt from the database. */
const queues = new Map<string, Promise<unknown>>();
function serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const next = (queues.get(key) ?? Promise.resolve()).then(fn, fn);
  queues.set(key, next.catch(() => undefined));
  void next.finally(() => { if (queues.get(key) === next) queues.delete(key); }).catch(() => undefined);
  return next;
}

export async function listAttached(db: Db, sessionId: string) {
  const rows = await db.selectFrom("session_datasets as sd").innerJoin("datasets as d", "d.id", "sd.dataset_id")
    .select(["sd.dataset_id", "sd.file_name", "sd.attached_at", "d.name", "d.sha256", "d.format"])
    .where("sd.session_id", "=", sessionId).orderBy("sd.attached_at").execute();
  return rows.map((r) => ({ datasetId: r.dataset_id, file: r.file_name, path: `/data/${r.file_name}`, name: r.name, sha256: r.sha256, format: r.format, attachedAt: new Date(r.attached_at).toISOString() }));
}
export type AttachedDto = Awaited<ReturnType<typeof listAttached>>[number];

/** What an exported notebook records about the data it ran on. */
export async function notebookDatasets(db: Db, sessionId: string): Promise<{ name: string; sha256: string }[]> {
  return (await listAttached(db, sessionId)).map((a) => ({ name: a.file, sha256: a.sha256 }));
}

export function attachDataset(db: Db, config: Config, session: SessionRow, dataset: DatasetRow): Promise<AttachedDto> {
  return serial(session.id, async () => {
    const taken = new Set((await listAttached(db, session.id)).map((a) => a.file));
    const already = (await listAttached(db, session.id)).find((a) => a.datasetId === dataset.id);
    if (already) return already;
    const file = freeName(safeFileName(dataset.name), taken);
    await db.insertInto("session_datasets").values({ session_id: session.id, dataset_id: dataset.id, file_name: file }).execute();
    try {
      await place(config, session.workspace_id, dataset, file);
      await writeManifest(db, config, session);
    } catch (err) {
      await db.deleteFrom("session_datasets").where("session_id", "=", session.id).where("dataset_id", "=", dataset.id).execute();
      await unplace(config, session.workspace_id, file);
      throw err;
    }
    return (await listAttached(db, session.id)).find((a) => a.datasetId === dataset.id)!;
  });
}

export function detachDataset(db: Db, config: Config, session: SessionRow, datasetId: string): Promise<void> {
  return serial(session.id, async () => {
    const row = await db.deleteFrom("session_datasets").where("session_id", "=", session.id).where("dataset_id", "=", datasetId).returning("file_name").executeTakeFirst();
    if (!row) throw notFound("Attached dataset");
    await unplace(config, session.workspace_id, row.file_name);
    await writeManifest(db, config, session);
  });
}

/** Before a dataset is deleted: out of every session that has it. */
export async function detachEverywhere(db: Db, config: Config, datasetId: string): Promise<void> {
  const sessions = await db.selectFrom("session_datasets as sd").innerJoin("analysis_sessions as s", "s.id", "sd.session_id")
    .selectAll("s").where("sd.dataset_id", "=", datasetId).execute();
  for (const s of sessions) {
    // One session's folder failing (already deleted…) must not keep the dataset from being deleted.
    await detachDataset(db, config, s, datasetId).catch((err: unknown) => console.error(`[datasets] detach from session ${s.id} failed:`, err));
  }
}

function freeName(name: string, taken: Set<string>): string {
  const ext = path.extname(name);
  const stem = name.slice(0, name.length - ext.length);
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? name : `${stem}-${n}${ext}`;
    if (!taken.has(candidate)) return candidate;
  }
}

async function place(config: Config, workspaceId: string, dataset: DatasetRow, file: string): Promise<void> {
  const data = dataDir(config, workspaceId);
  const derived = path.join(data, ".lab", file);
  await mkdir(derived, { recursive: true, mode: 0o755 });
  await chmod(data, 0o755);
  const from = datasetDir(config.datasets.dir, dataset.user_id, dataset.id);
  const info = ZDatasetInfoSchema.parse(dataset.info);
  await linkOrCopy(path.join(from, ORIGINAL), path.join(data, file));
  for (const t of info.tables) if (t.file !== ORIGINAL && t.columns.length) await linkOrCopy(path.join(from, t.file), path.join(derived, path.basename(t.file)));
}

async function linkOrCopy(src: string, dest: string): Promise<void> {
  await rm(dest, { force: true });
  try {
    await link(src, dest);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EXDEV") throw err;
    await copyFile(src, dest);
    await chmod(dest, 0o444);
  }
}

async function unplace(config: Config, workspaceId: string, file: string): Promise<void> {
  const data = dataDir(config, workspaceId);
  await rm(path.join(data, file), { force: true });
  await rm(path.join(data, ".lab", file), { recursive: true, force: true });
}

async function writeManifest(db: Db, config: Config, session: SessionRow): Promise<void> {
  const rows = await db.selectFrom("session_datasets as sd").innerJoin("datasets as d", "d.id", "sd.dataset_id")
    .select(["sd.file_name", "d.name", "d.format", "d.info"]).where("sd.session_id", "=", session.id).orderBy("sd.attached_at").execute();
  const datasets = rows.map((r) => ({ file: r.file_name, name: r.name, format: r.format, ...manifestEntry(r.file_name, ZDatasetInfoSchema.parse(r.info)) }));
  const dir = path.join(dataDir(config, session.workspace_id), ".lab");
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const tmp = path.join(dir, `.manifest-${process.pid}-${Date.now()}.json`);
  await writeFile(tmp, JSON.stringify({ datasets }, null, 1), { mode: 0o444 });
  // rename: a kernel reading the manifest sees the old one or the new one, never half of one.
  await rename(tmp, path.join(dir, "manifest.json"));
}

function manifestEntry(file: string, info: TDatasetInfo) {
  const t0 = info.tables[0]!;
  const derived = (f: string) => (f === ORIGINAL ? file : `.lab/${file}/${path.basename(f)}`);
  const r = info.read;
  switch (r.format) {
    case "csv":
      return { read: { path: derived(t0.file), sep: r.delimiter, header: r.header, decimal: r.decimal, quote: r.quote, columns: t0.columns.map((c) => c.name),
        encoding: t0.file === ORIGINAL ? "utf-8-sig" : "utf-8" } };
    case "json":
      return { read: { path: derived(t0.file), lines: r.lines } };
    case "parquet":
      return { read: { path: file } };
    case "xlsx":
    case "xls":
      return { sheets: info.tables.map((t) => ({ name: t.name, path: t.columns.length ? derived(t.file) : "" })) };
  }
}
