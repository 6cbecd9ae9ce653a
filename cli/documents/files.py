"""What every `isocycle report …` command shares: the `--out` path checked before any work, the
document made in a session whose refusals are clear failures, and the file written whole or not
at all."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import typer

from cli.common import fail
from cli.iso.common import refusals
from models.vn_format import vn_number

if TYPE_CHECKING:
    from sqlmodel import Session

T = TypeVar("T")

# The system's reasons are English: these are the ones a person can fix.
REASONS = {
    errno.ENOENT: "thư mục chứa tệp không tồn tại",
    errno.EACCES: "không có quyền ghi vào đó",
    errno.EPERM: "không có quyền ghi vào đó",
    errno.EISDIR: "đó là một thư mục",
    errno.EROFS: "ổ đĩa chỉ cho đọc",
    errno.ENOSPC: "ổ đĩa đã đầy",
    errno.ENOTDIR: "một phần của đường dẫn không phải thư mục",
}


def check_out(path: Path, suffixes: tuple[str, ...]) -> None:
    """Refuse, before any work, an output of another type or in a folder that does not exist."""
    if path.suffix.lower() not in suffixes:
        fail(f"--out: tệp «{path}» phải có đuôi {' hoặc '.join(suffixes)}.")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        fail(f"--out: thư mục «{folder}» không có; hãy tạo thư mục trước.")
    if path.is_dir():
        fail(f"--out: «{path}» là một thư mục, không phải tệp.")


def render(make: Callable[[Session], T]) -> T:
    """`make(session)`, with an unknown agency, letter or year refused in Vietnamese (exit 1)."""
    from reports.document import DocumentError

    with refusals() as session:
        try:
            return make(session)
        except DocumentError as exc:
            fail(str(exc))


def write(path: Path, data: bytes) -> None:
    """Write the whole file or nothing: a temporary file in the same folder, then renamed."""
    folder = path.parent if str(path.parent) else Path(".")
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".isocycle-", suffix=path.suffix)
        # mkstemp makes the file private (0600): give it the mode any new file would have.
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        reason = REASONS.get(exc.errno or 0, "lỗi hệ thống khi ghi tệp")
        fail(f"--out: không ghi được tệp «{path}»: {reason}.")
    typer.echo(f"Đã ghi {path} ({vn_number(len(data))} byte).")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
