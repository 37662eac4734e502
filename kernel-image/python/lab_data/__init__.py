"""The session's datasets, one call away: ``from lab_data import load; df = load("sales.csv")``.

The server attaches datasets read-only under /data and writes /data/.lab/manifest.json saying how each
reads: CSV encoding, delimiter, decimal mark and header (as detected at upload, so pandas sees the same
columns as the preview), and for workbooks one Parquet file per sheet, converted at upload in a sandbox,
so a hostile workbook is never parsed again here and macros never run.
"""
from __future__ import annotations

import json
import os

__all__ = ["datasets", "load", "data_dir"]


def data_dir() -> str:
    # In the sandbox the data is at /data; unsandboxed (LAB_SANDBOX=off) the kernel runs in <workspace>/work.
    if os.path.isdir("/data/.lab"):
        return "/data"
    return os.path.abspath(os.path.join(os.getcwd(), "..", "data"))


def datasets() -> list[dict]:
    """Every attached dataset: file (its name in /data), name (as uploaded), format, and sheets for workbooks."""
    try:
        with open(os.path.join(data_dir(), ".lab", "manifest.json"), encoding="utf-8") as f:
            return json.load(f)["datasets"]
    except FileNotFoundError:
        return []


def _find(name: str | None) -> dict:
    found = datasets()
    if not found:
        raise FileNotFoundError("No datasets are attached to this session")
    if name is None:
        if len(found) == 1:
            return found[0]
        raise ValueError(f"Several datasets are attached; name one of: {', '.join(d['file'] for d in found)}")
    base = os.path.basename(name)
    for d in found:
        if base in (d["file"], d["name"]):
            return d
    raise FileNotFoundError(f"No attached dataset named {name!r}; attached: {', '.join(d['file'] for d in found)}")


def load(name: str | None = None, sheet: str | int | None = None, **kwargs):
    """A pandas DataFrame of an attached dataset (its /data file name or the name it was uploaded as).

    Workbooks: ``sheet`` is a sheet name or 0-based index (default: the first sheet). Extra keyword
    arguments go to the pandas reader.
    """
    import pandas as pd

    d = _find(name)
    root = data_dir()
    fmt = d["format"]
    if fmt == "csv":
        r = d["read"]
        # The header row is skipped and the detected names given: rows longer than the header (ragged
        # exports) then load as in the preview, with the extra columns named as there.
        opts = dict(sep=r["sep"], header=None, skiprows=1 if r["header"] else 0, names=r["columns"], decimal=r["decimal"],
                    quotechar=r["quote"], encoding=r["encoding"], encoding_errors="replace", index_col=False)
        opts.update(kwargs)
        return pd.read_csv(os.path.join(root, r["path"]), **opts)
    if fmt == "parquet":
        return pd.read_parquet(os.path.join(root, d["read"]["path"]), **kwargs)
    if fmt == "json":
        return pd.read_json(os.path.join(root, d["read"]["path"]), lines=d["read"]["lines"], **kwargs)
    sheets = d["sheets"]
    if sheet is None:
        chosen = sheets[0]
    elif isinstance(sheet, int):
        chosen = sheets[sheet]
    else:
        matches = [s for s in sheets if s["name"] == sheet]
        if not matches:
            raise KeyError(f"No sheet {sheet!r}; sheets: {', '.join(s['name'] for s in sheets)}")
        chosen = matches[0]
    if not chosen["path"]:
        return pd.DataFrame()
    return pd.read_parquet(os.path.join(root, chosen["path"]), **kwargs)
