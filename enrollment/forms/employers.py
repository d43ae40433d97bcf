"""Forms of the employer-compliance pages. They parse and present; `enrollment.services` decides
(its `ApplicationError.details` land back on these fields through `add_service_errors`)."""

from django import forms
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment.forms.collective import (
    CHOOSE,
    MAX_REGION_OPTIONS,
    DateField,
    RegionCodeField,
    RupiahField,
    region_options,
)
from enrollment.models import (
    EARLIEST_DATE,
    NOTE_STEPS,
    CaseOutcome,
    ComplianceStatus,
    Employer,
    EmployerProgramme,
    EmployerSize,
    Finding,
    Sector,
    StepKind,
)
from enrollment.selectors import employers_filter
from ucj import scope, sheets
from ucj.forms import BootstrapForm
from ucj.models import ROOT_CODE, Region, Role

# Who registers employers, edits their figures, imports the lists and runs cases (the services
# check the region; this only decides which forms and buttons a page offers).
EMPLOYER_WRITER_ROLES = (Role.LABOUR_OFFICE, Role.ADMIN)

# The two lists `enrollment.services.employer_imports.employers_import` reads.
IMPORT_KIND_CHOICES = [
    ("labour_office", _("Company list of the labour office (WLKP)")),
    ("bpjs", _("BPJS list of registered employers")),
]

STATUS_CHOICES = [
    ("", _("all statuses")),
    (ComplianceStatus.COMPLIANT.value, _("compliant")),
    (ComplianceStatus.FINDINGS.value, _("any finding")),
    (ComplianceStatus.UNASSESSED.value, _("not assessed")),
    (Finding.PDS_WORKERS.value, _("PDS workers")),
    (Finding.PDS_WAGES.value, _("PDS wages")),
    (Finding.PDS_PROGRAMME.value, _("PDS programme")),
    (Finding.PWBD.value, _("PWBD")),
]


def district_options(user) -> list | None:
    """The districts the user works in, for a select: those inside their regions, and the
    district of each village they are assigned to. None when too many for a select (a national
    supervisor types the code)."""
    roots = scope.root_codes(user)
    if not roots:
        return [("", _("all districts"))]
    wide = [code for code in roots if code == ROOT_CODE or code.count(".") < 2]
    exact = {".".join(code.split(".")[:3]) for code in roots if code != ROOT_CODE and code.count(".") >= 2}
    districts = Region.objects.filter(level=Region.Level.DISTRICT).filter(
        scope.subtree_q(wide, "code") | Q(code__in=sorted(exact))
    )
    rows = list(districts.order_by("code").values_list("code", "name")[: MAX_REGION_OPTIONS + 1])
    if len(rows) > MAX_REGION_OPTIONS:
        return None
    return [("", _("all districts")), *((code, f"{name} ({code})") for code, name in rows)]


class EmployerFilterForm(BootstrapForm):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS_CHOICES)
    sector = forms.ChoiceField(label=_("Sector"), required=False, choices=[("", _("all sectors")), *Sector.choices])
    district = RegionCodeField(label=_("District"), required=False)
    overdue = forms.BooleanField(label=_("Overdue case"), required=False)
    q = forms.CharField(
        label=_("Name, NPP or NIB"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].offer(district_options(user))
        if isinstance(self.fields["district"].widget, forms.TextInput):
            self.fields["district"].widget.attrs["placeholder"] = "35.26.02"
        self.style()

    def filter(self, employers, *, today=None):
        """The employers that match the filters (all of them when the filters do not parse)."""
        if not self.is_bound or not self.is_valid():
            return employers
        data = self.cleaned_data
        return employers_filter(
            employers,
            status=data["status"],
            sector=data["sector"],
            district=data["district"],
            overdue=data["overdue"],
            query=data["q"],
            today=today,
        )

    @property
    def active(self) -> bool:
        return self.is_bound and self.is_valid() and any(self.cleaned_data.values())


class DayField(DateField):
    """A day of this domain: from `EARLIEST_DATE` (2013, PP 86/2013) to today, as the services
    check (a typed 0001-01-01 is refused here, on the field, before it reaches them)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.widget.attrs["min"] = EARLIEST_DATE.isoformat()

    def validate(self, value):
        super().validate(value)
        if value is None:
            return
        if value < EARLIEST_DATE:
            raise forms.ValidationError(
                _("A date on or after %(date)s.") % {"date": EARLIEST_DATE.strftime("%d-%m-%Y")}
            )
        if value > timezone.localdate():
            raise forms.ValidationError(_("A date in the future."))


class WholeNumberField(forms.IntegerField):
    """A count typed with or without thousand separators."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("localize", True)
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update(inputmode="numeric", autocomplete="off")
        return attrs


class EmployerForm(BootstrapForm):
    """An employer's identity and both sides' figures (create and edit). Empty figures stay
    unknown; `enrollment.services.employer_create/_update` check and stamp them."""

    name = forms.CharField(label=_("Name"), max_length=200)
    village = RegionCodeField(label=_("Village"))
    address = forms.CharField(label=_("Address"), required=False, max_length=255)
    npp = forms.CharField(
        label=_("NPP (BPJS employer number)"),
        required=False,
        max_length=30,
        help_text=_("Empty while the employer is not registered with BPJS Ketenagakerjaan."),
    )
    nib = forms.CharField(
        label=_("NIB (business id)"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    sector = forms.ChoiceField(label=_("Sector"), choices=Sector.choices, initial=Sector.SERVICES)
    size = forms.ChoiceField(
        label=_("Size"),
        choices=EmployerSize.choices,
        initial=EmployerSize.SMALL,
        help_text=_("Decides the mandatory programmes: micro JKK+JKM, small also JHT, medium and large also JP."),
    )

    reported_workers = WholeNumberField(label=_("Workers"), required=False)
    reported_wages = RupiahField(label=_("Monthly wage bill (Rp)"), required=False)
    reported_source = forms.CharField(label=_("Source"), required=False, max_length=120)
    reported_as_of = DayField(label=_("As of"), required=False)

    bpjs_workers = WholeNumberField(label=_("Workers"), required=False)
    bpjs_wages = RupiahField(label=_("Monthly wages (Rp)"), required=False)
    bpjs_programmes = forms.MultipleChoiceField(
        label=_("Programmes"),
        required=False,
        choices=EmployerProgramme.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    bpjs_source = forms.CharField(label=_("Source"), required=False, max_length=120)
    bpjs_as_of = DayField(label=_("As of"), required=False)

    IDENTITY = ("name", "village", "address", "npp", "nib", "sector", "size")
    REPORTED = ("reported_workers", "reported_wages", "reported_source", "reported_as_of")
    BPJS = ("bpjs_workers", "bpjs_wages", "bpjs_programmes", "bpjs_source", "bpjs_as_of")

    def __init__(self, *args, user, employer: Employer | None = None, **kwargs):
        self.employer = employer
        if employer is not None:
            kwargs.setdefault("initial", self.initial_from(employer))
        super().__init__(*args, **kwargs)
        self.fields["village"].offer(region_options(user, EMPLOYER_WRITER_ROLES, levels=[Region.Level.VILLAGE]))
        for name in ("reported_source", "bpjs_source"):
            self.fields[name].help_text = _("Empty: your name and today's date are recorded with the figures.")
        self.style()

    @staticmethod
    def initial_from(employer: Employer) -> dict:
        return {
            "name": employer.name,
            "village": employer.village_id,
            "address": employer.address,
            "npp": employer.npp,
            "nib": employer.nib,
            "sector": employer.sector,
            "size": employer.size,
            "reported_workers": employer.reported_workers,
            "reported_wages": employer.reported_wages,
            "reported_source": employer.reported_source,
            "reported_as_of": employer.reported_as_of,
            "bpjs_workers": employer.bpjs_workers,
            "bpjs_wages": employer.bpjs_wages,
            "bpjs_programmes": list(employer.bpjs_programmes or []),
            "bpjs_source": employer.bpjs_source,
            "bpjs_as_of": employer.bpjs_as_of,
        }

    def data_for_service(self) -> dict:
        """Every field for a new employer; for an edit, only what the clerk changed, so that a
        figure left alone keeps its source and date."""
        data = {name: self.cleaned_data[name] for name in (*self.IDENTITY, *self.REPORTED, *self.BPJS)}
        data["bpjs_programmes"] = list(data["bpjs_programmes"])
        if self.employer is None:
            return data
        return {name: value for name, value in data.items() if name in self.changed_data}


class EmployerImportForm(BootstrapForm):
    regency = RegionCodeField(label=_("Regency / city"))
    kind = forms.ChoiceField(label=_("List"), choices=IMPORT_KIND_CHOICES)
    file = forms.FileField(
        label=_("Spreadsheet (CSV or XLSX)"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )
    source = forms.CharField(
        label=_("Source"),
        required=False,
        max_length=120,
        help_text=_("Where the list comes from, e.g. WLKP 2025 or BPJS Cabang Bangkalan; empty: the file name."),
    )
    as_of = DateField(label=_("Figures as of"), required=False, help_text=_("Empty: today."))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        options = region_options(user, EMPLOYER_WRITER_ROLES, levels=[Region.Level.REGENCY])
        self.fields["regency"].offer(options)
        if options and len(options) == 2:
            self.fields["regency"].initial = options[1][0]
        self.style()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > sheets.MAX_FILE_BYTES:
            raise forms.ValidationError(_("The file is too large; split it."))
        return upload

    def clean_as_of(self):
        # The earliest date is the import service's to refuse (its message says to check the year).
        day = self.cleaned_data["as_of"]
        if day is not None and day > timezone.localdate():
            raise forms.ValidationError(_("A date in the future."))
        return day

    def content(self) -> tuple[str, bytes]:
        upload = self.cleaned_data["file"]
        return upload.name, upload.read()


# --- Cases ----------------------------------------------------------------------------------------


class CaseOpenForm(BootstrapForm):
    finding = forms.ChoiceField(label=_("Finding"), choices=Finding.choices, widget=forms.HiddenInput)
    opened_on = DayField(label=_("Opened on"), required=False, help_text=_("Empty: today."))
    notes = forms.CharField(label=_("Notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class CaseStepForm(BootstrapForm):
    """The next step of one track. The kind is the one the page offers; the service checks the
    order. A fine asks for the premiums owed and the months; an inspection note for the deadline
    it gives."""

    kind = forms.CharField(widget=forms.HiddenInput, max_length=20)
    taken_on = DayField(label=_("Taken on"), required=False, help_text=_("Empty: today."))
    document_number = forms.CharField(
        label=_("Document number"),
        max_length=100,
        help_text=_("The number of the letter or note sent to the employer."),
    )
    premiums_owed = RupiahField(
        label=_("Premiums owed (Rp)"),
        required=False,
        help_text=_("The premiums the employer should have paid, as BPJS's letter states them."),
    )
    fine_months = WholeNumberField(
        label=_("Months"),
        required=False,
        min_value=1,
        help_text=_(
            "Months since the second written warning ended: the fine is 0.1 per cent of the premiums owed a month."
        ),
    )
    due_on = DateField(
        label=_("Deadline given in the note"),
        required=False,
    )
    notes = forms.CharField(label=_("Notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, kind: str, **kwargs):
        kwargs.setdefault("initial", {"kind": kind})
        kwargs.setdefault("auto_id", f"step_{kind}_%s")
        super().__init__(*args, **kwargs)
        self.kind = kind
        if kind == StepKind.FINE:
            self.fields["premiums_owed"].required = True
            self.fields["fine_months"].required = True
        else:
            del self.fields["premiums_owed"], self.fields["fine_months"]
        if kind in NOTE_STEPS:
            self.fields["due_on"].help_text = _("Empty: %(days)s working days.") % {
                "days": settings.UCJ_CASE_STEP_WORKING_DAYS
            }
        else:
            del self.fields["due_on"]

    def data_for_service(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "taken_on": data["taken_on"],
            "document_number": data["document_number"],
            "notes": data["notes"],
            "due_on": data.get("due_on"),
            "premiums_owed": data.get("premiums_owed"),
            "fine_months": data.get("fine_months"),
        }


class CaseCloseForm(BootstrapForm):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "close_%s")
        super().__init__(*args, **kwargs)

    outcome = forms.ChoiceField(label=_("Outcome"), choices=[("", CHOOSE), *CaseOutcome.choices])
    workers_added = WholeNumberField(
        label=_("Workers registered"), initial=0, help_text=_("Workers the employer registered with BPJS.")
    )
    wages_added = RupiahField(label=_("Monthly wages added (Rp)"), initial=0)
    programmes_added = forms.MultipleChoiceField(
        label=_("Programmes registered"),
        required=False,
        choices=EmployerProgramme.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Programmes the employer registered; complying in full with a PDS programme case needs each one missing."
        ),
    )
    closed_on = DayField(
        label=_("Closed on"), required=False, help_text=_("Empty: today. Not before the case's last step.")
    )
    notes = forms.CharField(label=_("Notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
