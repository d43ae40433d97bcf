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


class BootstrapForm(forms.Form):
    """Bootstrap's classes on every widget, and `is-invalid` on fields with errors."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style()

    def style(self):
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            elif isinstance(widget, forms.MultipleHiddenInput | forms.HiddenInput):
                continue
            else:
                css = "form-control"
            if self._errors and name in self._errors:
                css += " is-invalid"
            widget.attrs["class"] = css

    def full_clean(self):
        super().full_clean()
        self.style()

    def add_error(self, field, error):
        super().add_error(field, error)
        self.style()
