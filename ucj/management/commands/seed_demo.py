from importlib import import_module

from django.apps import apps
from django.core.management.base import BaseCommand
from django.utils.module_loading import module_has_submodule

from ucj.demo import DEMO_PASSWORD


class Command(BaseCommand):
    help = (
        "Build the demo: Kabupaten Bangkalan from the news reports, with demo users officer, disnaker, "
        "supervisor and admin. Each app adds its own part (its `demo` module). Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEMO_PASSWORD, help="Password of the demo users.")

    def handle(self, *args, password, **options):
        for config in apps.get_app_configs():
            if module_has_submodule(config.module, "demo"):
                import_module(f"{config.name}.demo").seed(password=password, log=self.stdout.write)
