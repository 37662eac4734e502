import { createHash, randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { chmod, mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { AppError } from "../errors.js";

/**
 * Where dataset bytes live: <datasetsDir>/<userId>/<datasetId>/original (+ derived files beside it).
 * An upload streams into <datasetsDir>/<userId>/.incoming-<uuid>/ and is renamed into place only once
 * it is complete and readable, so a crash, a cancel or a rejection never leaves a half dataset behind.
 */
export const ORIGINAL = "original";

export const userDir = (datasetsDir: string, userId: string) => path.join(datasetsDir, userId);
export const datasetDir = (datasetsDir: string, userId: string, id: string) => path.join(datasetsDir, userId, id);
/** The engine's scratch folder inside the store: DuckDB spills there, profiles' samples are written there. */
export const engineTempDir = (datasetsDir: string) => path.join(datasetsDir, ".engine-tmp");

export interface Received {
  dir: string;
  file: string;
  size: number;
  sha256: string;
  /** Longest run of bytes without a newline (to within one chunk): a 1 GB "line" is refused before any parser sees it. */
  longestLine: number;
  /** The first bytes, for format sniffing. */
  head: Buffer;
}

export interface ReceiveLimits {
  maxBytes: number;
  /** What to say when maxBytes is passed (the upload limit, or the rest of the user's quota). */
  tooLarge: string;
}

/** Streams `source` to a fresh incoming folder, hashing and measuring as it goes; deletes it on any failure. */
export async function receive(source: Readable, datasetsDir: string, userId: string, limits: ReceiveLimits): Promise<Received> {
  const dir = path.join(userDir(datasetsDir, userId), `.incoming-${randomUUID()}`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, ORIGINAL);
  const hash = createHash("sha256");
  let size = 0;
  let gap = 0;
  let longestLine = 0;
  const heads: Buffer[] = [];
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size > limits.maxBytes) return done(new AppError("PAYLOAD_TOO_LARGE", limits.tooLarge));
      hash.update(chunk);
      if (heads.length < 16 && Buffer.concat(heads).length < 65536) heads.push(chunk);
      // Two native scans per chunk, not one per line: cheap even for a 1 GB upload.
      const first = chunk.indexOf(10);
      if (first === -1) gap += chunk.length;
      else {
        longestLine = Math.max(longestLine, gap + first);
        gap = chunk.length - 1 - chunk.lastIndexOf(10);
      }
      longestLine = Math.max(longestLine, gap);
      done(null, chunk);
    },
  });
  try {
    await pipeline(source, meter, createWriteStream(file, { flags: "wx", mode: 0o600 }));
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    if (err instanceof AppError) throw err;
    throw new AppError("BAD_REQUEST", "The upload was interrupted before it completed", { cause: err });
  }
  return { dir, file, size, sha256: hash.digest("hex"), longestLine, head: Buffer.concat(heads).subarray(0, 65536) };
}

/**
 * Moves a checked incoming folder to its final place. Files become read-only (0444, root's): attaching
 * hardlinks them into sandboxes, and a link shares the inode's mode.
 */
export async function commit(incoming: string, finalDir: string, files: string[]): Promise<void> {
  for (const f of files) await chmod(path.join(incoming, f), 0o444);
  await chmod(incoming, 0o755);
  await rename(incoming, finalDir);
}

export const discard = (dir: string) => rm(dir, { recursive: true, force: true });

/**
 * The name a person gave the file, kept as metadata only: no folders, no control characters, NFC, bounded.
 * It is never used as a path; see safeFileName for that.
 */
export function displayName(raw: string): string {
  const base = raw.normalize("NFC").split(/[\\/]/).pop() ?? "";
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, "").trim();
  return [...clean].slice(0, 200).join("") || "dataset";
}

/**
 * A name safe as a file in /data and in a Content-Disposition header: NFKC (folds full-width and other
 * compatibility look-alikes), letters/digits/._- only, no leading dot, at most 120 characters with the
 * extension kept.
 */
export function safeFileName(name: string): string {
  const folded = name.normalize("NFKC").replace(/[^\p{L}\p{N}._-]+/gu, "_").replace(/^[._]+/, "");
  const ext = /\.[\p{L}\p{N}]{1,8}$/u.exec(folded)?.[0] ?? "";
  const stem = [...folded.slice(0, folded.length - ext.length)].slice(0, 110).join("");
  return `${stem || "dataset"}${ext}`;
}
