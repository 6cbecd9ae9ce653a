"""`isocycle report …`: the documents made from the data (.docx and .xlsx), written to `--out`.

The agency's report and its appendices come from cli/documents/agency.py; Sở KH&CN's request
letter, chasing letter, provincial summary and Phụ lục II from cli/documents/province.py.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Tạo văn bản từ dữ liệu (.docx, .xlsx): báo cáo của cơ quan, phụ lục, công văn, "
    "báo cáo tổng hợp.",
    no_args_is_help=True,
)


def register() -> typer.Typer:
    """The `report` command group with every document's commands added."""
    from cli.documents import agency, province

    agency.register(app)
    province.register(app)
    return app
