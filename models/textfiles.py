"""Spreadsheets saved as text: the encoding and the separator Excel chose, read the same way by
the agency import and the ISO record files."""

from __future__ import annotations

import csv
from collections.abc import Callable

SEPARATORS = (",", ";", "\t")


class NotUnicode(ValueError):
    """A file that is not UTF-8 or UTF-16 text; the message says so, and how to re-save it."""

    def __init__(self, line: int) -> None:
        self.line = line
        super().__init__(
            f"tệp không phải văn bản UTF-8 (ký tự lạ ở dòng {line}, có lẽ tệp được lưu theo bảng "
            "mã Windows-1258 hoặc TCVN3); trong Excel chọn Lưu thành → «CSV UTF-8 (Comma "
            "delimited) (*.csv)» rồi nhập lại"
        )


def decode(data: bytes) -> str:
    """UTF-8 with or without BOM, or UTF-16 with BOM (Excel's "Unicode Text"); else NotUnicode.

    A legacy code page (Windows-1258, TCVN3) cannot be told apart from others reliably, and a
    wrong guess would store every name garbled, so such a file is refused with how to re-save it.
    """
    encoding = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise NotUnicode(data[: exc.start].count(b"\n") + 1) from exc


def separator(text: str, known: Callable[[str], bool] | None = None) -> str:
    """The separator of the header line: comma, semicolon (Excel in a Vietnamese locale) or tab.

    The one that splits the header into the most known column titles wins, then the one that
    gives the most columns; a comma when nothing tells them apart.
    """
    first = next(iter(text.splitlines()), "")

    def score(sep: str) -> tuple[int, int]:
        cells = next(csv.reader([first], delimiter=sep), [])
        return sum(1 for c in cells if known and known(c)), len(cells)

    return max(SEPARATORS, key=score)
