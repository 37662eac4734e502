import { open } from "node:fs/promises";
import { AppError } from "../errors.js";

/**
 * Checks an .xlsx (a zip) from its central directory alone, BEFORE anything inflates it: entry count,
 * declared uncompressed size, and compression ratio, so a zip bomb is refused without being opened.
 * The converter (lab_data/excel.py) runs under memory/CPU/file-size limits too, in case the sizes lie.
 * https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT (4.3.12 central directory, 4.3.16 EOCD, 4.5.3 zip64)
 */
export interface ZipLimits {
  maxUncompressed: number;
  maxEntries: number;
  /** Past this per-entry ratio (on entries over 1 MB) a file is a bomb; real sheets compress 5–30×. */
  maxRatio: number;
}
export interface ZipSummary {
  entries: number;
  uncompressed: number;
  macros: boolean;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const bad = (message: string) => new AppError("BAD_REQUEST", message);
const mb = (n: number) => `${Math.round(n / 1024 / 1024)} MB`;

export async function checkXlsxZip(file: string, size: number, limits: ZipLimits): Promise<ZipSummary> {
  const fh = await open(file, "r");
  try {
    const read = async (pos: number, len: number) => {
      const b = Buffer.alloc(len);
      const { bytesRead } = await fh.read(b, 0, len, pos);
      if (bytesRead < len) throw bad("The workbook is truncated (its zip directory is incomplete)");
      return b;
    };
    const tailLen = Math.min(size, 65557);
    const tail = await read(size - tailLen, tailLen);
    let at = -1;
    for (let i = tail.length - 22; i >= 0; i--) if (tail.readUInt32LE(i) === EOCD) { at = i; break; }
    if (at < 0) throw bad("The workbook is truncated or not a zip file (no end of central directory)");
    let count = tail.readUInt16LE(at + 10);
    let cdSize = tail.readUInt32LE(at + 12);
    let cdOffset = tail.readUInt32LE(at + 16);
    if (at >= 20 && tail.readUInt32LE(at - 20) === ZIP64_LOCATOR) {
      const rec = await read(Number(tail.readBigUInt64LE(at - 12)), 56);
      count = Number(rec.readBigUInt64LE(32));
      cdSize = Number(rec.readBigUInt64LE(40));
      cdOffset = Number(rec.readBigUInt64LE(48));
    }
    if (count > limits.maxEntries) throw bad(`The workbook has ${count} zip entries (limit ${limits.maxEntries}): refused as a possible zip bomb`);
    if (cdOffset + cdSize > size || cdSize > 64 * 1024 * 1024) throw bad("The workbook is truncated (its zip directory points past the end of the file)");
    return summarize(await read(cdOffset, cdSize), count, limits);
  } finally {
    await fh.close();
  }
}

function summarize(cd: Buffer, count: number, limits: ZipLimits): ZipSummary {
  let total = 0;
  const names = new Set<string>();
  let p = 0;
  for (let n = 0; n < count; n++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL) throw bad("The workbook's zip directory is corrupt");
    const flags = cd.readUInt16LE(p + 8);
    let compressed = cd.readUInt32LE(p + 20);
    let uncompressed = cd.readUInt32LE(p + 24);
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    const name = cd.toString("utf8", p + 46, p + 46 + nameLen);
    if (uncompressed === 0xffffffff || compressed === 0xffffffff) {
      // Zip64 extended information (header id 1): the 8-byte sizes, uncompressed first.
      const extra = cd.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen);
      for (let e = 0; e + 4 <= extra.length; e += 4 + extra.readUInt16LE(e + 2)) {
        if (extra.readUInt16LE(e) !== 1) continue;
        let q = e + 4;
        if (uncompressed === 0xffffffff) { uncompressed = Number(extra.readBigUInt64LE(q)); q += 8; }
        if (compressed === 0xffffffff) compressed = Number(extra.readBigUInt64LE(q));
      }
    }
    if (flags & 1) throw bad("The workbook is encrypted (password-protected): remove the password in Excel and upload it again");
    total += uncompressed;
    if (total > limits.maxUncompressed) {
      throw bad(`The workbook would inflate to more than ${mb(limits.maxUncompressed)} (limit): refused as a possible zip bomb`);
    }
    const ratio = uncompressed / Math.max(compressed, 1);
    if (uncompressed > 1024 * 1024 && ratio > limits.maxRatio) {
      throw bad(`A workbook part (${name}) has a compression ratio of ${Math.round(ratio)}:1 (limit ${limits.maxRatio}:1): refused as a possible zip bomb`);
    }
    names.add(name);
    p += 46 + nameLen + extraLen + commentLen;
  }
  if (names.has("xl/workbook.bin")) throw bad("Binary workbooks (.xlsb) are not supported: save it as .xlsx in Excel");
  if (names.has("content.xml") && names.has("mimetype")) throw bad("OpenDocument spreadsheets (.ods) are not supported: save it as .xlsx");
  if (!names.has("xl/workbook.xml")) throw bad("The file is a zip archive, not an Excel workbook");
  return { entries: count, uncompressed: total, macros: [...names].some((n) => /vbaProject\.bin$/i.test(n)) };
}
