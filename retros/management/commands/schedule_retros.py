import json

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from opsportal.models import Project
from retros.cadence import CADENCES
from retros.services import cadence_document, schedule_retros

BAD_INPUT = 2


class Command(BaseCommand):
    help = (
        "Schedule a project's retrospectives on a cadence and write the retro cadence JSON "
        "(stdout, or --output FILE). Running the same request again creates nothing new."
    )

    def add_arguments(self, parser):
        parser.add_argument("project", help="Project slug.")
        parser.add_argument("--start", required=True,
                            help="First retro: YYYY-MM-DD (10:00 local) or YYYY-MM-DDTHH:MM, project's time zone.")
        parser.add_argument("--cadence", required=True, help=f"One of {', '.join(CADENCES)}.")
        parser.add_argument("--count", required=True, help="Number of retros, 1-260.")
        parser.add_argument("--facilitator", help="Username of the facilitator.")
        parser.add_argument("--output", help="Write the cadence JSON to this file instead of stdout.")

    def handle(self, *args, project, start, cadence, count, facilitator, output, **options):
        try:
            project_obj = Project.objects.get(slug=project)
        except Project.DoesNotExist as exc:
            raise CommandError(f"project: no project with slug {project!r}.", returncode=BAD_INPUT) from exc
        facilitator_obj = None
        if facilitator:
            User = get_user_model()
            facilitator_obj = User.objects.filter(**{User.USERNAME_FIELD: facilitator}, is_active=True).first()
            if facilitator_obj is None:
                raise CommandError(f"facilitator: no active user {facilitator!r}.", returncode=BAD_INPUT)
        try:
            series, created = schedule_retros(
                project=project_obj, start=start, cadence=cadence, count=count, facilitator=facilitator_obj
            )
        except ValidationError as exc:
            detail = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in exc.message_dict.items())
            raise CommandError(detail, returncode=BAD_INPUT) from exc
        text = json.dumps(cadence_document(series), indent=2, ensure_ascii=False) + "\n"
        if output:
            try:
                with open(output, "w", encoding="utf-8") as handle:
                    handle.write(text)
            except OSError as exc:
                raise CommandError(f"output: cannot write {output}: {exc.strerror}", returncode=BAD_INPUT) from exc
            verb = "Scheduled" if created else "Already scheduled (nothing new)"
            self.stderr.write(f"{verb}: {series}. Cadence JSON written to {output}.")
        else:
            self.stdout.write(text, ending="")
