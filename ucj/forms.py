from django import forms
from django.utils.translation import gettext_lazy as _


class RegionSearchForm(forms.Form):
    # CharField also refuses NUL characters, which PostgreSQL cannot store or compare.
    q = forms.CharField(
        label=_("Find a region by name"),
        min_length=3,
        max_length=100,
        error_messages={"min_length": _("Type at least 3 letters of a name.")},
    )
