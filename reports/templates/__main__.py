"""`python -m reports.templates`: write the default .docx templates again from their modules."""

from reports.templates import build_all

if __name__ == "__main__":
    for path in build_all():
        print(path)  # noqa: T201 (a developer's command: it lists what it wrote)
