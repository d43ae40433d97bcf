from django.core.management.base import BaseCommand, CommandError

from ucj.errors import ApplicationError
from ucj.models import ROOT_CODE, Role
from ucj.services import user_assign


class Command(BaseCommand):
    help = "Create a user (or update one) and assign a role over one or more regions."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument(
            "--region",
            action="append",
            dest="regions",
            metavar="CODE",
            help=f"Region code, repeatable (e.g. 35.26). An administrator defaults to the country ({ROOT_CODE}).",
        )
        parser.add_argument("--password", help="Set this password (otherwise an existing password is kept).")
        parser.add_argument("--email", default="")

    def handle(self, *args, username, role, regions, password, email, **options):
        if not regions:
            if role != Role.ADMIN:
                raise CommandError("Give at least one --region CODE.")
            regions = [ROOT_CODE]
        try:
            user = user_assign(username=username, role=role, region_codes=regions, password=password, email=email)
        except ApplicationError as exc:
            detail = "; ".join(f"{k}: {v}" for k, v in (exc.details or {}).items())
            raise CommandError(f"{exc.message} {detail}".strip()) from exc
        self.stdout.write(f"{user.username}: {Role(role).label} over {', '.join(regions)}.")
