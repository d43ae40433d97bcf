from django.core.management.base import BaseCommand

from enrollment.services import employers_reassess


class Command(BaseCommand):
    help = (
        "Re-derive every employer's compliance findings from its figures: run it after changing "
        "UCJ_PDS_WAGE_TOLERANCE (figure changes re-derive them by themselves)."
    )

    def handle(self, *args, **options):
        changed = employers_reassess()
        self.stdout.write(f"employers: {changed} changed")
