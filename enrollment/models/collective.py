"""Who gets protected and who pays (DESIGN §3, `enrollment/`): participants, premium rates,
funding allocations, collective-enrollment batches and their members, and member imports."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

# OccupationGroup lives in the core (its occupation figures use it); imported here for the
# participants and for everything that has always imported it from enrollment.models.
from ucj.models import OccupationGroup, Region, TimeStamped


class Sex(models.TextChoices):
    MALE = "L", _("male (L)")
    FEMALE = "P", _("female (P)")


class Participant(TimeStamped):
    """One person, one record: the NIK is unique. Personal data: lists mask the NIK and phone
    for roles that do not need them."""

    nik = models.CharField(_("NIK"), max_length=16, unique=True)
    kk = models.CharField(_("family card number (KK)"), max_length=16, blank=True)
    name = models.CharField(_("name"), max_length=150)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"))
    village = models.ForeignKey(
        Region, verbose_name=_("village of domicile"), on_delete=models.PROTECT, related_name="+"
    )
    occupation = models.CharField(_("occupation"), max_length=100, blank=True)
    occupation_group = models.CharField(
        _("occupation group"), max_length=20, choices=OccupationGroup.choices, default=OccupationGroup.OTHER
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True, help_text=_("E.164, e.g. +6281234567812"))
    kpj = models.CharField(_("BPJS card number (KPJ)"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["name", "nik"]
        indexes = [models.Index(fields=["village", "name"], name="participant_village_name")]
        constraints = [
            models.CheckConstraint(condition=Q(nik__regex=r"^[0-9]{16}$"), name="participant_nik_16_digits"),
        ]

    def __str__(self):
        return f"{self.name} ({mask_nik(self.nik)})"


def mask_nik(nik: str) -> str:
    """`3526********0001`: the district (where the card was issued) and the serial stay visible."""
    if not nik or len(nik) != 16:
        return "****************"
    return nik[:4] + "*" * 8 + nik[12:]


def mask_birth_date(birth_date) -> str:
    """Nothing, not even the year: a masked NIK hides the district and the birth date (DDMMYY, 40
    added to the day for women). With the village (which gives the district), the sex and the year
    shown beside it, some 366 candidates were left, and a look-up by NIK found the one in 226
    tries; without the year it is some 25,000 (ucj.api_base.NikLookupThrottle counts them)."""
    return ""


def mask_phone(phone: str) -> str:
    return phone[:6] + "*" * max(len(phone) - 9, 0) + phone[-3:] if len(phone) > 9 else ("*" * len(phone))


class Programme(models.TextChoices):
    JKK = "jkk", _("JKK (work accident)")
    JKM = "jkm", _("JKM (death benefit)")
    JHT = "jht", _("JHT (old-age savings)")
    JP = "jp", _("JP (pension)")


DEFAULT_PROGRAMMES = [Programme.JKK.value, Programme.JKM.value]


class Scheme(models.TextChoices):
    """How a participant's premium is reckoned: non-wage participants (BPU) on a declared income
    level, wage earners (PU) on their monthly wage."""

    BPU = "bpu", _("non-wage (BPU): on the declared income")
    PU = "pu", _("wage earner (PU): on the monthly wage")


class RiskClass(models.TextChoices):
    """JKK risk classes of wage earners' work (PP 44/2015, Lampiran I)."""

    VERY_LOW = "very_low", _("very low risk")
    LOW = "low", _("low risk")
    MEDIUM = "medium", _("medium risk")
    HIGH = "high", _("high risk")
    VERY_HIGH = "very_high", _("very high risk")


# Village administration is government work of the lowest risk class: village officials are paid
# like non-ASN government workers, JKK 0.24 % (PP 44/2015 as amended by PP 82/2019).
VILLAGE_RISK_CLASS = RiskClass.VERY_LOW


class PremiumRate(TimeStamped):
    """A programme's monthly premium under one scheme from a date on: a percentage of the declared
    income (BPU) or of the wage (PU) plus a flat amount. BPU (PP 44/2015): JKK 1 %, JKM Rp6,800,
    JHT 2 %. PU: JKK by risk class (0.24 % to 1.74 %), JKM 0.30 %, JHT 5.7 %, JP 3 % of the wage up
    to `wage_cap`, which BPJS raises every year (a new row each time). Rates are data: a new
    regulation is a new row with a later `valid_from`, not a code change. A month is costed at the
    rates valid on its first day."""

    scheme = models.CharField(_("scheme"), max_length=3, choices=Scheme.choices, default=Scheme.BPU)
    programme = models.CharField(_("programme"), max_length=3, choices=Programme.choices)
    # PU's JKK only: the rate of one risk class. Empty for every other rate.
    risk_class = models.CharField(_("risk class"), max_length=10, choices=RiskClass.choices, blank=True)
    valid_from = models.DateField(_("valid from"))
    percent_of_income = models.DecimalField(_("percent of declared income"), max_digits=5, decimal_places=2, default=0)
    flat_amount = models.PositiveIntegerField(_("flat amount (Rp)"), default=0)
    # PU's JP only: the highest monthly wage the percentage applies to (PP 45/2015 Pasal 29).
    wage_cap = models.PositiveBigIntegerField(_("wage cap (Rp)"), null=True, blank=True)
    legal_basis = models.CharField(_("legal basis"), max_length=200)

    class Meta:
        verbose_name = _("premium rate")
        verbose_name_plural = _("premium rates")
        ordering = ["scheme", "programme", "risk_class", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "programme", "risk_class", "valid_from"], name="premium_rate_unique_per_date"
            ),
        ]

    def __str__(self):
        rate = f"{self.percent_of_income}% + Rp{self.flat_amount}"
        return f"{self.scheme.upper()} {self.get_programme_display()} {rate} ({self.valid_from})"


class IncomeLevel(TimeStamped):
    """One of the declared monthly incomes a non-wage (BPU) participant may choose, from a date on
    (PP 44/2015, Lampiran II): the levels valid on a day are the rows of the latest `valid_from`
    up to it. The lowest is Rp1,000,000."""

    valid_from = models.DateField(_("valid from"))
    amount = models.PositiveIntegerField(_("declared monthly income (Rp)"))
    legal_basis = models.CharField(_("legal basis"), max_length=200)

    class Meta:
        verbose_name = _("declared income level")
        verbose_name_plural = _("declared income levels")
        ordering = ["-valid_from", "amount"]
        constraints = [
            models.UniqueConstraint(fields=["valid_from", "amount"], name="income_level_unique_per_date"),
        ]

    def __str__(self):
        return f"Rp{self.amount} ({self.valid_from})"


class FundingSource(models.TextChoices):
    APBD = "apbd", _("APBD (regency budget)")
    DBHCHT = "dbhcht", _("DBHCHT (tobacco excise fund)")
    DANA_DESA = "dana_desa", _("APBDes / Dana Desa (village budget)")
    OTHER = "other", _("other")


# Government money: members must be under 65 (DESIGN §3).
GOVERNMENT_SOURCES = {FundingSource.APBD, FundingSource.DBHCHT, FundingSource.DANA_DESA}
# A village's own budget is allocated to the village, everything else to the regency.
VILLAGE_SOURCES = {FundingSource.DANA_DESA}


class FundingAllocation(TimeStamped):
    """Money a regency (or, for APBDes / Dana Desa, one village) sets aside in a year from one
    source. What is committed is derived from the approved and active batches drawing on it, and
    read under a row lock when a batch is approved, so it can never be over-committed."""

    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    source = models.CharField(_("funding source"), max_length=10, choices=FundingSource.choices)
    amount = models.PositiveBigIntegerField(_("amount (Rp)"))
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("funding allocation")
        verbose_name_plural = _("funding allocations")
        ordering = ["-year", "region_id", "source"]
        constraints = [
            models.UniqueConstraint(fields=["region", "year", "source"], name="allocation_unique_per_source_year"),
        ]

    def __str__(self):
        return f"{self.region_id} {self.year} {self.get_source_display()}: Rp{self.amount}"


class BatchKind(models.TextChoices):
    VILLAGE_OFFICIALS = "village_officials", _("village officials")
    VULNERABLE_WORKERS = "vulnerable_workers", _("vulnerable workers")


# The BPJS segment a batch's members count in: village officials are paid a fixed income by the
# village (siltap) and are registered as wage earners (PU); vulnerable workers whose premiums the
# regency pays are non-wage earners (BPU).
SEGMENT_OF_KIND = {BatchKind.VILLAGE_OFFICIALS: "pu", BatchKind.VULNERABLE_WORKERS: "bpu"}


class BatchState(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted")
    VERIFIED = "verified", _("verified")
    APPROVED = "approved", _("approved")
    ACTIVE = "active", _("active")
    REJECTED = "rejected", _("rejected")
    CANCELLED = "cancelled", _("cancelled")


# A person can be in only one open batch (DESIGN §3).
OPEN_STATES = [BatchState.DRAFT, BatchState.SUBMITTED, BatchState.VERIFIED, BatchState.APPROVED]
# Money is reserved from approval until cancellation.
COMMITTED_STATES = [BatchState.APPROVED, BatchState.ACTIVE]
# The batches whose `total_cost` an allocation counts as committed: approved and active ones, and
# active ones cancelled later, which keep the months already covered (`paid_until`). A batch
# cancelled before activation keeps nothing. Every sum of committed money filters with this.
RESERVES_MONEY = Q(state__in=COMMITTED_STATES) | Q(state=BatchState.CANCELLED, paid_until__isnull=False)


class EnrollmentBatch(TimeStamped):
    """A collective enrollment: a list of people whose premiums one funding source pays for a
    period. `member_count`, `monthly_premium` and `total_cost` are kept by the services whenever
    members or terms change (the batch can only change while it is a draft)."""

    kind = models.CharField(_("kind"), max_length=20, choices=BatchKind.choices)
    state = models.CharField(_("state"), max_length=10, choices=BatchState.choices, default=BatchState.DRAFT)
    regency = models.ForeignKey(Region, verbose_name=_("regency"), on_delete=models.PROTECT, related_name="+")
    # The part of the regency the batch covers: the regency itself, a district or a village. Its
    # members live there; the scope reads the batch through it.
    area = models.ForeignKey(Region, verbose_name=_("area"), on_delete=models.PROTECT, related_name="+")
    funding_source = models.CharField(_("funding source"), max_length=10, choices=FundingSource.choices)
    year = models.PositiveSmallIntegerField(_("budget year"))
    period_start = models.DateField(_("coverage from"))
    period_end = models.DateField(_("coverage until"))
    declared_income = models.PositiveIntegerField(_("declared monthly income (Rp)"), default=1_000_000)
    programmes = models.JSONField(_("programmes"), default=list)
    monthly_premium = models.PositiveIntegerField(_("monthly premium per member (Rp)"), default=0)
    member_count = models.PositiveIntegerField(_("members"), default=0)
    total_cost = models.PositiveBigIntegerField(_("total cost (Rp)"), default=0)
    decree_number = models.CharField(_("decree number (SK)"), max_length=120, blank=True)
    title = models.CharField(_("title"), max_length=150, blank=True)
    allocation = models.ForeignKey(
        FundingAllocation,
        verbose_name=_("allocation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="batches",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    state_changed_at = models.DateTimeField(_("state changed at"), null=True, blank=True)
    last_reason = models.TextField(_("last reason"), blank=True)
    # Who took the steps that four eyes keep apart (DESIGN §3), kept on the row so that the rule
    # is read under the batch's lock and lists can show each batch's actions without reading its
    # history. A return to draft clears the submitter and the verifier: the next round is new.
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The last day the funding source pays for when an active batch was cancelled: the end of the
    # month of cancellation (premiums are paid monthly in advance, so that month is paid). Null
    # while the whole period is paid, and for a batch cancelled before activation (nothing paid).
    paid_until = models.DateField(_("paid until"), null=True, blank=True)
    # The first day of the first month paid when the batch was activated after its period began:
    # BPJS does not backdate protection, so the months before the activation month are released.
    # Null when the whole period from its start is paid (activated in time, or not yet active).
    paid_from = models.DateField(_("paid from"), null=True, blank=True)

    class Meta:
        verbose_name = _("enrollment batch")
        verbose_name_plural = _("enrollment batches")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["area", "state"], name="batch_area_state"),
            models.Index(fields=["allocation", "state"], name="batch_allocation_state"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(period_start__lte=models.F("period_end")), name="batch_period_order"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.get_kind_display()} {self.regency_id} {self.year} ({self.get_state_display()})"

    def get_absolute_url(self):
        return reverse("enrollment:batch-detail", args=[self.pk])

    @property
    def months(self) -> int:
        return months_between(self.period_start, self.period_end)

    @property
    def paid_start(self):
        """The first day paid: the period's start, or the activation month's first day when the
        batch was activated later (`paid_from`)."""
        return self.period_start if self.paid_from is None else max(self.paid_from, self.period_start)

    @property
    def paid_end(self):
        """The last day paid: the period's end, or `paid_until` when an active batch was cancelled."""
        return self.period_end if self.paid_until is None else min(self.paid_until, self.period_end)

    @property
    def paid_months(self) -> int:
        """The months the batch costs: from its start (or the activation month, `paid_from`)
        through its end (or `paid_until`); none when it was cancelled before they began."""
        return max(months_between(self.paid_start, self.paid_end), 0)

    @property
    def is_officials(self) -> bool:
        return self.kind == BatchKind.VILLAGE_OFFICIALS

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def requires_under_65(self) -> bool:
        return self.funding_source in GOVERNMENT_SOURCES

    @property
    def decree_kind(self) -> str:
        """The decree that is the batch's legal basis, by who pays (DESIGN §3): the village head's
        for a village budget, else the regent's for a kabupaten or the mayor's for a kota."""
        if self.funding_source in VILLAGE_SOURCES:
            return str(_("SK Kepala Desa"))
        if self.regency.kind == Region.Kind.CITY:
            return str(_("SK Wali Kota"))
        return str(_("SK Bupati"))


def months_between(start, end) -> int:
    """Calendar months covered from `start` to `end`, both included (June to December is 7)."""
    return (end.year - start.year) * 12 + end.month - start.month + 1


class MemberState(models.TextChoices):
    PENDING = "pending", _("pending")
    ACCEPTED = "accepted", _("accepted")
    REJECTED = "rejected", _("rejected")


class Position(models.TextChoices):
    """Village officials (perangkat desa) and the village council."""

    KEPALA_DESA = "kepala_desa", _("village head (kepala desa)")
    SEKRETARIS_DESA = "sekretaris_desa", _("village secretary (sekretaris desa)")
    KAUR = "kaur", _("head of affairs (kaur)")
    KASI = "kasi", _("head of section (kasi)")
    KEPALA_DUSUN = "kepala_dusun", _("hamlet head (kepala dusun)")
    STAF = "staf", _("village staff")
    BPD = "bpd", _("village council (BPD)")
    OTHER = "other", _("other")


class BatchMember(TimeStamped):
    """A person on a batch. `is_open` mirrors the batch's state so that the database itself holds
    the rule "one person, one open batch" (a partial unique index)."""

    # No index of their own on either key: the unique (batch, participant) serves the batch and
    # (participant, state) serves the participant. Every index costs a 100,000-row import a write
    # per row (docs/performance.md, "Member import").
    batch = models.ForeignKey(
        EnrollmentBatch, verbose_name=_("batch"), on_delete=models.CASCADE, related_name="members", db_index=False
    )
    participant = models.ForeignKey(
        Participant,
        verbose_name=_("participant"),
        on_delete=models.PROTECT,
        related_name="memberships",
        db_index=False,
    )
    state = models.CharField(_("state"), max_length=10, choices=MemberState.choices, default=MemberState.PENDING)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    position = models.CharField(_("position"), max_length=20, choices=Position.choices, blank=True)
    is_open = models.BooleanField(_("in an open batch"), default=True)
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
    # The days this person counts toward coverage through UCJ: from activation (never before the
    # period starts) to the period's end, cut short by a cancellation. Set only going forward, so
    # the count of any past day never changes.
    covered_from = models.DateField(_("covered from"), null=True, blank=True)
    covered_until = models.DateField(_("covered until"), null=True, blank=True)
    # Village officials (PU): their fixed monthly pay (siltap plus fixed allowances) and the premium
    # it costs a month at the rates of the period's first month. Null for vulnerable workers, whose
    # premium is the batch's (`EnrollmentBatch.monthly_premium`, on the declared income).
    wage = models.PositiveBigIntegerField(_("fixed monthly pay (Rp)"), null=True, blank=True)
    monthly_premium = models.PositiveIntegerField(_("monthly premium (Rp)"), null=True, blank=True)
    # BPJS's confirmation said this person was already an active participant (e.g. a BPU member
    # paying for themself): recorded with their KPJ, but BPJS's own count already holds them, so
    # they do not add to UCJ's change since that count (the coverage selectors leave them out).
    # A database default too: the member import's COPY leaves the column out.
    already_registered = models.BooleanField(_("already registered with BPJS"), default=False, db_default=False)

    class Meta:
        verbose_name = _("batch member")
        verbose_name_plural = _("batch members")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "participant"], name="member_once_per_batch"),
            models.UniqueConstraint(fields=["participant"], condition=Q(is_open=True), name="member_one_open_batch"),
        ]
        indexes = [
            models.Index(fields=["participant", "state"], name="member_participant_state"),
            # Only counted members have these dates, and every reader compares them (which
            # implies NOT NULL): the pending and refused members stay out of both indexes.
            models.Index(fields=["covered_from"], name="member_covered_from", condition=Q(covered_from__isnull=False)),
            models.Index(
                fields=["covered_until"], name="member_covered_until", condition=Q(covered_until__isnull=False)
            ),
        ]

    def __str__(self):
        return f"{self.participant} in #{self.batch_id} ({self.get_state_display()})"


class ImportKind(models.TextChoices):
    MEMBERS = "members", _("members")
    ACTIVATION = "activation", _("BPJS confirmation")


class ImportSource(models.TextChoices):
    """Where an import's rows came from: a spreadsheet someone uploaded, or leads an officer put on
    the batch (outreach writes them out as rows and runs the same import on their behalf)."""

    FILE = "file", _("uploaded file")
    LEADS = "leads", _("leads")


class ImportState(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class ImportJob(TimeStamped):
    """One uploaded spreadsheet and what became of it. The file is kept in the database so any
    worker machine can read it; the per-row errors are kept for the downloadable report."""

    batch = models.ForeignKey(
        EnrollmentBatch, verbose_name=_("batch"), on_delete=models.CASCADE, related_name="imports"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ImportKind.choices, default=ImportKind.MEMBERS)
    source = models.CharField(_("source"), max_length=10, choices=ImportSource.choices, default=ImportSource.FILE)
    state = models.CharField(_("state"), max_length=10, choices=ImportState.choices, default=ImportState.QUEUED)
    filename = models.CharField(_("file name"), max_length=255)
    content = models.BinaryField(_("file"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows checked"), default=0)
    accepted = models.PositiveIntegerField(_("accepted"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    # Rows of people already on this batch (a corrected file uploaded again): neither added nor refused.
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    # A BPJS confirmation: of the accepted members, those new to BPJS and those it already had.
    new_participants = models.PositiveIntegerField(_("new to BPJS"), default=0)
    already_registered = models.PositiveIntegerField(_("already registered with BPJS"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.filename} → #{self.batch_id} ({self.get_state_display()})"

    @property
    def origin(self) -> str:
        """What the rows were, for pages and the history: the file's name, or how many leads an
        officer put on the batch (outreach writes them out as a file nobody uploaded)."""
        if self.source == ImportSource.LEADS:
            return ngettext("from %(n)s lead", "from %(n)s leads", self.total_rows) % {"n": self.total_rows}
        return self.filename

    @property
    def percent(self) -> int:
        if self.state == ImportState.DONE:
            return 100
        return int(self.processed_rows * 100 / self.total_rows) if self.total_rows else 0

    @property
    def finished(self) -> bool:
        return self.state in (ImportState.DONE, ImportState.FAILED)
