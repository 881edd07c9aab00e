"""Where every input line went.

Each line read lands in exactly one bucket: ``used`` or one ``skipped``
reason, so ``read == used + sum(skipped.values())`` always holds. A line is
*used* when it carried AIS data or metadata that went into a decoded message:
a sentence of a single- or multi-sentence message that decoded, a standalone
tag block or ``$PGHP`` line that dated one, or a CSV/JSON record that became a
row.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

#: Skip reasons, with what each means (the accounting's vocabulary).
SKIP_REASONS: dict[str, str] = {
    "blank": "empty or whitespace-only line",
    "comment": "comment line (starts with #)",
    "header": "CSV header line",
    "too_long": "line longer than ingest.max_line_length",
    "not_nmea": "text or binary noise that is not an NMEA sentence or known record",
    "other_nmea": "an NMEA sentence other than VDM/VDO (e.g. $GPGGA, $PSTT)",
    "bad_checksum": "NMEA checksum does not match",
    "malformed": "VDM/VDO sentence or record whose structure is broken (fields, fill bits, payload characters, too few bits)",
    "empty_payload": "VDM/VDO sentence with an empty payload",
    "incomplete_multipart": "part of a multi-sentence message whose other parts never arrived",
    "unsupported_type": "AIS message type that pyais cannot decode (e.g. 0 or 28-63)",
    "invalid_field": "decoded, but a field is out of range (MMSI 0, latitude 95, a date that does not exist)",
    "duplicate": "the same message already received (another station, another network)",
    "bad_time": "a logger's time stamp before the sentence that does not read as a time within 1990..2100 "
                "(a day-first date, a clock reset to 1970)",
    "undated": "no receive time and no base-station report to date it from",
}


@dataclass
class Accounting:
    """Counts of lines and messages for one or more inputs."""

    read: int = 0
    used: int = 0
    skipped: Counter = field(default_factory=Counter)
    decoded: int = 0
    by_type: Counter = field(default_factory=Counter)
    #: Inputs with what format each was read as.
    sources: dict[str, str] = field(default_factory=dict)
    #: Things the user should know that are not a line's fate (an input that broke off early).
    warnings: list[str] = field(default_factory=list)

    def skip(self, reason: str, n: int = 1) -> None:
        if reason not in SKIP_REASONS:
            raise KeyError(f"unknown skip reason {reason!r}")
        self.skipped[reason] += n

    def merge(self, other: "Accounting") -> None:
        self.read += other.read
        self.used += other.used
        self.skipped.update(other.skipped)
        self.decoded += other.decoded
        self.by_type.update(other.by_type)
        self.sources.update(other.sources)
        self.warnings.extend(other.warnings)

    @property
    def balanced(self) -> bool:
        return self.read == self.used + sum(self.skipped.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "lines": {
                "read": self.read,
                "used": self.used,
                "skipped": {k: int(v) for k, v in sorted(self.skipped.items()) if v},
            },
            "messages": {
                "decoded": self.decoded,
                "by_type": {str(k): int(v) for k, v in sorted(self.by_type.items(), key=lambda kv: str(kv[0]))},
            },
            "warnings": list(self.warnings),
        }
