"""Forms of the coverage-figures page: they parse and present; `ucj.coverage.facts` decides."""

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from ucj import sheets
from ucj.coverage.facts import KINDS
from ucj.coverage.importers import WORKFORCE
from ucj.forms import BootstrapForm
from ucj.models import REGION_CODE_PATTERN

KIND_CHOICES = [(name, kind.label) for name, kind in KINDS.items()]


class FactsUploadForm(BootstrapForm):
    kind = forms.ChoiceField(label=_("Figures"), choices=KIND_CHOICES)
    file = forms.FileField(
        label=_("Spreadsheet (CSV or XLSX)"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )
    source = forms.CharField(
        label=_("Default source"),
        required=False,
        max_length=sheets.MAX_CELL_CHARS,
        help_text=_("Used for rows without a source of their own, e.g. BPS Sakernas Agustus 2024."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > sheets.MAX_FILE_BYTES:
            raise forms.ValidationError(_("The file is too large; split it."))
        return upload

    def content(self) -> tuple[str, bytes]:
        upload = self.cleaned_data["file"]
        return upload.name, upload.read()


class FactsFilterForm(BootstrapForm):
    kind = forms.ChoiceField(label=_("Figures"), choices=KIND_CHOICES, required=False)
    region = forms.CharField(
        label=_("Region code"),
        required=False,
        max_length=13,
        validators=[RegexValidator(rf"^(?:{REGION_CODE_PATTERN})$", _("Enter a region code such as 35.26.02."))],
        widget=forms.TextInput(attrs={"placeholder": "35.26.02", "inputmode": "decimal"}),
    )

    @property
    def kind_value(self) -> str:
        return (self.cleaned_data.get("kind") if self.is_valid() else "") or WORKFORCE

    @property
    def region_value(self) -> str:
        return self.cleaned_data.get("region", "") if self.is_valid() else ""
