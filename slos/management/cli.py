"""Helpers shared by the slos management commands."""

from django.core.management.base import CommandError

from opsportal.exit_codes import BAD_INPUT
from opsportal.models import Project


def project_or_exit(slug: str) -> Project:
    """The project with `slug`, or exit status 2 naming it."""
    project = Project.objects.filter(slug=slug).first()
    if project is None:
        raise CommandError(f"No project with slug {slug!r}.", returncode=BAD_INPUT)
    return project


def write_text(command, text: str, output: str | None) -> None:
    """Write `text` to `output` (a path), or to standard output when none is given."""
    if not output:
        command.stdout.write(text, ending="")
        return
    try:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise CommandError(f"output: cannot write {output}: {exc.strerror}", returncode=BAD_INPUT) from None
    command.stderr.write(f"Wrote {output}")
