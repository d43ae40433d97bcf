"""Forms of the enrollment pages. They parse and present; the services decide (and their
`ApplicationError.details` land back on these fields through `add_service_errors`)."""

import datetime as dt

from django import forms
from django.core.validators import RegexValidator
from django.db.models import Q
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from enrollment import importers, selectors
from enrollment.models import (
    DEFAULT_PROGRAMMES,
    BatchKind,
    BatchState,
    EnrollmentBatch,
    FundingSource,
    Programme,
    Sex,
)
from enrollment.services import BatchTerms
from ucj import scope
from ucj.forms import BootstrapForm
from ucj.models import REGION_CODE_PATTERN, ROOT_CODE, Region, Role, regency_code

# A select of regions stays usable on a phone up to about this many options; a wider scope (a
# province's labour office) types the code instead.
MAX_REGION_OPTIONS = 1500

region_code_validator = RegexValidator(rf"^(?:{REGION_CODE_PATTERN})$", _("Enter a region code such as 35.26.02."))


def _ancestors_and_self(code: str) -> list[str]:
    parts = code.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def _regency_codes(user, roles) -> list[str]:
    """Regencies the user works in with one of `roles`: the regency of each assigned region, or
    the regencies below a wider assignment."""
    roots = scope.root_codes(user, roles)
    codes = {regency_code(root) for root in roots if root != ROOT_CODE and root.count(".") >= 1}
    wide = [root for root in roots if root == ROOT_CODE or root.count(".") == 0]
    if wide:
        codes |= set(
            Region.objects.filter(level=Region.Level.REGENCY)
            .filter(scope.subtree_q(wide, "code"))
            .values_list("code", flat=True)[: MAX_REGION_OPTIONS + 1]
        )
    return sorted(codes)


CHOOSE = _("— choose —")


def region_options(user, roles, *, levels, blank=CHOOSE) -> list | None:
    """Grouped choices for a region select: the user's regencies, then per district its own
    option (when `levels` has districts) and its villages (when `levels` has villages), limited
    to what the user holds with `roles`. None when there would be too many for a select."""
    regencies = _regency_codes(user, roles)
    if not regencies or len(regencies) > MAX_REGION_OPTIONS:
        return None
    below = (
        Region.objects.filter(level__in=[lv for lv in levels if lv > Region.Level.REGENCY])
        .filter(scope.region_q(user, "code", roles))
        .filter(scope.subtree_q(regencies, "code"))
        .order_by("code")
        .values_list("code", "name", "level")
    )
    rows = list(below[: MAX_REGION_OPTIONS + 1])
    if len(rows) > MAX_REGION_OPTIONS:
        return None
    # Names of the districts above the user's villages, for the group labels.
    district_codes = {code.rsplit(".", 1)[0] for code, _name, level in rows if level == Region.Level.VILLAGE}
    names = dict(Region.objects.filter(Q(code__in=regencies) | Q(code__in=district_codes)).values_list("code", "name"))
    choices: list = [("", blank)]
    if Region.Level.REGENCY in levels:
        choices += [(code, f"{names.get(code, code)} ({code})") for code in regencies]
    groups: dict[str, list] = {}
    for code, name, level in rows:
        if level == Region.Level.DISTRICT:
            names.setdefault(code, name)
            groups.setdefault(code, []).insert(0, (code, _("%(name)s, whole district") % {"name": name}))
        else:
            groups.setdefault(code.rsplit(".", 1)[0], []).append((code, f"{name} ({code})"))
    for district, options in groups.items():
        choices.append((f"{names.get(district, district)} ({district})", options))
    return choices


class RegionCodeField(forms.CharField):
    """A region code, chosen from a select when the user's regions fit in one (`offer`), typed
    otherwise. Whether the region exists and fits is the service's call."""

    widget = forms.TextInput(attrs={"placeholder": "35.26.02.2001", "inputmode": "decimal"})
    default_validators = [region_code_validator]

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 13)
        super().__init__(**kwargs)

    def offer(self, options) -> None:
        if options is not None:
            self.widget = forms.Select(choices=options)

    def search(self, options, *, list_id: str) -> None:
        """A typed code with the user's regions as suggestions (a `<datalist>`: the browser filters
        them by name or code as one types), for lists too long to scroll through on a phone."""
        if options is not None:
            self.widget = RegionSearchInput(options=options, list_id=list_id)


class RegionSearchInput(forms.TextInput):
    """A text input for a region code with a `<datalist>` of the offered regions; an option
    group's label (the district) follows each village's name so that typing it finds them too."""

    def __init__(self, *, options, list_id: str, attrs=None):
        flat = []
        for value, label in options:
            if isinstance(label, list | tuple):
                flat += [(code, f"{name} · {value}") for code, name in label]
            elif value:
                flat.append((value, label))
        self.suggestions = flat
        self.list_id = list_id
        super().__init__(attrs={"list": list_id, "autocomplete": "off", "inputmode": "search", **(attrs or {})})

    def __deepcopy__(self, memo):
        copy = super().__deepcopy__(memo)
        copy.suggestions = self.suggestions
        return copy

    def render(self, name, value, attrs=None, renderer=None):
        options = format_html_join("", '<option value="{}">{}</option>', self.suggestions)
        field = super().render(name, value, attrs, renderer)
        return format_html('{}<datalist id="{}">{}</datalist>', field, self.list_id, options)


class RupiahField(forms.IntegerField):
    """Whole rupiah, typed with or without thousand separators (1.000.000 in Indonesian)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("localize", True)
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update(inputmode="numeric", autocomplete="off")
        return attrs


class DateField(forms.DateField):
    """A native date picker: the browser sends ISO dates whatever the language."""

    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def add_service_errors(form: forms.Form, exc) -> None:
    """Put a service's `details` (field → messages) on the form's fields, the rest and the
    message itself on the form."""
    details = exc.details if isinstance(exc.details, dict) else {}
    placed = False
    for name, messages in details.items():
        field = {"regency_code": "regency", "area_code": "area"}.get(name, name)
        for message in messages if isinstance(messages, list | tuple) else [messages]:
            if field in form.fields:
                form.add_error(field, str(message))
                placed = True
    if not placed or not details:
        form.add_error(None, exc.message)


# --- Batches --------------------------------------------------------------------------------------


class BatchFilterForm(BootstrapForm):
    state = forms.ChoiceField(label=_("State"), required=False, choices=[("", _("all states")), *BatchState.choices])
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("all kinds")), *BatchKind.choices])
    funding_source = forms.ChoiceField(
        label=_("Funding source"), required=False, choices=[("", _("all sources")), *FundingSource.choices]
    )
    area = forms.CharField(
        label=_("Region code"),
        required=False,
        max_length=13,
        validators=[region_code_validator],
        widget=forms.TextInput(attrs={"placeholder": "35.26.02", "inputmode": "decimal"}),
    )
    year = forms.IntegerField(
        label=_("Year"), required=False, min_value=2000, max_value=2100, widget=forms.NumberInput(attrs={"step": 1})
    )

    def filter(self, batches, *, with_state: bool = True):
        """The batches that match the filters; `with_state=False` leaves the state out (the
        per-state counts are shown for the other filters)."""
        if not self.is_valid():
            return batches
        data = self.cleaned_data
        if with_state and data["state"]:
            batches = batches.filter(state=data["state"])
        if data["kind"]:
            batches = batches.filter(kind=data["kind"])
        if data["funding_source"]:
            batches = batches.filter(funding_source=data["funding_source"])
        if data["year"]:
            batches = batches.filter(year=data["year"])
        if data["area"]:
            # A village's batches are those covering it (its village, district or regency)
            # and a district's also those of its villages.
            code = data["area"]
            batches = batches.filter(Q(area__code__in=_ancestors_and_self(code)) | Q(area__code__startswith=code + "."))
        return batches


class BatchForm(BootstrapForm):
    """The terms of a draft batch (create and edit)."""

    kind = forms.ChoiceField(label=_("Kind"), choices=BatchKind.choices)
    regency = RegionCodeField(label=_("Regency / city"))
    area = RegionCodeField(
        label=_("Area"),
        required=False,
        help_text=_(
            "The district or village the members live in: type its name and choose it from the list; empty: your "
            "own area. A village budget needs the village."
        ),
    )
    funding_source = forms.ChoiceField(label=_("Funding source"), choices=FundingSource.choices)
    year = forms.IntegerField(label=_("Budget year"), min_value=2000, max_value=2100)
    period_start = DateField(label=_("Coverage from"))
    period_end = DateField(label=_("Coverage until"))
    declared_income = RupiahField(
        label=_("Declared monthly income (Rp)"),
        initial=1_000_000,
        min_value=1,
        help_text=_("The premium is computed from it: JKK+JKM at Rp1.000.000 is Rp16.800 a month."),
    )
    programmes = forms.MultipleChoiceField(
        label=_("Programmes"),
        choices=Programme.choices,
        initial=DEFAULT_PROGRAMMES,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("JKK and JKM are required; JHT is optional."),
    )
    decree_number = forms.CharField(
        label=_("Decree number (SK)"),
        required=False,
        max_length=120,
        help_text=_(
            "SK Bupati for a kabupaten's money, SK Wali Kota for a kota's, SK Kepala Desa for a village budget."
        ),
        widget=forms.TextInput(attrs={"placeholder": "188/123/KPTS/433.013/2026"}),
    )
    title = forms.CharField(label=_("Title"), required=False, max_length=150)

    def __init__(self, *args, user, batch: EnrollmentBatch | None = None, **kwargs):
        self.batch = batch
        if batch is not None:
            kwargs.setdefault("initial", self.initial_from(batch))
        super().__init__(*args, **kwargs)
        roles = [Role.FIELD_OFFICER, Role.LABOUR_OFFICE]
        regencies = _regency_codes(user, roles)
        self.fields["regency"].offer(region_options(user, roles, levels=[Region.Level.REGENCY]))
        if regencies and batch is None:
            self.fields["regency"].initial = regencies[0]
        levels = [Region.Level.REGENCY, Region.Level.DISTRICT, Region.Level.VILLAGE]
        self.fields["area"].search(region_options(user, roles, levels=levels), list_id="area-options")
        if batch is not None:
            # The regency of a batch never changes.
            self.fields["regency"].disabled = True
            self.fields["regency"].required = False
        if batch is None:
            year, start, end = selectors.batch_default_period()
            self.fields["year"].initial = year
            self.fields["period_start"].initial = start
            self.fields["period_end"].initial = end
        self.style()

    def months_not_paid(self) -> list[dt.date]:
        """The months of the period shown that have already begun: a warning beside the dates."""
        start, end = self["period_start"].value(), self["period_end"].value()
        try:
            start = start if isinstance(start, dt.date) else dt.date.fromisoformat(start)
            end = end if isinstance(end, dt.date) else dt.date.fromisoformat(end)
        except (TypeError, ValueError):
            return []
        return selectors.months_not_paid(period_start=start, period_end=end)

    @staticmethod
    def initial_from(batch: EnrollmentBatch) -> dict:
        return {
            "kind": batch.kind,
            "regency": batch.regency_id,
            "area": batch.area_id,
            "funding_source": batch.funding_source,
            "year": batch.year,
            "period_start": batch.period_start,
            "period_end": batch.period_end,
            "declared_income": batch.declared_income,
            "programmes": list(batch.programmes),
            "decree_number": batch.decree_number,
            "title": batch.title,
        }

    def terms(self) -> BatchTerms:
        data = self.cleaned_data
        return BatchTerms(
            kind=data["kind"],
            regency_code=self.batch.regency_id if self.batch else data["regency"],
            area_code=data["area"] or None,
            funding_source=data["funding_source"],
            year=data["year"],
            period_start=data["period_start"],
            period_end=data["period_end"],
            declared_income=data["declared_income"],
            programmes=list(data["programmes"]),
            decree_number=data["decree_number"].strip(),
            title=data["title"].strip(),
        )


class UploadForm(BootstrapForm):
    file = forms.FileField(
        label=_("Spreadsheet (CSV or XLSX)"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > importers.MAX_FILE_BYTES:
            raise forms.ValidationError(_("The file is too large; split it."))
        return upload

    def content(self) -> tuple[str, bytes]:
        upload = self.cleaned_data["file"]
        return upload.name, upload.read()


class MemberIdsField(forms.Field):
    """The ids of the ticked members (`<input type=checkbox name=member value=ID>`)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        try:
            return sorted({int(v) for v in value or []})
        except (TypeError, ValueError) as exc:
            raise forms.ValidationError(_("Choose members from the list.")) from exc

    def validate(self, value):
        super().validate(value)
        if not value:
            raise forms.ValidationError(_("Tick the members to remove."))


class MemberRemoveForm(forms.Form):
    member = MemberIdsField(label=_("Members"))


# --- Allocations ----------------------------------------------------------------------------------


class AllocationForm(BootstrapForm):
    region = RegionCodeField(
        label=_("Region"),
        help_text=_("The regency for APBD, DBHCHT and other money; the village for its own APBDes / Dana Desa."),
    )
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    source = forms.ChoiceField(label=_("Funding source"), choices=FundingSource.choices)
    amount = RupiahField(label=_("Amount (Rp)"))
    note = forms.CharField(label=_("Note"), required=False, max_length=255)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        levels = [Region.Level.REGENCY, Region.Level.VILLAGE]
        self.fields["region"].offer(region_options(user, [Role.LABOUR_OFFICE], levels=levels))
        regencies = _regency_codes(user, [Role.LABOUR_OFFICE])
        if regencies:
            self.fields["region"].initial = regencies[0]
        self.fields["year"].initial = timezone.localdate().year
        self.style()


class AllocationAmountForm(BootstrapForm):
    amount = RupiahField(label=_("Amount (Rp)"))
    note = forms.CharField(label=_("Note"), required=False, max_length=255)
    reason = forms.CharField(
        label=_("Reason for the change"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=1000
    )


# --- Participants ---------------------------------------------------------------------------------


class ParticipantSearchForm(BootstrapForm):
    q = forms.CharField(
        label=_("NIK or name"),
        min_length=3,
        max_length=100,
        error_messages={"min_length": _("Type at least 3 digits of a NIK or letters of a name.")},
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("NIK or name"), "autocomplete": "off"}),
    )


class ParticipantCorrectionForm(BootstrapForm):
    """The labour office corrects a person's record (enrollment.services.participant_correct)."""

    name = forms.CharField(label=_("Name"), max_length=150)
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices)
    birth_date = DateField(label=_("Birth date"))
    village = RegionCodeField(label=_("Village of domicile"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        levels = [Region.Level.VILLAGE]
        self.fields["village"].offer(region_options(user, [Role.LABOUR_OFFICE], levels=levels))
        self.style()
