"""Employer compliance (DESIGN §1, §3): employers with the figures each side reports, the findings
derived from them, and the escalation cases of PP 86/2013 that follow a finding."""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ucj.models import Region, TimeStamped


class Sector(models.TextChoices):
    """KBLI 2020 sections, grouped as the labour office reports them."""

    AGRICULTURE = "agriculture", _("agriculture, forestry and fisheries")
    MINING = "mining", _("mining and quarrying")
    MANUFACTURING = "manufacturing", _("manufacturing")
    CONSTRUCTION = "construction", _("construction")
    TRADE = "trade", _("wholesale and retail trade")
    TRANSPORT = "transport", _("transport and storage")
    HOSPITALITY = "hospitality", _("accommodation and food service")
    FINANCE = "finance", _("finance and insurance")
    HEALTH_EDUCATION = "health_education", _("health and education")
    SERVICES = "services", _("other services")


class EmployerSize(models.TextChoices):
    """Business scale of PP 7/2021, which decides the mandatory programmes (Perpres 109/2013)."""

    MICRO = "micro", _("micro")
    SMALL = "small", _("small")
    MEDIUM = "medium", _("medium")
    LARGE = "large", _("large")


class EmployerProgramme(models.TextChoices):
    JKK = "jkk", _("JKK (work accident)")
    JKM = "jkm", _("JKM (death benefit)")
    JHT = "jht", _("JHT (old-age savings)")
    JP = "jp", _("JP (pension)")


# Perpres 109/2013 art. 6: micro businesses register at least JKK and JKM, small ones JHT as well,
# medium and large ones the pension (JP) too. (JKP follows from these and is paid by the state.)
MANDATORY_PROGRAMMES = {
    EmployerSize.MICRO: ("jkk", "jkm"),
    EmployerSize.SMALL: ("jkk", "jkm", "jht"),
    EmployerSize.MEDIUM: ("jkk", "jkm", "jht", "jp"),
    EmployerSize.LARGE: ("jkk", "jkm", "jht", "jp"),
}


# No date of this domain lies before 2013: PP 86/2013, the sanctions that cases follow, dates from
# that year, and BPJS Ketenagakerjaan took over from Jamsostek on 1 January 2014. An earlier case
# step, closing or figure date is a typing error (0001-01-01 would make a case 2,000 years overdue).
EARLIEST_DATE = dt.date(2013, 1, 1)


class Finding(models.TextChoices):
    PDS_WORKERS = "pds_workers", _("PDS workers (not every worker registered)")
    PDS_WAGES = "pds_wages", _("PDS wages (wages registered below the real ones)")
    PDS_PROGRAMME = "pds_programme", _("PDS programme (a mandatory programme missing)")
    PWBD = "pwbd", _("PWBD (obliged to register, not registered)")


class ComplianceStatus(models.TextChoices):
    """An employer's headline status: compliant, one or more findings, or not assessable yet
    (a figure one side must give is missing)."""

    COMPLIANT = "compliant", _("compliant")
    FINDINGS = "findings", _("findings")
    UNASSESSED = "unassessed", _("not assessed")


class Employer(TimeStamped):
    """A business in a regency. The labour office's side comes from WLKP (every employer reports
    its workers and wages yearly, UU 7/1981), keyed by NIB; BPJS's side from the branch's list of
    registered employers, keyed by NPP. Each side keeps its source and date.

    The finding columns are derived from the figures by `employer_assess` and stored, so that
    lists filter on them; every write of a figure goes through `enrollment.services.employers`,
    which re-derives them in the same transaction."""

    npp = models.CharField(_("NPP (BPJS employer number)"), max_length=20, blank=True)
    nib = models.CharField(_("NIB (business id)"), max_length=13, blank=True)
    name = models.CharField(_("name"), max_length=200)
    # Upper case, without legal form and punctuation: "PT. Garam Madura Jaya" → "GARAM MADURA JAYA".
    name_key = models.CharField(_("name for matching"), max_length=200, db_index=True, editable=False)
    village = models.ForeignKey(Region, verbose_name=_("village"), on_delete=models.PROTECT, related_name="+")
    regency = models.ForeignKey(
        Region, verbose_name=_("regency"), on_delete=models.PROTECT, related_name="+", editable=False
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices, default=Sector.SERVICES)
    size = models.CharField(_("size"), max_length=10, choices=EmployerSize.choices, default=EmployerSize.SMALL)

    # Reported to the labour office (WLKP).
    reported_workers = models.PositiveIntegerField(_("workers reported"), null=True, blank=True)
    reported_wages = models.PositiveBigIntegerField(_("monthly wage bill reported (Rp)"), null=True, blank=True)
    reported_source = models.CharField(_("source of the reported figures"), max_length=120, blank=True)
    reported_as_of = models.DateField(_("reported figures as of"), null=True, blank=True)

    # Registered with BPJS Ketenagakerjaan.
    bpjs_workers = models.PositiveIntegerField(_("workers registered with BPJS"), null=True, blank=True)
    bpjs_wages = models.PositiveBigIntegerField(_("monthly wages registered with BPJS (Rp)"), null=True, blank=True)
    bpjs_programmes = models.JSONField(_("programmes registered"), default=list, blank=True)
    bpjs_source = models.CharField(_("source of the BPJS figures"), max_length=120, blank=True)
    bpjs_as_of = models.DateField(_("BPJS figures as of"), null=True, blank=True)

    # Derived (employer_assess).
    status = models.CharField(
        _("compliance status"), max_length=12, choices=ComplianceStatus.choices, default=ComplianceStatus.UNASSESSED
    )
    pds_workers = models.BooleanField(_("PDS workers"), default=False)
    pds_wages = models.BooleanField(_("PDS wages"), default=False)
    pds_programme = models.BooleanField(_("PDS programme"), default=False)
    pwbd = models.BooleanField(_("PWBD"), default=False)
    gap_workers = models.PositiveIntegerField(_("workers not registered"), default=0)
    gap_wages = models.PositiveBigIntegerField(_("monthly wages not registered (Rp)"), default=0)

    class Meta:
        verbose_name = _("employer")
        verbose_name_plural = _("employers")
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["regency", "status"], name="employer_regency_status"),
            models.Index(fields=["village", "name_key"], name="employer_village_name"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["npp"], condition=~Q(npp=""), name="employer_npp_unique"),
            models.UniqueConstraint(fields=["nib"], condition=~Q(nib=""), name="employer_nib_unique"),
            models.CheckConstraint(condition=Q(npp="") | Q(npp__regex=r"^[0-9A-Z]{8,20}$"), name="employer_npp_format"),
            models.CheckConstraint(condition=Q(nib="") | Q(nib__regex=r"^[0-9]{13}$"), name="employer_nib_13_digits"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("enrollment:employer-detail", args=[self.pk])

    @property
    def findings(self) -> list[str]:
        flags = (
            (Finding.PDS_WORKERS, self.pds_workers),
            (Finding.PDS_WAGES, self.pds_wages),
            (Finding.PDS_PROGRAMME, self.pds_programme),
            (Finding.PWBD, self.pwbd),
        )
        return [finding.value for finding, on in flags if on]


class CaseState(models.TextChoices):
    OPEN = "open", _("open")
    CLOSED = "closed", _("closed")


class Track(models.TextChoices):
    """The two sequences a case follows side by side: BPJS Ketenagakerjaan's administrative
    sanctions (PP 86/2013) and the labour inspectors' own enforcement (UU 3/1951, Permenaker
    33/2016). A step follows the one before it in its own track only."""

    BPJS = "bpjs", _("BPJS Ketenagakerjaan's sanctions (PP 86/2013)")
    INSPECTION = "inspection", _("labour inspection")


class StepActor(models.TextChoices):
    """Who acts at a step. The labour office records every step in UCJ; the step says whose act
    it was (BPJS's letter, the inspectors' note, the regional government's refusal)."""

    BPJS = "bpjs", _("BPJS Ketenagakerjaan")
    INSPECTORS = "inspectors", _("labour inspectors")
    GOVERNMENT = "government", _("regional government's public service units, on BPJS's request")


class StepKind(models.TextChoices):
    # PP 86/2013 art. 5-9: BPJS's written warnings I and II, its fine, then the government's denial
    # of certain public services on BPJS's request.
    WARNING_1 = "warning_1", _("written warning I")
    WARNING_2 = "warning_2", _("written warning II")
    FINE = "fine", _("fine")
    SERVICE_DENIAL = "service_denial", _("denial of certain public services")
    # The labour inspectors (Permenaker 33/2016): inspection notes I and II, then referral to
    # the civil-servant investigators (PPNS ketenagakerjaan).
    NOTA_1 = "nota_1", _("inspection note I")
    NOTA_2 = "nota_2", _("inspection note II")
    REFERRAL = "referral", _("referral for investigation (PPNS)")


TRACK_STEPS = {
    Track.BPJS: [StepKind.WARNING_1, StepKind.WARNING_2, StepKind.FINE, StepKind.SERVICE_DENIAL],
    Track.INSPECTION: [StepKind.NOTA_1, StepKind.NOTA_2, StepKind.REFERRAL],
}
STEP_TRACK = {kind.value: track for track, kinds in TRACK_STEPS.items() for kind in kinds}
STEP_ACTOR = {
    StepKind.WARNING_1: StepActor.BPJS,
    StepKind.WARNING_2: StepActor.BPJS,
    StepKind.FINE: StepActor.BPJS,
    StepKind.SERVICE_DENIAL: StepActor.GOVERNMENT,
    StepKind.NOTA_1: StepActor.INSPECTORS,
    StepKind.NOTA_2: StepActor.INSPECTORS,
    StepKind.REFERRAL: StepActor.INSPECTORS,
}
# Where each step comes from, as the pages and the API cite it.
STEP_LEGAL_BASIS = {
    StepKind.WARNING_1: "PP 86/2013 art. 5(2)a, 6(1), 7(1)",
    StepKind.WARNING_2: "PP 86/2013 art. 5(2)a, 6(1), 7(1)",
    StepKind.FINE: "PP 86/2013 art. 5(2)b, 6(1), 7(2)-(4)",
    StepKind.SERVICE_DENIAL: "PP 86/2013 art. 5(2)c, 6(2), 8, 9",
    StepKind.NOTA_1: "UU 3/1951; Permenaker 33/2016",
    StepKind.NOTA_2: "UU 3/1951; Permenaker 33/2016",
    StepKind.REFERRAL: "UU 13/2003 art. 182 (PPNS); UU 24/2011 art. 55",
}
# Steps that give the employer a deadline; the next step of the track waits until it has passed.
# The warnings run `UCJ_CASE_STEP_WORKING_DAYS` working days (PP 86/2013 art. 7(1): at most 10
# each); an inspection note runs to the date the note gives (by default as long as a warning).
STEPS_WITH_DEADLINE = {StepKind.WARNING_1, StepKind.WARNING_2, StepKind.NOTA_1, StepKind.NOTA_2}
NOTE_STEPS = {StepKind.NOTA_1, StepKind.NOTA_2}
# Kinds of steps before PP 86/2013 was followed step by step (migration 0009): still named in the
# audit history, which is never rewritten.
LEGACY_STEP_LABELS = {
    "reminder": _("reminder / visit"),
    "inspector": _("referral to the labour inspector"),
    "sanction": _("recommendation to deny public services"),
}
# PP 86/2013 art. 7(3): the fine is 0.1 % a month of the premiums that should have been paid,
# counted from the end of the second written warning.
FINE_PER_MILLE_A_MONTH = 1
MAX_FINE_MONTHS = 120


class CaseOutcome(models.TextChoices):
    COMPLIED = "complied", _("complied in full")
    PARTLY = "partly", _("complied in part")
    NOT_OBLIGED = "not_obliged", _("not obliged after all (wrong figures)")
    CLOSED_BUSINESS = "closed_business", _("business closed")
    SANCTIONED = "sanctioned", _("sanction imposed")


class ComplianceCase(TimeStamped):
    """One finding about one employer followed up to its end. `regency` is the employer's, copied
    in so that scope filters cases without a join. At most one open case per employer and finding.
    `village` is the employer's village on the closing day, kept so that the workers the case
    added stay counted (as PU) where they were registered when the employer later moves."""

    employer = models.ForeignKey(Employer, verbose_name=_("employer"), on_delete=models.PROTECT, related_name="cases")
    regency = models.ForeignKey(
        Region, verbose_name=_("regency"), on_delete=models.PROTECT, related_name="+", editable=False
    )
    finding = models.CharField(_("finding"), max_length=15, choices=Finding.choices)
    state = models.CharField(_("state"), max_length=8, choices=CaseState.choices, default=CaseState.OPEN)
    # The gap when the case was opened, kept as the employer's figures move on.
    gap_workers = models.PositiveIntegerField(_("workers not registered at opening"), default=0)
    gap_wages = models.PositiveBigIntegerField(_("monthly wages not registered at opening (Rp)"), default=0)
    opened_on = models.DateField(_("opened on"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("opened by"), on_delete=models.PROTECT, related_name="+"
    )
    # The last step taken (either track), each track's last step and the employer's deadline
    # running on it, and the earliest deadline that runs (None: none does). Before any step,
    # `due_on` is when the first step is due.
    last_step = models.CharField(_("last step"), max_length=20, choices=StepKind.choices, blank=True)
    bpjs_step = models.CharField(_("last BPJS step"), max_length=20, choices=StepKind.choices, blank=True)
    inspection_step = models.CharField(_("last inspection step"), max_length=20, choices=StepKind.choices, blank=True)
    bpjs_due_on = models.DateField(_("BPJS step deadline"), null=True, blank=True)
    inspection_due_on = models.DateField(_("inspection deadline"), null=True, blank=True)
    due_on = models.DateField(_("next step due"), null=True, blank=True)
    fine_amount = models.PositiveBigIntegerField(_("fine (Rp)"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=CaseOutcome.choices, blank=True)
    village = models.ForeignKey(
        Region,
        verbose_name=_("village at closing"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    workers_added = models.PositiveIntegerField(_("workers registered after the case"), default=0)
    wages_added = models.PositiveBigIntegerField(_("monthly wages added (Rp)"), default=0)
    programmes_added = models.JSONField(_("programmes registered after the case"), default=list, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("compliance case")
        verbose_name_plural = _("compliance cases")
        ordering = ["-opened_on", "-id"]
        indexes = [
            models.Index(fields=["regency", "state", "due_on"], name="case_regency_state_due"),
            models.Index(fields=["state", "closed_on"], name="case_state_closed"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["employer", "finding"], condition=Q(state="open"), name="case_one_open_per_finding"
            ),
            models.CheckConstraint(
                condition=Q(state="open", closed_on__isnull=True, outcome="")
                | Q(state="closed", closed_on__isnull=False) & ~Q(outcome=""),
                name="case_closed_has_outcome",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.employer} — {self.get_finding_display()}"

    def get_absolute_url(self):
        return reverse("enrollment:case-detail", args=[self.pk])

    def track_step(self, track: str) -> str:
        """The last step taken in a track ("" before its first)."""
        return self.bpjs_step if track == Track.BPJS else self.inspection_step

    def track_due_on(self, track: str):
        """The employer's deadline running in a track (None when none runs)."""
        return self.bpjs_due_on if track == Track.BPJS else self.inspection_due_on

    def next_step_in(self, track: str) -> str | None:
        """The step the track may take next: the one after its last (enforced by the services)."""
        if self.state != CaseState.OPEN:
            return None
        order = [kind.value for kind in TRACK_STEPS[Track(track)]]
        last = self.track_step(track)
        if not last:
            return order[0]
        index = order.index(last)
        return order[index + 1] if index + 1 < len(order) else None

    @property
    def next_steps(self) -> list[str]:
        """The next step of each track, BPJS's first."""
        return [kind for track in Track.values if (kind := self.next_step_in(track))]


class CaseStep(models.Model):
    """One escalation step, as it happened: who recorded it, when, on which day it was taken, the
    letter's number. Steps are never edited; a wrong one is corrected by a note on the case."""

    case = models.ForeignKey(ComplianceCase, verbose_name=_("case"), on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(_("step"), max_length=20, choices=StepKind.choices)
    taken_on = models.DateField(_("taken on"))
    due_on = models.DateField(_("employer's deadline"), null=True, blank=True)
    document_number = models.CharField(_("document number"), max_length=100, blank=True)
    # The fine (PP 86/2013 art. 7(3)): 0.1 % a month of the premiums owed, over the months since
    # the second written warning ended. Both facts are kept beside the amount they give.
    premiums_owed = models.PositiveBigIntegerField(_("premiums owed (Rp)"), null=True, blank=True)
    fine_months = models.PositiveSmallIntegerField(_("months of fine"), null=True, blank=True)
    fine_amount = models.PositiveBigIntegerField(_("fine (Rp)"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("case step")
        verbose_name_plural = _("case steps")
        ordering = ["case", "taken_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "kind"], name="case_step_once"),
            models.CheckConstraint(
                condition=Q(
                    kind="fine", premiums_owed__isnull=False, fine_months__isnull=False, fine_amount__isnull=False
                )
                | ~Q(kind="fine") & Q(premiums_owed__isnull=True, fine_months__isnull=True, fine_amount__isnull=True),
                name="case_step_fine_facts",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.taken_on}"

    @property
    def track(self) -> str:
        return STEP_TRACK.get(self.kind, "")

    @property
    def actor(self) -> str:
        actor = STEP_ACTOR.get(self.kind)
        return actor.value if actor else ""

    def get_actor_display(self) -> str:
        actor = STEP_ACTOR.get(self.kind)
        return actor.label if actor else ""
