"""Machine-readable outputs, written atomically and safely.

Every file is written to a temporary name in the target directory and then
renamed over the target (``os.replace``), so a reader never sees half a file
and an interrupted run leaves the previous output intact.

AIS text fields (ship names, call signs, destinations) are chosen by whoever
configures the transponder: attacker-controlled. CSV cells that a spreadsheet
would run as a formula (leading ``=``, ``+``, ``-``, ``@``, tab or CR) are
prefixed with a single quote, the OWASP-recommended neutralisation.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from .schema import iso_utc_series

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def atomic_write(path: str | Path, write: Callable[[str], None]) -> Path:
    """Call ``write(tmp_path)`` then rename the temporary file onto ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; outputs are ordinary files
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def write_text(path: str | Path, text: str) -> Path:
    def w(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)

    return atomic_write(path, w)


def write_json(path: str | Path, data: Any) -> Path:
    return write_text(path, json.dumps(data, indent=2, default=str, allow_nan=False) + "\n")


def csv_safe(value: Any) -> Any:
    """Neutralise a text cell that a spreadsheet would evaluate as a formula (and quote one that
    already begins with the quote, so :func:`csv_unsafe` can tell the two apart)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START + ("'",)):
        return "'" + value
    return value


def csv_unsafe(value: Any) -> Any:
    """:func:`csv_safe` undone, for text read back from a CSV this package wrote."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(_FORMULA_START + ("'",)):
        return value[1:]
    return value


def write_csv(path: str | Path, df: pd.DataFrame) -> Path:
    """CSV with text columns neutralised against formula injection; times as ISO 8601 UTC."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            out[col] = iso_utc_series(s).where(s.notna(), "")
        elif s.dtype == object or pd.api.types.is_string_dtype(s.dtype) or isinstance(s.dtype, pd.CategoricalDtype):
            out[col] = s.astype(object).map(csv_safe, na_action="ignore")
    return atomic_write(path, lambda tmp: out.to_csv(tmp, index=False))


def write_parquet(path: str | Path, df: pd.DataFrame) -> Path:
    return atomic_write(path, lambda tmp: df.to_parquet(tmp, index=False, engine="pyarrow"))
