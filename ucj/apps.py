from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UcjConfig(AppConfig):
    name = "ucj"
    verbose_name = _("UCJ core: regions, people, scope")
