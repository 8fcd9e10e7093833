"""`manage.py grant_project_role USER PROJECT ROLE [--revoke]`: give (or take) a role in a project."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from opsportal.access.models import ProjectRole
from opsportal.access.services import membership_grant, membership_revoke
from opsportal.models import Project


class Command(BaseCommand):
    help = "Grant USER the ROLE (viewer, operator, manager) in PROJECT (slug); --revoke removes the membership."

    def add_arguments(self, parser):
        parser.add_argument("user", help="username")
        parser.add_argument("project", help="project slug")
        parser.add_argument("role", nargs="?", help=f"one of {', '.join(ProjectRole.values)} (not with --revoke)")
        parser.add_argument("--revoke", action="store_true", help="remove the user from the project")

    def handle(self, *args, user, project, role, revoke, **options):
        User = get_user_model()
        person = User.objects.filter(**{User.USERNAME_FIELD: user}).first()
        if person is None:
            raise CommandError(f"No user {user!r}.", returncode=2)
        target = Project.objects.filter(slug=project).first()
        if target is None:
            raise CommandError(f"No project {project!r} (use its slug).", returncode=2)
        if revoke:
            removed = membership_revoke(project=target, user=person, actor=None)
            self.stdout.write(f"{user} removed from {project}." if removed
                              else f"{user} was not a member of {project}.")
            return
        if role not in ProjectRole.values:
            raise CommandError(f"Unknown role {role!r}: use one of {', '.join(ProjectRole.values)}.", returncode=2)
        membership_grant(project=target, user=person, role=role, actor=None)
        self.stdout.write(f"{user} is {role} of {project}.")
