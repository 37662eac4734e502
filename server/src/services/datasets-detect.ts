import { createReadStream, createWriteStream } from "node:fs";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { AppError } from "../errors.js";
import type { TEncoding } from "./datasets-types.js";

/** What the first bytes say a file is, before any parser touches it. */
export type Sniffed = { kind: "text"; encoding: TEncoding; json: boolean } | { kind: "parquet" } | { kind: "zip" } | { kind: "xls" };

const bad = (message: string) => new AppError("BAD_REQUEST", message);

/** Magic numbers of files people upload by mistake, so the error can say what the file is. */
const NOT_TABLES: [number[], string][] = [
  [[0x89, 0x50, 0x4e, 0x47], "a PNG image"],
  [[0xff, 0xd8, 0xff], "a JPEG image"],
  [[0x25, 0x50, 0x44, 0x46], "a PDF document"],
  [[0x1f, 0x8b], "a gzip archive (decompress it first)"],
  [[0x37, 0x7a, 0xbc, 0xaf], "a 7-Zip archive (extract it first)"],
  [[0x52, 0x61, 0x72, 0x21], "a RAR archive (extract it first)"],
  [[0x7f, 0x45, 0x4c, 0x46], "a program (ELF)"],
  [[0x53, 0x51, 0x4c, 0x69, 0x74, 0x65], "an SQLite database"],
];
const OLE2 = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];
const startsWith = (b: Buffer, magic: number[]) => magic.every((x, i) => b[i] === x);
const utf16 = (s: string) => Buffer.from(s, "utf16le");

export function sniff(head: Buffer, size: number, encodingOverride?: TEncoding): Sniffed {
  if (size === 0) throw bad("The file is empty");
  if (startsWith(head, [0x50, 0x41, 0x52, 0x31])) return { kind: "parquet" };
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) return { kind: "zip" };
  if (startsWith(head, [0x50, 0x4b, 0x05, 0x06])) throw bad("The file is an empty zip archive, not a workbook");
  if (startsWith(head, OLE2)) {
    // Encrypted .xlsx files are OLE2 containers holding an "EncryptedPackage" stream (MS-OFFCRYPTO).
    if (head.includes(utf16("EncryptedPackage"))) throw bad("The workbook is password-protected: remove the password in Excel and upload it again");
    // The stream directory may lie past the first bytes of a big file: the converter tells the rest apart.
    return { kind: "xls" };
  }
  for (const [magic, what] of NOT_TABLES) if (startsWith(head, magic)) throw bad(`The file is ${what}, not a table`);
  const encoding = encodingOverride ?? detectEncoding(head);
  const text = new TextDecoder(encoding === "utf-8-sig" ? "utf-8" : encoding).decode(head.subarray(0, 4096)).replace(/^\ufeff/, "");
  // eslint-disable-next-line no-control-regex
  if (/\u0000/.test(text)) throw bad("The file is binary, not a table (CSV, TSV, Excel, Parquet or JSON)");
  if (text.trim() === "") throw bad("The file holds only blank lines");
  return { kind: "text", encoding, json: /^\s*[[{]/.test(text) };
}

/**
 * BOMs first; then strict UTF-8; then GB18030 vs Windows-1252, told apart by how high bytes group: Chinese
 * text comes in byte pairs (runs of even length), accented Latin letters come alone ("M\xfcller").
 */
export function detectEncoding(head: Buffer): TEncoding {
  if (startsWith(head, [0xef, 0xbb, 0xbf])) return "utf-8-sig";
  if (startsWith(head, [0xff, 0xfe])) return "utf-16le";
  if (startsWith(head, [0xfe, 0xff])) return "utf-16be";
  const sample = head.subarray(0, 65536);
  const oddZeros = sample.filter((b, i) => i % 2 === 1 && b === 0).length;
  if (sample.length >= 8 && oddZeros > sample.length * 0.3) return "utf-16le";
  if (isUtf8(sample)) return "utf-8";
  let runs = 0;
  let even = 0;
  for (let i = 0; i < sample.length; ) {
    if (sample[i]! < 0x80) { i++; continue; }
    let j = i;
    while (j < sample.length && sample[j]! >= 0x80) j++;
    runs++;
    if ((j - i) % 2 === 0) even++;
    i = j;
  }
  if (runs > 0 && even / runs >= 0.8 && decodes(sample, "gb18030")) return "gb18030";
  return "windows-1252";
}

function isUtf8(b: Buffer): boolean {
  // The sample may end inside a character: ignore an incomplete tail of up to 3 bytes.
  for (let cut = 0; cut < 4 && cut < b.length; cut++) if (decodes(b.subarray(0, b.length - cut), "utf-8")) return true;
  return false;
}

function decodes(b: Buffer, label: string): boolean {
  try {
    new TextDecoder(label, { fatal: true }).decode(b, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/** Writes a UTF-8 copy of a text file, streaming (WHATWG decoders: the same tables browsers use). */
export async function transcode(from: string, to: string, encoding: TEncoding): Promise<void> {
  const decoder = new TextDecoder(encoding === "utf-8-sig" ? "utf-8" : encoding);
  const toUtf8 = new Transform({
    transform(chunk: Buffer, _enc, done) {
      // The decoder drops a leading BOM itself (ignoreBOM is false).
      done(null, Buffer.from(decoder.decode(chunk, { stream: true }), "utf8"));
    },
    flush(done) {
      done(null, Buffer.from(decoder.decode(), "utf8"));
    },
  });
  await pipeline(createReadStream(from, { highWaterMark: 1 << 20 }), toUtf8, createWriteStream(to, { flags: "wx", mode: 0o600 }));
}
