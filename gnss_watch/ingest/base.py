"""What every reader hands back, and the errors ingest raises."""

from __future__ import annotations

import zlib
import zipfile
from dataclasses import dataclass, field

import pandas as pd

from ..schema import BASE_STATION_DTYPES, POSITION_DTYPES, empty


#: Receive times outside [1990-01-01, 2100-01-01), in unix seconds, are no times: AIS
#: exists since ~2000, and a clock reset to 1970 or a mangled stamp lands outside.
ERA_S = (631_152_000.0, 4_102_444_800.0)


#: What reading a damaged input raises: I/O errors, truncated gzip/bz2 (EOFError), corrupt
#: deflate data (zlib.error) and zip members failing their CRC (BadZipFile).
READ_ERRORS: tuple[type[Exception], ...] = (OSError, EOFError, zlib.error, zipfile.BadZipFile)


def ends_early(source: str, exc: Exception, kept: str) -> str:
    """The warning for an input that breaks off: what broke it and what was kept."""
    return f"{source}: input ends early ({type(exc).__name__}: {exc}); kept {kept}"


class IngestError(Exception):
    """Input that cannot be read at all. The CLI prints the message and exits 2."""


class NotAISError(IngestError):
    """The input is readable but holds no AIS in any supported format."""


class UndatedError(IngestError):
    """The input has AIS but no time at all to date it from."""


def _empty_positions() -> pd.DataFrame:
    return empty(POSITION_DTYPES)


def _empty_base_stations() -> pd.DataFrame:
    return empty(BASE_STATION_DTYPES)


@dataclass
class Batch:
    """One chunk of decoded input.

    ``positions`` and ``base_stations`` follow :mod:`gnss_watch.schema`.
    ``static`` holds one row per static report (type 5, 19, 24 or a CSV row's
    static columns): ``time, mmsi`` and whichever of the VESSELS columns the
    report carries (NaN/None where it does not); ingest folds them into the
    vessels table.
    """

    positions: pd.DataFrame = field(default_factory=_empty_positions)
    static: pd.DataFrame = field(default_factory=pd.DataFrame)
    base_stations: pd.DataFrame = field(default_factory=_empty_base_stations)


# Control characters become spaces; invisible format ones (zero-width, soft hyphen, bidi marks, embeddings,
# overrides and isolates such as U+202E, interlinear annotations, tags) go: AIS 6-bit text has none, and in a
# name or destination (or a zip member's name) they only hide or reorder what a reader sees.
CONTROL = r"[\x00-\x1f\x7f-\x9f\u2028\u2029]"
INVISIBLE = r"[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb\U000e0000-\U000e007f]"
