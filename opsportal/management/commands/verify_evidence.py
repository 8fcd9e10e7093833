"""`python manage.py verify_evidence PROJECT`: check the project's evidence chain in the database.

Exit 0 intact; 1 broken, naming the first broken sequence and the reason (changed, missing,
reordered); 2 unknown project.
"""

import sys

from django.core.management.base import BaseCommand, CommandError

from opsportal.models import Project
from opsportal.services.chain import chain_verify


class Command(BaseCommand):
    help = "Verify a project's evidence chain in the database (exit 0 intact, 1 broken, 2 bad input)."

    def add_arguments(self, parser):
        parser.add_argument("project", help="project slug")

    def handle(self, *args, **options):
        project = Project.objects.filter(slug=options["project"]).first()
        if project is None:
            raise CommandError(f"No project with slug {options['project']!r}.", returncode=2)
        report = chain_verify(project)
        if report.intact:
            self.stdout.write(f"OK: {report.length} records, head {report.head_hash}")
            return
        problem = report.problem
        self.stdout.write(f"FAIL at sequence {problem.sequence}: {problem.reason} ({problem.detail})")
        sys.exit(1)
