"""The README's examples run as written: every ```sh block after `<!-- runnable -->` is run line
by line with the installed `isocycle`, in order, on a fresh database, and each line exits 0.
A line may start with `echo TEXT |`: TEXT is the command's standard input (a password)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from tests.conftest import BACKEND

README = Path(__file__).resolve().parent.parent / "README.md"
ISOCYCLE = Path(sys.executable).with_name("isocycle")
RUNNABLE = re.compile(r"<!-- runnable -->\s*\n```sh\n(.*?)\n```", re.S)
# Inline examples that no block runs, and why.
NOT_RUN = {
    ".venv/bin/isocycle agencies import donvi.xlsx": "the reader's own file",
    ".venv/bin/isocycle serve --port 8000": "serves until stopped",
}


def runnable_commands(text: str) -> list[tuple[list[str], str]]:
    """The command lines of the runnable blocks, split as a shell would, comments dropped, each
    with what `echo ... |` before it gives it on standard input."""
    commands = []
    for block in RUNNABLE.findall(text):
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            given = ""
            if words[:1] == ["echo"] and "|" in words:
                bar = words.index("|")
                given, words = " ".join(words[1:bar]) + "\n", words[bar + 1 :]
            if words:
                commands.append((words, given))
    return commands


def test_every_inline_command_example_is_run_by_a_runnable_block():
    text = README.read_text(encoding="utf-8")
    run = {shlex.join(words) for words, _ in runnable_commands(text)}
    inline = set(re.findall(r"`(\.venv/bin/isocycle [^`]+)`", text))
    assert inline, "the README shows no command"
    missing = {c for c in inline - set(NOT_RUN) if shlex.join(shlex.split(c)) not in run}
    assert not missing, f"README examples that no runnable block runs: {sorted(missing)}"


def test_the_runnable_readme_examples_run_as_written(database_url: str, tmp_path: Path):
    commands = runnable_commands(README.read_text(encoding="utf-8"))
    assert len(commands) >= 5, "the README has no runnable block"
    # SQLite: a file that does not exist yet, as a new user starts; PostgreSQL: an empty database.
    url = database_url if BACKEND == "postgres" else f"sqlite:///{tmp_path / 'readme.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ISOCYCLE_", "PREFECT_"))}
    env |= {"ISOCYCLE_DATABASE_URL": url, "ISOCYCLE_MAIL_OUTBOX_DIR": str(tmp_path / "outbox")}
    for words, given in commands:
        assert words[0] in ("isocycle", ".venv/bin/isocycle"), words
        done = subprocess.run(
            [str(ISOCYCLE), *words[1:]],
            input=given,
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, f"{shlex.join(words)}\n{done.stdout[-2000:]}{done.stderr}"
