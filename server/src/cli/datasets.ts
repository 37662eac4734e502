import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { Transform } from "node:stream";
import { parseArgs } from "node:util";
import type { Config } from "../config/index.js";
import { createDb, migrateToLatest } from "../db/index.js";
import { createDatasetService } from "../services/datasets-setup.js";
import { findOwnedDataset } from "../services/datasets.js";
import { ZEncodingSchema } from "../services/datasets-types.js";
import { ensureLocalUser } from "./local-user.js";

const human = (n: number) => (n >= 1 << 30 ? `${(n / (1 << 30)).toFixed(2)} GB` : n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MB` : `${(n / 1024).toFixed(1)} KB`);

/**
 * `datasets add FILE | list | preview ID [--sheet S]`, as the local CLI user, through the same service the
 * HTTP upload uses. Only the database and the dataset engine are opened: no gateway, no kernels.
 */
export async function datasetsCommand(argv: string[], config: Config, userPath: (p: string) => string, usage: (msg: string) => Error): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, strict: true, options: { sheet: { type: "string" }, encoding: { type: "string" }, json: { type: "boolean" } } });
  if (!sub || !["add", "list", "preview"].includes(sub)) throw usage("datasets needs a subcommand: add FILE | list | preview ID");
  if (sub !== "list" && positionals.length !== 1) throw usage(`datasets ${sub} takes exactly one ${sub === "add" ? "FILE" : "ID"}`);
  await refuseIfPgliteInUse(config);
  const dbh = await createDb(config.database);
  try {
    await migrateToLatest(dbh.db);
    const svc = await createDatasetService(dbh.db, config, { inProcess: true });
    try {
      const userId = await ensureLocalUser(dbh.db);
      if (sub === "add") {
        const file = userPath(positionals[0]!);
        const size = (await stat(file)).size;
        const encoding = values.encoding === undefined ? undefined : ZEncodingSchema.parse(values.encoding);
        const started = Date.now();
        // The progress line ends with \r updates: finish it before any result or error is printed.
        const { dataset, deduplicated } = await svc
          .upload(userId, { name: path.basename(file), body: createReadStream(file).pipe(progress(size, started)), encoding, declaredBytes: size })
          .finally(() => process.stderr.write("\n"));
        console.log(`${deduplicated ? "already stored" : "stored"}: ${dataset.id}  ${dataset.name}  ${dataset.format}  ${human(dataset.sizeBytes)}`);
        for (const t of dataset.tables) console.log(`  ${t.name}: ${t.columns.map((c) => `${c.name} ${c.type}`).join(", ")}`);
        for (const w of dataset.warnings) console.log(`  note: ${w}`);
      } else if (sub === "list") {
        const { datasets, usedBytes, quotaBytes } = await svc.list(userId);
        for (const d of datasets) console.log(`${d.id}  ${d.format.padEnd(7)} ${human(d.sizeBytes).padStart(9)}  ${d.createdAt.slice(0, 16).replace("T", " ")}  ${d.name}`);
        console.log(`${datasets.length} dataset(s), ${human(usedBytes)} of ${human(quotaBytes)} used`);
      } else {
        const row = await findOwnedDataset(dbh.db, userId, positionals[0]!);
        const p = await svc.preview(row, { table: values.sheet });
        if (values.json) console.log(JSON.stringify(p, null, 1));
        else printTable(p.sheets.length > 1 ? `sheet ${p.table} of ${p.sheets.join(", ")}` : row.name, p.columns.map((c) => c.name), p.rows);
      }
    } finally {
      await svc.engine.close();
    }
  } finally {
    await dbh.close();
  }
  return 0;
}

function progress(total: number, started: number): Transform {
  let sent = 0;
  let last = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      sent += chunk.length;
      if (Date.now() - last > 200 || sent === total) {
        last = Date.now();
        const rate = sent / Math.max((Date.now() - started) / 1000, 0.001);
        process.stderr.write(`\rupload: ${human(sent)} / ${human(total)} (${Math.floor((sent / Math.max(total, 1)) * 100)}%)  ${human(rate)}/s   `);
      }
      done(null, chunk);
    },
  });
}

function printTable(title: string, columns: string[], rows: unknown[][]): void {
  const cell = (v: unknown) => (v === null ? "" : String(v)).replace(/\s+/g, " ").slice(0, 24);
  const widths = columns.map((c, i) => Math.min(24, Math.max(c.length, ...rows.map((r) => cell(r[i]).length))));
  console.log(title);
  console.log(columns.map((c, i) => cell(c).padEnd(widths[i]!)).join(" | "));
  for (const r of rows) console.log(r.map((v, i) => cell(v).padEnd(widths[i]!)).join(" | "));
}

/** PGlite is one process's database (see app.ts lockDataDir): refuse while `npm start` holds it. */
async function refuseIfPgliteInUse(config: Config): Promise<void> {
  if (config.database.kind !== "pglite") return;
  const lock = path.join(path.dirname(config.database.dataDir), `${path.basename(config.database.dataDir)}.lock`);
  const holder = Number(await readFile(lock, "utf8").catch(() => "0"));
  let alive = false;
  try {
    if (holder) process.kill(holder, 0);
    alive = holder > 0;
  } catch (err) {
    alive = (err as NodeJS.ErrnoException).code === "EPERM";
  }
  if (alive && holder !== process.pid) throw new Error(`The embedded database is in use by process ${holder} (a running \`npm start\`?): stop it, or set DATABASE_URL`);
}
