"""Opening inputs: files, globs, stdin, gzip/bz2/zip, and telling formats apart."""

from __future__ import annotations

import bz2
import glob
import gzip
import io
import os
import re
import sys
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from .base import CONTROL, INVISIBLE, READ_ERRORS, IngestError, NotAISError

FORMATS = ("nmea", "dma", "noaa", "aisdb", "digitraffic", "csv")
_NOT_AIS = ("no !AIVDM/!AIVDO sentences, CSV header naming MMSI, time, latitude and longitude, or Digitraffic "
            "JSON found in its first 64 KiB")
SNIFF_BYTES = 64 * 1024

_VDM = re.compile(rb"![A-Z]{2}VD[MO],")
_GZIP, _BZ2, _ZIP = b"\x1f\x8b", b"BZh", b"PK\x03\x04"
_SHOWN = re.compile(f"{CONTROL}|{INVISIBLE}")


@dataclass
class Source:
    """One readable input stream and the format it holds."""

    name: str
    stream: BinaryIO
    format: str


def expand(paths: list[str] | tuple[str, ...] | str) -> list[str]:
    """Expand globs; keep '-' (stdin). A pattern or path that matches nothing is an error."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    out: list[str] = []
    for p in paths:
        p = os.fspath(p)
        if p == "-":
            out.append(p)
            continue
        if glob.has_magic(p) and not os.path.isfile(p):  # ('log[1].nmea' is a file's own name)
            hits = [h for h in sorted(glob.glob(p, recursive=True)) if os.path.isfile(h)]
            if not hits:
                raise IngestError(f"{p}: no file matches this pattern")
            out.extend(hits)
        elif os.path.isdir(p):
            raise IngestError(f"{p}: is a directory; pass the files in it, e.g. '{p}/*'")
        elif not os.path.exists(p):
            raise IngestError(f"{p}: no such file")
        else:
            out.append(p)
    return out


def _decompressed(name: str, raw: BinaryIO, in_zip: bool = False) -> Iterator[tuple[str, BinaryIO]]:
    """Yield (name, stream) for the content, looking through gzip/bz2/zip by magic bytes.

    A zip's members are looked through in turn (a ``.gz`` member too); macOS's
    ``__MACOSX/`` resource forks are no content and are passed over. A zip inside a
    zip is left whole (and then judged not AIS): one level of archives is enough for
    any exporter, and it keeps a crafted archive from nesting without end.
    """
    buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw)  # type: ignore[arg-type]
    head = buffered.peek(4)[:4]
    if head.startswith(_GZIP):
        yield name, gzip.GzipFile(fileobj=buffered)  # type: ignore[arg-type]
    elif head.startswith(_BZ2):
        yield name, bz2.BZ2File(buffered)
    elif head.startswith(_ZIP) and not in_zip:
        try:
            zf = zipfile.ZipFile(buffered if buffered.seekable() else io.BytesIO(buffered.read()))
        except zipfile.BadZipFile as exc:
            raise IngestError(f"{name}: damaged zip archive ({exc})") from None
        for member in zf.infolist():
            base = member.filename.rsplit("/", 1)[-1]
            if member.is_dir() or member.filename.startswith("__MACOSX/") or base.startswith("._"):
                continue
            # a member's name is the archive maker's: no terminal escapes or bidi overrides in messages and reports
            shown = f"{name}:{_SHOWN.sub('?', member.filename)}"
            try:
                yield from _decompressed(shown, zf.open(member), in_zip=True)
            except READ_ERRORS as exc:  # damaged at its start (looking for a gzip inside)
                raise IngestError(f"{shown}: cannot decompress ({exc})") from None
            except (NotImplementedError, RuntimeError) as exc:  # an unknown method, or encrypted
                raise IngestError(f"{shown}: cannot read this member ({exc})") from None
    else:
        yield name, buffered


#: The CSV header must be among this many first non-blank lines (exporters and
#: spreadsheets sometimes put a title or 'sep=,' line above it).
HEADER_SEARCH_LINES = 5


def sniff(head: bytes) -> str | None:
    """Guess the format from the first bytes of (decompressed) content, or None."""
    text = head.lstrip(b"\xef\xbb\xbf")
    lines = [x.strip().lower() for x in text.split(b"\n", 64)[:64] if x.strip()][:HEADER_SEARCH_LINES]
    for line in lines:
        if b"mmsi" in line and (line.startswith(b"# timestamp") or b"type of mobile" in line):
            return "dma"
        if b"mmsi" in line and b"basedatetime" in line:
            return "noaa"
        if line.startswith(b"mmsi,message_id,"):
            return "aisdb"
    if b"timestampexternal" in text.lower() or (b'"mmsi"' in text and b'"features"' in text):
        return "digitraffic"
    if _VDM.search(text):
        return "nmea"
    from .tables import generic_header  # the table readers load only when nothing else matched

    if any(generic_header(line.decode("utf-8", "replace")) for line in lines):
        return "csv"
    return None


class _Utf16AsUtf8(io.RawIOBase):
    """A UTF-16 byte stream (with its byte-order mark) read as UTF-8 bytes; undecodable
    pairs become U+FFFD, which the readers then count as not NMEA."""

    def __init__(self, raw: BinaryIO) -> None:
        self._text = io.TextIOWrapper(raw, encoding="utf-16", errors="replace", newline="")  # type: ignore[arg-type]
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while not self._pending:
            chunk = self._text.read(len(b))
            if not chunk:
                return 0
            self._pending = chunk.encode("utf-8")
        n = min(len(b), len(self._pending))
        b[:n], self._pending = self._pending[:n], self._pending[n:]
        return n


def _utf16_hint(head: bytes) -> str:
    """A hint when the bytes look like UTF-16 text without its mark (every other byte NUL)."""
    if len(head) >= 64 and (head[1:64:2].count(0) > 28 or head[0:64:2].count(0) > 28):
        return "; it looks like UTF-16 text without a byte-order mark: save it as ASCII or UTF-8"
    return ""


def open_sources(paths: list[str] | str, format: str = "auto",
                 warn: Callable[[str], None] | None = None) -> Iterator[Source]:
    """Open every input and tell its format. Files are opened one at a time, lazily.

    With ``warn``, a zip member that is not AIS (a readme, a licence) is passed over and
    ``warn`` told so; a file, or an archive with no AIS member at all, is not AIS data.
    Without it, every member must be AIS.
    """
    if format != "auto" and format not in FORMATS:
        raise IngestError(f"unknown format {format!r} (choose auto, {', '.join(FORMATS)})")
    for path in expand(paths):
        if path == "-":
            raw: BinaryIO = sys.stdin.buffer
            name = "<stdin>"
        else:
            try:
                raw = open(path, "rb")
            except OSError as exc:
                raise IngestError(f"{path}: cannot open ({exc.strerror})") from None
            name = path
        try:
            passed: list[str] = []
            found = False
            for member, stream in _decompressed(name, raw):
                buffered = io.BufferedReader(stream, buffer_size=SNIFF_BYTES)  # type: ignore[arg-type]
                try:
                    head = buffered.peek(SNIFF_BYTES)[:SNIFF_BYTES]
                except READ_ERRORS as exc:
                    raise IngestError(f"{member}: cannot decompress ({exc})") from None
                if head[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 with its mark (Windows PowerShell's '>')
                    buffered = io.BufferedReader(_Utf16AsUtf8(buffered), buffer_size=SNIFF_BYTES)
                    head = buffered.peek(SNIFF_BYTES)[:SNIFF_BYTES]
                fmt = format if format != "auto" else sniff(head)
                if fmt is None and warn is not None and member != name:
                    passed.append(member)
                    continue
                if fmt is None:
                    raise NotAISError(f"{member}: not AIS data ({_NOT_AIS}){_utf16_hint(head)}")
                found = True
                yield Source(member, buffered, fmt)
            if passed and not found:
                raise NotAISError(f"{name}: no AIS data in the archive ({len(passed)} members, {_NOT_AIS})")
            if not passed and not found:
                raise NotAISError(f"{name}: an archive with no files in it")
            for member in passed:
                warn(f"{member}: not AIS data, passed over")  # type: ignore[misc]
        finally:
            if raw is not sys.stdin.buffer:
                raw.close()
