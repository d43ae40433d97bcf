"""Outreach (DESIGN §1 "how the drive reaches people", §3 `outreach/`): what field officers do in
the villages — visits, socialisation sessions, tie-ins with subsidised-fertiliser distribution —
and the people they meet who may enroll (leads)."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from enrollment.models import OccupationGroup, Sex
from ucj.models import Region, TimeStamped


class EventKind(models.TextChoices):
    VILLAGE_VISIT = "village_visit", _("village visit")
    SOCIALISATION = "socialisation", _("socialisation session")
    FERTILISER = "fertiliser_distribution", _("fertiliser-distribution tie-in")
    FESTIVAL = "festival", _("festival / stand")
    EMPLOYER_VISIT = "employer_visit", _("employer visit")
    OTHER = "other", _("other")


# What counts as a visit to a village for village visit coverage: everything that reaches its
# people, not a visit to one employer there.
VISIT_KINDS = [k for k in EventKind.values if k != EventKind.EMPLOYER_VISIT]


class PartnerAgency(models.TextChoices):
    """The agencies outreach works with (cooperation agreements, DESIGN §1)."""

    AGRICULTURE = "agriculture", _("agriculture office (Dinas Pertanian)")
    FISHERIES = "fisheries", _("fisheries office (Dinas Perikanan)")
    COOPERATIVES = "cooperatives", _("cooperatives, SME and labour office")
    VILLAGE_GOVERNMENT = "village_government", _("village government")
    DISTRICT_OFFICE = "district_office", _("district office (kecamatan)")
    BPJS = "bpjs", _("BPJS Ketenagakerjaan branch")
    OTHER = "other", _("other")


class PlantingSeason(models.TextChoices):
    """Java/Madura rice seasons, when subsidised fertiliser is distributed."""

    RENDENG = "rendeng", _("wet season (rendeng, Oct-Mar)")
    GADU = "gadu", _("first dry season (gadu, Apr-Jul)")
    KEMARAU = "kemarau", _("second dry season (kemarau, Aug-Sep)")


class DistributionPoint(models.TextChoices):
    KIOSK = "kiosk", _("fertiliser kiosk (kios pupuk)")
    FARMER_GROUP = "farmer_group", _("farmer group (kelompok tani)")


# Attendance is counted per group; the API takes {"farmers": 40, "fishers": 3, …}.
ATTENDANCE_GROUPS = ["farmers", "livestock_keepers", "fishers", "village_officials", "others"]


class OutreachEvent(TimeStamped):
    """Something a field officer did in one or more villages of one regency. `client_id` is made
    by the phone (or the form) before sending, so a retried request finds the event it made."""

    client_id = models.UUIDField(_("client id"), default=uuid.uuid4, unique=True, editable=False)
    # SHA-256 of the event as first sent (normalised): a retry with the same client_id must carry
    # the same event. Blank on events logged before it was kept: any retry is taken as the same.
    payload_hash = models.CharField(_("payload hash"), max_length=64, blank=True, editable=False)
    kind = models.CharField(_("kind"), max_length=30, choices=EventKind.choices)
    date = models.DateField(_("date"))
    time = models.TimeField(_("time"), null=True, blank=True)
    regency = models.ForeignKey(Region, verbose_name=_("regency"), on_delete=models.PROTECT, related_name="+")
    villages = models.ManyToManyField(
        Region, verbose_name=_("villages"), through="EventVillage", related_name="outreach_events"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("logged by"), on_delete=models.PROTECT, related_name="+"
    )
    officers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("officers"), related_name="outreach_events", blank=True
    )
    partner = models.CharField(_("partner"), max_length=150, blank=True)
    partner_agency = models.CharField(_("partner agency"), max_length=20, choices=PartnerAgency.choices, blank=True)
    farmers = models.PositiveIntegerField(_("farmers"), default=0)
    livestock_keepers = models.PositiveIntegerField(_("livestock keepers"), default=0)
    fishers = models.PositiveIntegerField(_("fishers"), default=0)
    village_officials = models.PositiveIntegerField(_("village officials"), default=0)
    others = models.PositiveIntegerField(_("others"), default=0)
    notes = models.TextField(_("notes"), blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    planting_season = models.CharField(_("planting season"), max_length=10, choices=PlantingSeason.choices, blank=True)
    distribution_point_kind = models.CharField(
        _("distribution point"), max_length=15, choices=DistributionPoint.choices, blank=True
    )
    distribution_point = models.CharField(_("kiosk or farmer group"), max_length=150, blank=True)
    # The employer an employer visit went to (employer compliance: the employer's page lists its
    # visits). PROTECT: an employer that was visited stays, with the history of who went there.
    employer = models.ForeignKey(
        "enrollment.Employer",
        verbose_name=_("employer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
    )

    class Meta:
        verbose_name = _("outreach event")
        verbose_name_plural = _("outreach events")
        ordering = ["-date", "-time", "-id"]
        indexes = [
            models.Index(fields=["regency", "date"], name="event_regency_date"),
            models.Index(fields=["created_by", "date"], name="event_officer_date"),
            # The country's and a province's events of a month (progress pages).
            models.Index(fields=["date"], name="event_date"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90), name="event_latitude"
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="event_longitude",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.date:%Y-%m-%d}"

    def get_absolute_url(self):
        return reverse("outreach:event-detail", args=[self.pk])

    @property
    def attendance(self) -> dict[str, int]:
        return {group: getattr(self, group) for group in ATTENDANCE_GROUPS}

    @property
    def attendance_total(self) -> int:
        return sum(self.attendance.values())


class EventVillage(models.Model):
    """A village an event reached. Date and kind are copied from the event so that village visit
    coverage (last visit per village, villages not visited for N days) reads one indexed table."""

    event = models.ForeignKey(OutreachEvent, verbose_name=_("event"), on_delete=models.CASCADE, related_name="+")
    village = models.ForeignKey(Region, verbose_name=_("village"), on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=30, choices=EventKind.choices)

    class Meta:
        verbose_name = _("event village")
        verbose_name_plural = _("event villages")
        constraints = [models.UniqueConstraint(fields=["event", "village"], name="event_village_once")]
        indexes = [
            models.Index(fields=["village", "date"], name="event_village_date"),
            # Villages visited in the last 90 days across a province or the country (progress
            # pages): a date range read from the index alone.
            models.Index(fields=["date", "village", "kind"], name="event_village_by_date"),
        ]

    def __str__(self):
        return f"{self.village_id} {self.date:%Y-%m-%d}"


class LeadStatus(models.TextChoices):
    INTERESTED = "interested", _("interested")
    ADDED = "added", _("added to a batch")
    DECLINED = "declined", _("declined")
    # Registered with BPJS by other means (on their own as BPU, through an employer), as a
    # follow-up found out: nothing more to follow up, and no batch needed.
    ENROLLED = "enrolled", _("enrolled")


class Lead(TimeStamped):
    """A person met at an event who may enroll. The officer follows up until the person is added
    to a batch or declines."""

    event = models.ForeignKey(
        OutreachEvent, verbose_name=_("event"), null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("officer"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=150)
    nik = models.CharField(_("NIK"), max_length=16, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, help_text=_("E.164, e.g. +6281234567812"))
    village = models.ForeignKey(Region, verbose_name=_("village"), on_delete=models.PROTECT, related_name="+")
    occupation = models.CharField(_("occupation"), max_length=100, blank=True)
    occupation_group = models.CharField(
        _("occupation group"), max_length=20, choices=OccupationGroup.choices, blank=True
    )
    status = models.CharField(_("status"), max_length=12, choices=LeadStatus.choices, default=LeadStatus.INTERESTED)
    next_follow_up = models.DateField(_("next follow-up"), null=True, blank=True)
    batch = models.ForeignKey(
        "enrollment.EnrollmentBatch",
        verbose_name=_("batch"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["next_follow_up", "id"]
        indexes = [
            models.Index(fields=["officer", "status", "next_follow_up"], name="lead_follow_ups"),
            models.Index(fields=["village", "status"], name="lead_village_status"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(nik="") | Q(nik__regex=r"^[0-9]{16}$"), name="lead_nik_16_digits"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("outreach:lead-detail", args=[self.pk])


class FollowUpChannel(models.TextChoices):
    VISIT = "visit", _("visit")
    PHONE = "phone", _("phone call")
    WHATSAPP = "whatsapp", _("WhatsApp")


class FollowUpOutcome(models.TextChoices):
    REACHED = "reached", _("reached")
    NOT_REACHED = "not_reached", _("not reached")
    WILL_ENROLL = "will_enroll", _("will enroll")
    ENROLLED = "enrolled", _("enrolled")
    DECLINED = "declined", _("declined")


class LeadFollowUp(TimeStamped):
    """One contact with a lead: when, how, what came of it, who made it and when to try next. The
    log is written once and never edited; the lead's status and next follow-up date follow from
    its latest entry (`outreach.services.lead_follow_up_record`)."""

    lead = models.ForeignKey(Lead, verbose_name=_("lead"), on_delete=models.CASCADE, related_name="follow_ups")
    date = models.DateField(_("date"))
    channel = models.CharField(_("how"), max_length=10, choices=FollowUpChannel.choices)
    outcome = models.CharField(_("outcome"), max_length=12, choices=FollowUpOutcome.choices)
    notes = models.TextField(_("notes"), blank=True)
    next_date = models.DateField(_("next follow-up"), null=True, blank=True)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("lead follow-up")
        verbose_name_plural = _("lead follow-ups")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["lead", "date"], name="lead_follow_up_date")]

    def __str__(self):
        return f"{self.lead_id} {self.date:%Y-%m-%d} {self.outcome}"
