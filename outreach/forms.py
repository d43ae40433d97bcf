"""Forms of the outreach pages. They parse and present; the services decide (their
`ValidationFailed.details` land back on these fields through `add_service_errors`)."""

import datetime as dt
import re
import uuid
from decimal import ROUND_HALF_EVEN, Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import RegexValidator
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment.forms import CHOOSE, BootstrapForm, DateField, RegionCodeField, region_options
from enrollment.models import Sex, mask_nik, mask_phone
from enrollment.selectors.employers import employers_visible_to
from outreach import selectors
from outreach.models import (
    ATTENDANCE_GROUPS,
    DistributionPoint,
    EventKind,
    EventVillage,
    FollowUpChannel,
    FollowUpOutcome,
    Lead,
    LeadStatus,
    OutreachEvent,
    PartnerAgency,
    PlantingSeason,
)
from outreach.services import EventData, FollowUpData, LeadData, follow_up_default_next
from ucj import scope
from ucj.models import Region, Role, regency_code

# Co-officers offered on the event form: the field officers of the user's regencies, up to this many.
MAX_CO_OFFICERS = 60
# The fields that only some kinds of event carry; the form shows them for those kinds (with JS).
KIND_FIELDS = {
    "planting_season": [EventKind.FERTILISER],
    "distribution_point_kind": [EventKind.FERTILISER],
    "distribution_point": [EventKind.FERTILISER],
    "employer": [EventKind.EMPLOYER_VISIT],
    "employer_name": [EventKind.EMPLOYER_VISIT],
}
ATTENDANCE_LABELS = {
    "farmers": _("Farmers"),
    "livestock_keepers": _("Livestock keepers"),
    "fishers": _("Fishers"),
    "village_officials": _("Village officials"),
    "others": _("Others"),
}
MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
# The months the events list and calendar accept (a year 0 or 9999 only breaks the date arithmetic).
MIN_YEAR, MAX_YEAR = 1900, 2999
# The event form lists the villages as checkboxes while they are this many at most; a user who may
# log in more (a province's labour office, an administrator) chooses a district first.
MAX_VILLAGES_ON_FORM = 400
# Districts in that choice's select; more (the whole country) ask for the regency first.
MAX_DISTRICT_OPTIONS = 1000
# Employers offered on the event form (those of its villages); beyond this many, the officer
# writes the name, and the service finds the employer of that name in the event's villages.
MAX_EMPLOYERS_ON_FORM = 500
# Lead ids a form accepts: the range of the database's integer keys.
MAX_ID = 2_147_483_647
ID_RE = re.compile(r"^[0-9]{1,10}$")

nik_validator = RegexValidator(r"^[0-9]{16}$", _("A NIK has 16 digits."))


class PersonalDataField(forms.CharField):
    """A NIK or a phone number that the user may see only masked: the form shows the masked value
    (`masked`), and that value sent back unchanged means "keep it" (`stored` is kept)."""

    masked = ""
    stored = ""

    def clean(self, value):
        if self.masked and (value or "").strip() == self.masked:
            return self.stored
        return super().clean(value)


def add_service_errors(form: forms.Form, exc, aliases: dict | None = None) -> None:
    """Put a service's `details` ({field: message}) on the form's fields; what fits no field, and
    the message itself when nothing was placed, goes on the form."""
    aliases = aliases or {}
    details = exc.details if isinstance(exc.details, dict) else {}
    for key, messages in details.items():
        name = aliases.get(key, key)
        if name not in form.fields and "." in name:
            name = name.rsplit(".", 1)[1]  # "attendance.farmers" → "farmers"
        if name not in form.fields or form[name].is_hidden:
            name = None
        for message in messages if isinstance(messages, list | tuple) else [messages]:
            form.add_error(name, str(message))
    if not details:
        form.add_error(None, exc.message)


def month_start(value: str) -> dt.date | None:
    """The first day of a month written YYYY-MM (years MIN_YEAR..MAX_YEAR), or None."""
    match = MONTH_RE.match(value or "")
    if not match or not MIN_YEAR <= int(match[1]) <= MAX_YEAR:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), 1)
    except ValueError:
        return None


def shift_month(month: dt.date, step: int) -> dt.date | None:
    """The first day of the month `step` months away, or None outside MIN_YEAR..MAX_YEAR."""
    index = month.year * 12 + month.month - 1 + step
    year, month_index = divmod(index, 12)
    return dt.date(year, month_index + 1, 1) if MIN_YEAR <= year <= MAX_YEAR else None


class CoordinateField(forms.DecimalField):
    """Degrees with six decimals (about 11 cm), as the column keeps them. A phone's GPS gives more:
    they are rounded, as the API rounds them, not refused."""

    def __init__(self, *, limit: int, **kwargs):
        super().__init__(required=False, max_digits=9, decimal_places=6, min_value=-limit, max_value=limit, **kwargs)

    def to_python(self, value):
        number = super().to_python(value)
        # Only a value of sensible size is rounded; a huge one fails the range check after this.
        if number is not None and number.is_finite() and abs(number) < 1000:
            number = number.quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN)
        return number


class AttendanceField(forms.IntegerField):
    """People of one group at the event; empty means none."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 100_000)
        kwargs.setdefault("error_messages", {"min_value": _("Attendance cannot be negative.")})
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update(inputmode="numeric", pattern="[0-9]*", placeholder="0", autocomplete="off")
        return attrs

    def clean(self, value):
        return super().clean(value) or 0


def village_groups(user, *, also: list[str] = (), districts: list[str] | None = None) -> list[dict]:
    """The villages the user may log in (only those of `districts` when given; and `also`, the
    villages an edited event already has), grouped by district: districts where the user logged
    most recently first, and within each the villages they logged most recently, then the rest by
    name. "Recently" is looked up among the villages shown only."""
    villages = selectors.loggable_villages(user).select_related("parent").order_by("code")
    if districts is not None:
        villages = villages.filter(parent_id__in=districts)
    villages = list(villages)
    missing = set(also) - {v.code for v in villages}
    if missing:
        villages += list(Region.objects.filter(code__in=missing).select_related("parent"))
    codes = [v.code for v in villages]
    recent = dict(
        EventVillage.objects.filter(event__created_by=user, village_id__in=codes)
        .values("village_id")
        .annotate(last=Max("date"))
        .values_list("village_id", "last")
    )
    groups: dict[str, dict] = {}
    for village in villages:
        district = village.parent
        group = groups.setdefault(
            district.code, {"code": district.code, "name": district.name, "villages": [], "last": None}
        )
        last = recent.get(village.code)
        group["villages"].append({"code": village.code, "name": village.name, "last": last})
        if last and (group["last"] is None or last > group["last"]):
            group["last"] = last
    ordered = sorted(
        groups.values(), key=lambda g: (g["last"] is None, -(g["last"] or dt.date.min).toordinal(), g["code"])
    )
    for group in ordered:
        group["villages"].sort(key=lambda v: (v["last"] is None, -(v["last"] or dt.date.min).toordinal(), v["name"]))
    return ordered


class DistrictChoiceForm(BootstrapForm):
    """For a user who may log in more villages than the event form can list: the district whose
    villages the form shows (and, when even the districts are too many for a select, the regency
    first). Read from the query string (`?district=`, `?regency=`)."""

    regency = forms.ChoiceField(label=_("Regency"), required=False)
    district = forms.ChoiceField(label=_("District"), required=False)

    def __init__(self, data, *, user):
        data = {k: data.get(k, "") for k in ("regency", "district") if data.get(k)}
        loggable = selectors.loggable_villages(user)
        # One query: is there a village beyond the cap?
        self.wide = loggable.values_list("code", flat=True)[MAX_VILLAGES_ON_FORM : MAX_VILLAGES_ON_FORM + 1].exists()
        self.needs_regency = False
        regency, district = data.get("regency", ""), data.get("district", "")
        if self.wide and regency and district and regency_code(district) != regency:
            del data["district"]  # a district of the regency chosen before: choose again
        super().__init__(data or None)
        if not self.wide:
            return
        districts = Region.objects.filter(level=Region.Level.DISTRICT, code__in=loggable.values("parent_id"))
        if districts.count() > MAX_DISTRICT_OPTIONS:
            self.needs_regency = True
            regencies = Region.objects.filter(code__in=districts.values("parent_id")).order_by("name", "code")
            self.fields["regency"].choices = [("", CHOOSE), *((r.code, r.name) for r in regencies)]
            regency = data.get("regency") or (regency_code(data["district"]) if data.get("district") else "")
            if regency and not data.get("regency"):
                self.data = {**self.data, "regency": regency}
            districts = districts.filter(parent_id=regency) if regency else districts.none()
        else:
            del self.fields["regency"]
        groups: dict[str, list] = {}
        names: dict[str, str] = {}
        for district in districts.select_related("parent").order_by("parent__name", "parent_id", "name", "code"):
            names[district.parent_id] = district.parent.name
            groups.setdefault(district.parent_id, []).append((district.code, district.name))
        choices = [("", CHOOSE)]
        if len(groups) == 1:
            choices += next(iter(groups.values()))
        else:
            choices += [(names[code], options) for code, options in groups.items()]
        self.fields["district"].choices = choices
        self.style()

    @property
    def chosen_district(self) -> str | None:
        """The chosen district's code (for a wide user), or None."""
        if not self.wide or not self.is_bound or not self.is_valid():
            return None
        return self.cleaned_data.get("district") or None


def co_officer_choices(user) -> list[tuple[int, str]]:
    """Field officers working inside the user's own area (the same districts or villages, or any
    of a labour office's regency), the user excepted: the service accepts a co-officer only if
    they work in one of the event's villages, and the event's villages lie in the user's area."""
    roots = [c for c in scope.root_codes(user) if c.count(".") >= 1]
    if not roots:
        return []
    users = (
        get_user_model()
        # One filter() call: the role and the region must hold on the same assignment.
        .objects.filter(
            scope.subtree_q(roots, "assignments__region__code"),
            is_active=True,
            assignments__role=Role.FIELD_OFFICER,
        )
        .exclude(pk=user.pk)
        .distinct()
        .order_by("first_name", "last_name", "username")[:MAX_CO_OFFICERS]
    )
    return [(u.pk, u.get_full_name() or u.get_username()) for u in users]


class EmployerSelect(forms.Select):
    """Employers grouped by village, each option carrying its village's code (`data-village`), so
    that the page offers only the employers of the ticked villages."""

    village_of: dict[str, str]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.village_of = {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex=subindex, attrs=attrs)
        village = self.village_of.get(str(value))
        if village:
            option["attrs"] = {**option["attrs"], "data-village": village}
        return option


class EventForm(BootstrapForm):
    """The mobile form: one screen, few taps, sensible defaults (today, now, the officer's own
    villages with the recently visited ones first)."""

    client_id = forms.UUIDField(widget=forms.HiddenInput)
    kind = forms.ChoiceField(
        label=_("What did you do?"),
        choices=EventKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what kind of event it was.")},
    )
    date = DateField(label=_("Date"))
    time = forms.TimeField(
        label=_("Time"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    villages = forms.MultipleChoiceField(
        label=_("Villages"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Tick at least one village.")},
    )
    farmers = AttendanceField(label=ATTENDANCE_LABELS["farmers"])
    livestock_keepers = AttendanceField(label=ATTENDANCE_LABELS["livestock_keepers"])
    fishers = AttendanceField(label=ATTENDANCE_LABELS["fishers"])
    village_officials = AttendanceField(label=ATTENDANCE_LABELS["village_officials"])
    others = AttendanceField(label=ATTENDANCE_LABELS["others"])
    partner_agency = forms.ChoiceField(
        label=_("Partner agency"), required=False, choices=[("", _("— none —")), *PartnerAgency.choices]
    )
    partner = forms.CharField(
        label=_("Partner (name or office)"),
        required=False,
        max_length=150,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Kepala Desa Socah")}),
    )
    planting_season = forms.ChoiceField(
        label=_("Planting season"), required=False, choices=[("", _("— choose —")), *PlantingSeason.choices]
    )
    distribution_point_kind = forms.ChoiceField(
        label=_("Distribution point"), required=False, choices=[("", _("— choose —")), *DistributionPoint.choices]
    )
    distribution_point = forms.CharField(label=_("Name of the kiosk or farmer group"), required=False, max_length=150)
    employer = forms.TypedChoiceField(
        label=_("Employer"), required=False, coerce=int, empty_value=None, widget=EmployerSelect
    )
    employer_name = forms.CharField(
        label=_("Employer not in the list"),
        required=False,
        max_length=200,
        help_text=_("Write its name: it is added to the employers of the event's village."),
    )
    officers = forms.MultipleChoiceField(
        label=_("Other officers present"), required=False, widget=forms.CheckboxSelectMultiple
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    latitude = CoordinateField(label=_("Latitude"), limit=90)
    longitude = CoordinateField(label=_("Longitude"), limit=180)

    def __init__(self, *args, user, event: OutreachEvent | None = None, districts: list[str] | None = None, **kwargs):
        self.event = event
        if event is not None:
            kwargs.setdefault("initial", self.initial_from(event))
        super().__init__(*args, **kwargs)
        if event is not None:
            del self.fields["client_id"]
        else:
            now = timezone.localtime()
            self.fields["client_id"].initial = uuid.uuid4()
            self.fields["date"].initial = now.date()
            self.fields["time"].initial = now.time().replace(second=0, microsecond=0)
        current = [v.code for v in event.villages.all()] if event is not None else []
        self.village_groups = village_groups(user, also=current, districts=districts)
        self.fields["villages"].choices = [(v["code"], v["name"]) for g in self.village_groups for v in g["villages"]]
        officers = co_officer_choices(user)
        if event is not None:
            # Officers already on the event stay choosable even if their assignment moved.
            known = {pk for pk, _name in officers}
            officers += [
                (u.pk, u.get_full_name() or u.get_username())
                for u in event.officers.all()
                if u.pk not in known and u.pk != event.created_by_id
            ]
        self.fields["officers"].choices = [(str(pk), name) for pk, name in officers]
        self._offer_employers(user, event)
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.NumberInput) and name in ("latitude", "longitude"):
                field.widget.attrs.update(step="any", inputmode="decimal")
        self.style()

    def _offer_employers(self, user, event: OutreachEvent | None) -> None:
        """The employers of the villages on the form, grouped by village (and the event's own
        employer, wherever it is)."""
        labels = {v["code"]: f"{v['name']} ({g['name']})" for g in self.village_groups for v in g["villages"]}
        employers = list(
            employers_visible_to(user)
            .select_related(None)
            .filter(village_id__in=list(labels))
            .only("id", "name", "village_id")
            .order_by("name", "id")[:MAX_EMPLOYERS_ON_FORM]
        )
        if event is not None and event.employer_id and all(e.pk != event.employer_id for e in employers):
            employers.append(event.employer)
            labels.setdefault(event.employer.village_id, event.employer.village.name)
        by_village: dict[str, list] = {}
        for employer in employers:
            by_village.setdefault(employer.village_id, []).append((employer.pk, employer.name))
        groups = sorted(by_village.items(), key=lambda item: (labels[item[0]], item[0]))
        field = self.fields["employer"]
        field.choices = [("", _("— choose —")), *((labels[code], options) for code, options in groups)]
        field.widget.village_of = {str(e.pk): e.village_id for e in employers}

    @staticmethod
    def initial_from(event: OutreachEvent) -> dict:
        initial = {
            "kind": event.kind,
            "date": event.date,
            "time": event.time,
            "villages": [v.code for v in event.villages.all()],
            "partner_agency": event.partner_agency,
            "partner": event.partner,
            "planting_season": event.planting_season,
            "distribution_point_kind": event.distribution_point_kind,
            "distribution_point": event.distribution_point,
            "employer": event.employer_id,
            "officers": [str(u.pk) for u in event.officers.all() if u.pk != event.created_by_id],
            "notes": event.notes,
            "latitude": event.latitude,
            "longitude": event.longitude,
        }
        initial.update(event.attendance)
        return initial

    @property
    def has_villages(self) -> bool:
        return bool(self.village_groups)

    def checked_villages(self) -> set[str]:
        value = self["villages"].value() or []
        return {str(v) for v in value}

    def grouped_villages(self) -> list[dict]:
        """The village groups with each checkbox's state, for the template."""
        checked = self.checked_villages()
        return [
            {**group, "villages": [{**v, "checked": v["code"] in checked} for v in group["villages"]]}
            for group in self.village_groups
        ]

    def attendance_fields(self):
        return [self[name] for name in ATTENDANCE_GROUPS]

    def data_for_service(self) -> EventData:
        data = self.cleaned_data
        kind = data["kind"]

        def only_for(name):
            return data[name] if kind in KIND_FIELDS[name] else ""

        return EventData(
            kind=kind,
            date=data["date"],
            time=data["time"],
            village_codes=list(data["villages"]),
            attendance={group: data[group] for group in ATTENDANCE_GROUPS},
            partner=data["partner"].strip(),
            partner_agency=data["partner_agency"],
            notes=data["notes"].strip(),
            latitude=data["latitude"],
            longitude=data["longitude"],
            planting_season=only_for("planting_season"),
            distribution_point_kind=only_for("distribution_point_kind"),
            distribution_point=only_for("distribution_point").strip(),
            employer_id=data["employer"] if kind in KIND_FIELDS["employer"] else None,
            employer_name=only_for("employer_name").strip(),
            officer_ids=[int(pk) for pk in data["officers"]],
        )


# Service field names that differ from the form's ("" or an unknown name: shown on the form).
EVENT_ERROR_ALIASES = {"village_codes": "villages", "officer_ids": "officers"}


class EventFilterForm(BootstrapForm):
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("all kinds")), *EventKind.choices])
    month = forms.CharField(
        label=_("Month"),
        required=False,
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-11"}),
    )
    region = RegionCodeField(label=_("District or village"), required=False)
    mine = forms.BooleanField(label=_("Only events I took part in"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        levels = [Region.Level.DISTRICT, Region.Level.VILLAGE]
        self.fields["region"].offer(region_options(user, None, levels=levels, blank=_("all regions")))
        self.style()

    def clean_month(self):
        value = self.cleaned_data["month"]
        if value and month_start(value) is None:
            raise forms.ValidationError(
                _("Enter a month as YYYY-MM between %(first)s and %(last)s, e.g. 2026-11.")
                % {"first": MIN_YEAR, "last": MAX_YEAR}
            )
        return value

    def value(self, name):
        """A filter's value when it is valid; an invalid one (shown with its error) is left out
        and the others still apply."""
        if not self.is_bound:
            return None
        self.is_valid()
        return self.cleaned_data.get(name)


class LeadForm(BootstrapForm):
    """Quick add of a person met at an event (and, with `lead`, its edit)."""

    name = forms.CharField(label=_("Name"), max_length=150)
    nik = PersonalDataField(
        label=_("NIK"),
        required=False,
        max_length=16,
        validators=[nik_validator],
        widget=forms.TextInput(attrs={"inputmode": "numeric", "pattern": "[0-9]{16}", "autocomplete": "off"}),
    )
    phone = PersonalDataField(
        label=_("Phone"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "placeholder": "0812…"}),
    )
    village = forms.ChoiceField(label=_("Village"))
    occupation = forms.CharField(
        label=_("Occupation"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. petani, nelayan")}),
    )
    next_follow_up = DateField(label=_("Next follow-up"), required=False)
    sex = forms.ChoiceField(label=_("Sex"), required=False, choices=[("", _("— choose —")), *Sex.choices])
    birth_date = DateField(label=_("Birth date"), required=False)
    status = forms.ChoiceField(label=_("Status"), choices=LeadStatus.choices)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(
        self, *args, villages: list[Region] | None = None, lead: Lead | None = None, full: bool = True, **kwargs
    ):
        """`full`: the user may see the lead's NIK, phone and birth date (its officer, the labour
        office, an administrator); otherwise the form shows them masked and keeps them unless the
        user types new ones."""
        self.lead = lead
        self.full = full or lead is None
        if lead is not None:
            kwargs.setdefault("initial", self.initial_from(lead, full=self.full))
        super().__init__(*args, **kwargs)
        if lead is not None and not self.full:
            for name, masked in (("nik", self.initial.get("nik")), ("phone", self.initial.get("phone"))):
                self.fields[name].masked, self.fields[name].stored = masked or "", getattr(lead, name)
                if masked:
                    self.fields[name].help_text = _("Shown masked: leave it to keep it, or type a new one.")
            self.fields["nik"].widget.attrs.pop("pattern", None)  # the masked value has stars
            if lead.birth_date:
                # Not even the year: it narrows the masked NIK's hidden digits (mask_birth_date).
                self.fields["birth_date"].help_text = _("A birth date is on record. Leave empty to keep it.")
        if lead is not None:
            # A lead stays in its village; "added to a batch" is set by adding it to one.
            del self.fields["village"]
            if lead.status != LeadStatus.ADDED:
                self.fields["status"].choices = [(v, label) for v, label in LeadStatus.choices if v != LeadStatus.ADDED]
            else:
                self.fields["status"].disabled = True
        else:
            del self.fields["status"]
            self.fields["village"].choices = [(v.code, v.name) for v in villages or []]
            if villages and len(villages) == 1:
                self.fields["village"].initial = villages[0].code
            else:
                self.fields["village"].choices.insert(0, ("", _("— choose —")))
            self.fields["next_follow_up"].initial = timezone.localdate() + dt.timedelta(days=7)
        self.style()

    @staticmethod
    def initial_from(lead: Lead, *, full: bool = True) -> dict:
        """The lead's values; NIK and phone masked and no birth date (the hidden digits of the NIK
        are the birth date) unless `full`."""
        return {
            "name": lead.name,
            "nik": lead.nik if full or not lead.nik else mask_nik(lead.nik),
            "phone": lead.phone if full or not lead.phone else mask_phone(lead.phone),
            "occupation": lead.occupation,
            "next_follow_up": lead.next_follow_up,
            "sex": lead.sex,
            "birth_date": lead.birth_date if full else None,
            "status": lead.status,
            "notes": lead.notes,
        }

    def data_for_service(self, *, event_id: int | None = None) -> LeadData:
        data = self.cleaned_data
        lead = self.lead
        nik, birth_date = data["nik"].strip(), data["birth_date"]
        if lead is not None and not self.full and birth_date is None and not (nik and nik != lead.nik):
            # The masked form shows no birth date: empty keeps the stored one (a new NIK brings its own).
            birth_date = lead.birth_date
        return LeadData(
            name=data["name"].strip(),
            village_code=lead.village_id if lead else data["village"],
            event_id=lead.event_id if lead else event_id,
            nik=nik,
            sex=data["sex"],
            birth_date=birth_date,
            phone=data["phone"].strip(),
            occupation=data["occupation"].strip(),
            status=(lead.status if self.fields["status"].disabled else data["status"])
            if lead
            else LeadStatus.INTERESTED,
            next_follow_up=data["next_follow_up"],
            notes=data["notes"].strip(),
        )


LEAD_ERROR_ALIASES = {"village_code": "village"}


LEAD_TABS = ("today", "overdue", "upcoming", "all")


class FollowUpForm(BootstrapForm):
    """One contact with a lead, on the lead's page: today and a next try a week ahead are filled
    in, and the officer changes them when the person asked for another day."""

    date = DateField(label=_("Date"))
    channel = forms.ChoiceField(
        label=_("How"), choices=FollowUpChannel.choices, widget=forms.RadioSelect, initial=FollowUpChannel.PHONE
    )
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[("", CHOOSE), *FollowUpOutcome.choices])
    next_date = DateField(
        label=_("Next follow-up"),
        required=False,
        help_text=_(
            "Proposed a week ahead; change it if the person asked for another day. Not used when the outcome "
            "is enrolled or declined."
        ),
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        today = timezone.localdate()
        kwargs.setdefault("initial", {"date": today, "next_date": follow_up_default_next(today)})
        super().__init__(*args, **kwargs)

    def data_for_service(self) -> FollowUpData:
        data = self.cleaned_data
        return FollowUpData(
            date=data["date"],
            channel=data["channel"],
            outcome=data["outcome"],
            notes=data["notes"].strip(),
            next_date=data["next_date"],
        )


class LeadFilterForm(BootstrapForm):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("all statuses")), *LeadStatus.choices]
    )
    region = RegionCodeField(label=_("District or village"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        levels = [Region.Level.DISTRICT, Region.Level.VILLAGE]
        self.fields["region"].offer(region_options(user, None, levels=levels, blank=_("all regions")))
        self.style()

    def value(self, name):
        if not self.is_bound:
            return None
        self.is_valid()
        return self.cleaned_data.get(name)


NEW_BATCH = "new"


class LeadsToBatchForm(forms.Form):
    lead = forms.TypedMultipleChoiceField(coerce=int, error_messages={"required": _("Tick the leads to add.")})
    # NEW_BATCH: a new draft created on the spot; otherwise the id of one of the user's drafts.
    batch = forms.ChoiceField(error_messages={"required": _("Choose a draft batch.")})

    def __init__(self, *args, batches, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["batch"].choices = [(NEW_BATCH, NEW_BATCH), *((str(b.pk), str(b.pk)) for b in batches)]
        # Which leads the user may add is the service's call (scope, status); any id in the range of
        # the database's keys parses here (a longer number is refused, not sent to the database).
        ids = self.data.getlist("lead") if hasattr(self.data, "getlist") else []
        self.fields["lead"].choices = [(v, v) for v in ids if ID_RE.match(str(v)) and 1 <= int(v) <= MAX_ID]
        self.fields["lead"].error_messages["invalid_choice"] = _("Choose leads from the list.")


class VisitFilterForm(BootstrapForm):
    since = DateField(label=_("Since"), required=False)
    until = DateField(label=_("Until"), required=False)
    days = forms.IntegerField(
        label=_("Not visited for (days)"),
        required=False,
        min_value=1,
        max_value=3650,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    stale_only = forms.BooleanField(label=_("Only villages not visited for that long"), required=False)
    sort = forms.ChoiceField(
        required=False,
        widget=forms.HiddenInput,
        choices=[("", "")] + [(k, k) for k in ("district", "name", "last", "visits", "days")],
    )

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        # The order is checked after the defaults: no end means today.
        if since and until and since > until:
            self.add_error("until", _("The end comes before the start."))
        elif since and not until and "until" not in self.errors and since > timezone.localdate():
            self.add_error("since", _("The start is after today; give the end too."))
        return data

    def values(self) -> dict:
        """The period and filters to show: no end means today, no start the 1st of January of the
        end's year."""
        today = timezone.localdate()
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        until = data.get("until") or today
        return {
            "since": data.get("since") or dt.date(until.year, 1, 1),
            "until": until,
            "days": data.get("days") or 90,
            "stale_only": bool(data.get("stale_only")),
            "sort": data.get("sort") or "",
        }
