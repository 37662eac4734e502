import { randomUUID } from "node:crypto";
import path from "node:path";
import type { Readable } from "node:stream";
import { type Kysely, sql } from "kysely";
import type { Config } from "../config/index.js";
import type { Database, DatasetRow } from "../db/schema.js";
import { AppError, notFound } from "../errors.js";
import { detachEverywhere } from "./datasets-attach.js";
import { type DatasetEngine, previewRows, sourceSql } from "./datasets-engine.js";
import { ingest } from "./datasets-ingest.js";
import { profileTable } from "./datasets-profile.js";
import { sampleOf } from "./datasets-sample.js";
import { commit, datasetDir, discard, displayName, engineTempDir, receive } from "./datasets-store.js";
import { PREVIEW_ROWS, type TEncoding, type TTableProfile, ZDatasetInfoSchema, ZProfilesSchema } from "./datasets-types.js";

type Db = Kysely<Database>;
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

/** The tenancy rule for datasets, decided in SQL: another user's dataset is indistinguishable from a missing one. */
export async function findOwnedDataset(db: Db, userId: string, datasetId: string): Promise<DatasetRow> {
  const row = await db.selectFrom("datasets").selectAll().where("id", "=", datasetId).where("user_id", "=", userId).executeTakeFirst();
  if (!row) throw notFound("Dataset");
  return row;
}

export function toDatasetDto(row: DatasetRow) {
  const info = ZDatasetInfoSchema.parse(row.info);
  return {
    id: row.id, name: row.name, format: row.format, sizeBytes: Number(row.size_bytes), sha256: row.sha256,
    read: info.read, warnings: info.warnings,
    tables: info.tables.map((t) => ({ name: t.name, columns: t.columns })),
    createdAt: new Date(row.created_at).toISOString(),
  };
}
export type DatasetDto = ReturnType<typeof toDatasetDto>;

export async function usedBytes(db: Db, userId: string): Promise<number> {
  const r = await db.selectFrom("datasets").select(sql<string>`coalesce(sum(size_bytes), 0)`.as("used")).where("user_id", "=", userId).executeTakeFirstOrThrow();
  return Number(r.used);
}

export interface UploadRequest { name: string; body: Readable; encoding?: TEncoding; declaredBytes?: number }

/** Datasets: upload (stream → check → store), preview, profile (computed once, kept), delete. */
export class DatasetService {
  private readonly profiling = new Map<string, Promise<TTableProfile>>();

  constructor(private readonly db: Db, private readonly config: Config, readonly engine: DatasetEngine) {}

  /** The byte budget of an upload: the size limit, or what is left of the user's quota, whichever is smaller. */
  async budget(userId: string): Promise<{ maxBytes: number; tooLarge: string }> {
    const { uploadMaxBytes, quotaBytes } = this.config.datasets;
    const left = quotaBytes - (await usedBytes(this.db, userId));
    return left < uploadMaxBytes
      ? { maxBytes: Math.max(left, 0), tooLarge: `Storage quota exceeded: ${mb(quotaBytes - left)} of ${mb(quotaBytes)} used; delete datasets to make room` }
      : { maxBytes: uploadMaxBytes, tooLarge: `The file is larger than the upload limit of ${mb(uploadMaxBytes)}` };
  }

  async upload(userId: string, req: UploadRequest): Promise<{ dataset: DatasetDto; deduplicated: boolean }> {
    const limits = await this.budget(userId);
    if (req.declaredBytes !== undefined && req.declaredBytes > limits.maxBytes) throw new AppError("PAYLOAD_TOO_LARGE", limits.tooLarge);
    const rec = await receive(req.body, this.config.datasets.dir, userId, limits);
    const existing = await this.db.selectFrom("datasets").selectAll().where("user_id", "=", userId).where("sha256", "=", rec.sha256).executeTakeFirst();
    if (existing) {
      await discard(rec.dir);
      return { dataset: toDatasetDto(existing), deduplicated: true };
    }
    let finalDir: string | null = null;
    try {
      const found = await ingest(this.config, this.engine, rec, { encoding: req.encoding });
      const id = randomUUID();
      const dir = datasetDir(this.config.datasets.dir, userId, id);
      await commit(rec.dir, dir, found.files);
      finalDir = dir;
      const row = await this.db.transaction().execute(async (trx) => {
        // The user row lock serialises concurrent uploads of one user, so the quota holds under races.
        await trx.selectFrom("users").select("id").where("id", "=", userId).forUpdate().executeTakeFirstOrThrow();
        const used = await usedBytes(trx, userId);
        const { quotaBytes } = this.config.datasets;
        if (used + rec.size > quotaBytes) throw new AppError("PAYLOAD_TOO_LARGE", `Storage quota exceeded: ${mb(used)} of ${mb(quotaBytes)} used; delete datasets to make room`);
        return trx.insertInto("datasets")
          .values({ id, user_id: userId, name: displayName(req.name), sha256: rec.sha256, size_bytes: rec.size, format: found.format, info: JSON.stringify(found.info) })
          .onConflict((oc) => oc.columns(["user_id", "sha256"]).doNothing())
          .returningAll().executeTakeFirst();
      });
      if (row) return { dataset: toDatasetDto(row), deduplicated: false };
      // The same bytes finished uploading concurrently: keep theirs.
      await discard(dir);
      const other = await this.db.selectFrom("datasets").selectAll().where("user_id", "=", userId).where("sha256", "=", rec.sha256).executeTakeFirstOrThrow();
      return { dataset: toDatasetDto(other), deduplicated: true };
    } catch (err) {
      await discard(finalDir ?? rec.dir);
      throw err;
    }
  }

  async list(userId: string) {
    const rows = await this.db.selectFrom("datasets").selectAll().where("user_id", "=", userId).orderBy("created_at", "desc").execute();
    return { datasets: rows.map(toDatasetDto), usedBytes: rows.reduce((s, r) => s + Number(r.size_bytes), 0), quotaBytes: this.config.datasets.quotaBytes };
  }

  private source(row: DatasetRow, table: string | undefined) {
    const info = ZDatasetInfoSchema.parse(row.info);
    const t = table === undefined ? info.tables[0]! : info.tables.find((x) => x.name === table);
    if (!t) throw new AppError("NOT_FOUND", `No sheet named ${JSON.stringify(table)}; sheets: ${info.tables.map((x) => x.name).join(", ")}`);
    const file = path.join(datasetDir(this.config.datasets.dir, row.user_id, row.id), t.file);
    return { t, info, file, src: sourceSql(file, info.read) };
  }

  async preview(row: DatasetRow, opts: { table?: string; offset?: number; limit?: number }) {
    const { t, info, src } = this.source(row, opts.table);
    const sheets = info.tables.map((x) => x.name);
    if (!t.columns.length) return { table: t.name, sheets, columns: [], rows: [], omittedColumns: 0 };
    const p = await previewRows(this.engine, src, Math.min(opts.limit ?? PREVIEW_ROWS, PREVIEW_ROWS), opts.offset ?? 0);
    return { table: t.name, sheets, ...p };
  }

  /** Profiles are kept per table once computed; concurrent requests share one computation. */
  async profile(row: DatasetRow, table?: string): Promise<TTableProfile> {
    const { t, info, file, src } = this.source(row, table);
    const cached = row.profile ? ZProfilesSchema.parse(row.profile)[t.name] : undefined;
    if (cached) return cached;
    const key = `${row.id}\u0000${t.name}`;
    let running = this.profiling.get(key);
    if (!running) {
      running = (async () => {
        let p: TTableProfile = { table: t.name, rowCount: 0, columns: [] };
        if (t.columns.length) {
          const sample = await sampleOf(this.engine, file, info.read, t.columns, engineTempDir(this.config.datasets.dir));
          try {
            p = await profileTable(this.engine, t.name, src, t.columns, sample.sql);
          } finally {
            await sample.dispose();
          }
        }
        await this.db.updateTable("datasets").where("id", "=", row.id)
          .set({ profile: sql`coalesce(profile, '{}'::jsonb) || ${JSON.stringify({ [t.name]: p })}::jsonb` as never })
          .execute();
        return p;
      })().finally(() => this.profiling.delete(key));
      this.profiling.set(key, running);
    }
    return running;
  }

  /** Every table's profile (a workbook's sheets too): attaching does this so prompts have them. */
  async profileAll(row: DatasetRow): Promise<void> {
    for (const t of ZDatasetInfoSchema.parse(row.info).tables) await this.profile(row, t.name);
  }

  async rename(row: DatasetRow, name: string) {
    const updated = await this.db.updateTable("datasets").set({ name: displayName(name) }).where("id", "=", row.id).returningAll().executeTakeFirst();
    if (!updated) throw notFound("Dataset");
    return toDatasetDto(updated);
  }

  /** Detaches it from every session (removing its files from their /data), then frees its storage. */
  async delete(row: DatasetRow): Promise<void> {
    await detachEverywhere(this.db, this.config, row.id);
    await this.db.deleteFrom("datasets").where("id", "=", row.id).execute();
    await discard(datasetDir(this.config.datasets.dir, row.user_id, row.id));
  }
}
