"""Convert a workbook to one Parquet file per sheet.

The server runs this in a sandbox (bubblewrap: no network, read-only system, only the workbook and an
output folder) with the limits below, never in its own process: workbooks are hostile input (zip
bombs, billion laughs, macros). openpyxl parses XML through defusedxml (installed in this venv), which
refuses entity declarations; macros are never run (keep_vba=False; xlrd does not execute VBA).

    python -m lab_data.excel xlsx|xls IN OUTDIR --memory-mb N --cpu-seconds N --max-cells N

Prints {"sheets": [{"name", "file", "rows", "columns"}]} or {"error": "..."} (exit 3) on stdout.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import sys


class Refused(Exception):
    """An error the person who uploaded the file should read."""


def set_limits(memory_mb: int, cpu_seconds: int, file_mb: int) -> None:
    mem = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_mb * 1024 * 1024, file_mb * 1024 * 1024))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def header_names(row: list) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    for i, v in enumerate(row):
        name = str(v).strip() if v is not None and str(v).strip() else f"column_{i + 1}"
        base, n = name, 2
        while name in seen:
            name, n = f"{base}_{n}", n + 1
        seen.add(name)
        names.append(name)
    return names


def to_table(rows: list[list]):
    """First non-empty row is the header; trailing empty rows and columns are dropped."""
    import pyarrow as pa

    rows = [r for r in rows]
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    start = next((i for i, r in enumerate(rows) if any(v is not None for v in r)), len(rows))
    rows = rows[start:]
    if not rows:
        return pa.table({}), 0
    width = max((max((i + 1 for i, v in enumerate(r) if v is not None), default=0) for r in rows), default=0)
    names = header_names(list(rows[0][:width]) + [None] * (width - len(rows[0][:width])))
    body = rows[1:]
    arrays = []
    for c in range(width):
        col = [r[c] if c < len(r) else None for r in body]
        try:
            arrays.append(pa.array(col))
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
            # A column mixing kinds (numbers and "#N/A", dates and notes) is kept as text, as Excel shows it.
            arrays.append(pa.array([None if v is None else str(v) for v in col], type=pa.string()))
    return pa.table(arrays, names=names), len(body)


def xlsx_sheets(path: str, max_cells: int):
    import openpyxl

    # A file object: openpyxl would refuse the stored name ("original", no extension).
    wb = openpyxl.load_workbook(open(path, "rb"), read_only=True, data_only=True, keep_vba=False, keep_links=False)
    try:
        for ws in wb.worksheets:
            rows, cells = [], 0
            for r in ws.iter_rows(values_only=True):
                cells += len(r)
                if cells > max_cells:
                    raise Refused(f"Sheet {ws.title!r} has more than {max_cells} cells: too large to convert")
                rows.append(list(r))
            yield ws.title, rows
    finally:
        wb.close()


def xls_sheets(path: str, max_cells: int):
    import xlrd

    try:
        with open(path, "rb") as f:
            book = xlrd.open_workbook(file_contents=f.read(), on_demand=True, formatting_info=False)
    except xlrd.XLRDError as e:
        if "encrypt" in str(e).lower():
            raise Refused("The workbook is password-protected: remove the password in Excel and upload it again") from e
        if "find workbook" in str(e).lower():
            raise Refused("The file is an Office document without a workbook (a Word file, or a password-protected .xlsx?)") from e
        raise Refused(f"The .xls workbook could not be read: {e}") from e
    for i in range(book.nsheets):
        sh = book.sheet_by_index(i)
        if sh.nrows * sh.ncols > max_cells:
            raise Refused(f"Sheet {sh.name!r} has more than {max_cells} cells: too large to convert")
        rows = [[xls_value(book, c) for c in sh.row(r)] for r in range(sh.nrows)]
        book.unload_sheet(i)
        yield sh.name, rows


def xls_value(book, cell):
    import xlrd

    t, v = cell.ctype, cell.value
    if t in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
        return None
    if t == xlrd.XL_CELL_NUMBER:
        return int(v) if float(v).is_integer() and abs(v) < 2**53 else v
    if t == xlrd.XL_CELL_DATE:
        d = xlrd.xldate_as_datetime(v, book.datemode)
        return d.date() if d.time() == dt.time(0) else d
    if t == xlrd.XL_CELL_BOOLEAN:
        return bool(v)
    return v


def convert(kind: str, src: str, out: str, max_cells: int) -> list[dict]:
    import pyarrow.parquet as pq

    sheets = []
    for i, (name, rows) in enumerate((xlsx_sheets if kind == "xlsx" else xls_sheets)(src, max_cells)):
        table, nrows = to_table(rows)
        file = f"sheet-{i}.parquet"
        pq.write_table(table, os.path.join(out, file))
        sheets.append({"name": name, "file": file, "rows": nrows, "columns": table.num_columns})
    if not sheets:
        raise Refused("The workbook has no sheets")
    return sheets


def explain(e: BaseException) -> str:
    # openpyxl wraps parser errors in a ValueError: look down the chain for defusedxml's refusal.
    chain, c = [], e
    while c is not None and len(chain) < 10:
        chain.append(type(c).__name__)
        c = c.__cause__ or c.__context__
    if {"EntitiesForbidden", "DTDForbidden", "ExternalReferenceForbidden"} & set(chain):
        return "The workbook's XML declares entities (a 'billion laughs' attack?): refused"
    name = type(e).__name__
    if name in ("BadZipFile", "InvalidFileException") or isinstance(e, EOFError):
        return f"The workbook is corrupt or truncated ({e})"
    if isinstance(e, MemoryError):
        return "The workbook needs more memory to convert than the limit allows"
    return f"The workbook could not be read ({name}: {str(e)[:200]})"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=["xlsx", "xls"])
    ap.add_argument("src")
    ap.add_argument("out")
    ap.add_argument("--memory-mb", type=int, default=3072)
    ap.add_argument("--cpu-seconds", type=int, default=300)
    ap.add_argument("--file-mb", type=int, default=4096)
    ap.add_argument("--max-cells", type=int, default=20_000_000)
    a = ap.parse_args()
    # Limits go on before the file is opened: from here on everything may be hostile.
    set_limits(a.memory_mb, a.cpu_seconds, a.file_mb)
    try:
        result = {"sheets": convert(a.kind, a.src, a.out, a.max_cells)}
    except Refused as e:
        result = {"error": str(e)}
    except Exception as e:  # noqa: BLE001 — every failure becomes a message for the uploader
        result = {"error": explain(e)}
    except MemoryError as e:
        result = {"error": explain(e)}
    sys.stdout.write(json.dumps(result, default=str))
    sys.exit(3 if "error" in result else 0)


if __name__ == "__main__":
    main()
