from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# The country is the root of the tree, above the 38 provinces, so that "national" is a region
# like any other for scope, selectors and progress pages. Kemendagri codes are digits and dots;
# the root takes Indonesia's ISO 3166 code, which can never collide with them.
ROOT_CODE = "ID"
# What a region code looks like: the root, or 2-digit province, regency and district parts and a
# 4-digit village part. URLs accept nothing else, so odd input never reaches the database.
REGION_CODE_PATTERN = r"ID|[0-9]{2}(?:\.[0-9]{2}){0,2}(?:\.[0-9]{4})?"


class TimeStamped(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class Region(models.Model):
    """An administrative region of Indonesia (Kepmendagri 300.2.2-2138/2025), keyed by its code.

    The code is hierarchical (`35`, `35.26`, `35.26.01`, `35.26.01.1001`), so a subtree is every
    code equal to a region's or starting with it plus a dot; foreign keys to Region hold the code
    itself, so other tables filter by region prefix without a join.
    """

    class Level(models.IntegerChoices):
        NATIONAL = 0, _("national")
        PROVINCE = 1, _("province")
        REGENCY = 2, _("regency / city")
        DISTRICT = 3, _("district")
        VILLAGE = 4, _("village")

    class Kind(models.TextChoices):
        COUNTRY = "negara", _("country")
        PROVINCE = "provinsi", _("province")
        REGENCY = "kabupaten", _("regency (kabupaten)")
        CITY = "kota", _("city (kota)")
        DISTRICT = "kecamatan", _("district (kecamatan)")
        DISTRIK = "distrik", _("district (distrik, Papua)")
        DESA = "desa", _("village (desa)")
        DESA_ADAT = "desa_adat", _("customary village (desa adat)")
        KELURAHAN = "kelurahan", _("urban village (kelurahan)")

    code = models.CharField(_("code"), max_length=13, primary_key=True)
    name = models.CharField(_("name"), max_length=120)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices, db_index=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    postal_code = models.CharField(_("postal code"), max_length=5, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level=0, parent__isnull=True) | models.Q(level__gt=0, parent__isnull=False),
                name="region_parent_matches_level",
            ),
        ]
        indexes = [models.Index(fields=["parent", "kind"], name="region_parent_kind")]

    def __str__(self):
        return f"{self.name} ({self.code})" if self.code != ROOT_CODE else self.name

    def get_absolute_url(self):
        return reverse("region-detail", args=[self.code])

    @property
    def is_root(self) -> bool:
        return self.code == ROOT_CODE

    @property
    def is_village(self) -> bool:
        return self.level == self.Level.VILLAGE

    def ancestor_codes(self) -> list[str]:
        """Codes from the root down to this region's parent, derived from the code alone."""
        if self.is_root:
            return []
        parts = self.code.split(".")
        return [ROOT_CODE] + [".".join(parts[:i]) for i in range(1, len(parts))]

    def contains(self, code: str) -> bool:
        return code_in_subtree(code, self.code)


def code_in_subtree(code: str, root: str) -> bool:
    return root == ROOT_CODE or code == root or code.startswith(root + ".")


def regency_code(code: str) -> str:
    """The regency (kabupaten/kota) a region of that level or below lies in: 35.26.02.2001 → 35.26."""
    return ".".join(code.split(".")[:2])


class Role(models.TextChoices):
    FIELD_OFFICER = "field_officer", _("field officer")
    LABOUR_OFFICE = "labour_office", _("labour office")
    SUPERVISOR = "supervisor", _("supervisor")
    ADMIN = "admin", _("administrator")


class Assignment(TimeStamped):
    """A user holds a role over a region and everything below it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="assignments"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [models.UniqueConstraint(fields=["user", "role", "region"], name="assignment_unique")]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.region_id}"


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Audit events are append-only: they cannot be changed.")

    def delete(self):
        raise PermissionError("Audit events are append-only: they cannot be deleted.")


class AuditEvent(models.Model):
    """Append-only history of who did what, when and why. Written in the same transaction as the
    change it records. Nothing changes or deletes it: the model and its queryset refuse, and the
    database refuses too (triggers, migration ucj 0003), so not even raw SQL or the admin can."""

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=60)
    target_type = models.CharField(_("target type"), max_length=60)
    target_id = models.CharField(_("target id"), max_length=64)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.target_type}:{self.target_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("Audit events are append-only: they cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit events are append-only: they cannot be deleted.")


class WorkerHeartbeat(models.Model):
    """Last time each Celery worker answered the periodic heartbeat: the administrator's proof
    that background work (coverage recalculation, imports) is actually running."""

    hostname = models.CharField(_("worker"), max_length=200, unique=True)
    last_seen = models.DateTimeField(_("last seen"))

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self):
        return f"{self.hostname} @ {self.last_seen:%Y-%m-%d %H:%M:%S}"


# --- Coverage facts: the figures coverage is computed from (DESIGN §1, §3). Each keeps its source
# and date, because published figures do not always reproduce from their parts.


class WorkforceEstimate(TimeStamped):
    """Working population of a region in a year (BPS "penduduk bekerja")."""

    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    workers = models.PositiveIntegerField(_("working people"))
    source = models.CharField(_("source"), max_length=255)
    as_of = models.DateField(_("as of"))

    class Meta:
        verbose_name = _("workforce estimate")
        verbose_name_plural = _("workforce estimates")
        constraints = [models.UniqueConstraint(fields=["region", "year"], name="workforce_region_year")]

    def __str__(self):
        return f"{self.region_id} {self.year}: {self.workers}"


class CoverageTarget(TimeStamped):
    """UCJ target of a region for a year, set by the Ministry of Home Affairs."""

    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    percent = models.DecimalField(_("target percent"), max_digits=5, decimal_places=2)
    source = models.CharField(_("source"), max_length=255)
    as_of = models.DateField(_("as of"))

    class Meta:
        verbose_name = _("coverage target")
        verbose_name_plural = _("coverage targets")
        constraints = [
            models.UniqueConstraint(fields=["region", "year"], name="target_region_year"),
            models.CheckConstraint(condition=models.Q(percent__gte=0, percent__lte=100), name="target_percent_range"),
        ]

    def __str__(self):
        return f"{self.region_id} {self.year}: {self.percent} %"


class MembershipCount(TimeStamped):
    """BPJS Ketenagakerjaan's own count of active participants in a region on a date. Segments
    are PU (wage earners), BPU (non-wage/informal), Jakon (construction), PMI (migrant workers);
    a published figure often gives only the total, so segments may be unknown."""

    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    as_of = models.DateField(_("as of"))
    total = models.PositiveIntegerField(_("active participants"))
    pu = models.PositiveIntegerField(_("wage earners (PU)"), null=True, blank=True)
    bpu = models.PositiveIntegerField(_("non-wage earners (BPU)"), null=True, blank=True)
    jakon = models.PositiveIntegerField(_("construction (Jakon)"), null=True, blank=True)
    pmi = models.PositiveIntegerField(_("migrant workers (PMI)"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=255)

    class Meta:
        verbose_name = _("BPJS membership count")
        verbose_name_plural = _("BPJS membership counts")
        constraints = [models.UniqueConstraint(fields=["region", "as_of"], name="membership_region_date")]
        indexes = [models.Index(fields=["region", "-as_of"], name="membership_latest")]

    def __str__(self):
        return f"{self.region_id} {self.as_of}: {self.total}"


class StaleRegion(models.Model):
    """A region whose coverage must be recomputed: written (in the transaction of the change) by
    anything that changes coverage facts, consumed by the coverage recalculation. A row per region,
    so a burst of changes to one village leaves one row."""

    region = models.OneToOneField(
        Region, verbose_name=_("region"), primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    marked_at = models.DateTimeField(_("marked at"))
    reason = models.CharField(_("reason"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("stale region")
        verbose_name_plural = _("stale regions")

    def __str__(self):
        return f"{self.region_id} since {self.marked_at:%Y-%m-%d %H:%M:%S}"


class CoverageBand(models.TextChoices):
    """Rating of a region's UCJ %; the cut-offs are configuration (settings.UCJ_COVERAGE_BANDS)."""

    SANGAT_RENDAH = "sangat_rendah", _("very low (sangat rendah)")
    RENDAH = "rendah", _("low (rendah)")
    SEDANG = "sedang", _("medium (sedang)")
    TINGGI = "tinggi", _("high (tinggi)")


def coverage_band(percent) -> str | None:
    """The band of a UCJ percentage, from the configured lower bounds of rendah, sedang, tinggi."""
    if percent is None:
        return None
    low, medium, high = settings.UCJ_COVERAGE_BANDS
    if percent >= high:
        return CoverageBand.TINGGI
    if percent >= medium:
        return CoverageBand.SEDANG
    if percent >= low:
        return CoverageBand.RENDAH
    return CoverageBand.SANGAT_RENDAH


class CoverageSnapshot(models.Model):
    """The computed coverage of a region on a day: derived from the facts above plus participants
    activated through UCJ, never edited by hand, rebuilt by `manage.py recalculate_coverage --all`.
    At most one row per region and day (a recalculation on the same day rewrites it); the row
    flagged `is_current` is the region's present state, the others are its history."""

    # No index of its own: snapshot_region_day (region, date) serves every lookup by region, and
    # two more index writes per row cost a full rebuild about 0.5 s of its 91,600 upserts.
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        on_delete=models.CASCADE,
        related_name="coverage_snapshots",
        db_index=False,
    )
    date = models.DateField(_("date"))
    computed_at = models.DateTimeField(_("computed at"))
    is_current = models.BooleanField(_("current"), default=True)
    workforce = models.PositiveBigIntegerField(_("working people"), null=True, blank=True)
    workforce_year = models.PositiveSmallIntegerField(_("workforce year"), null=True, blank=True)
    active = models.PositiveBigIntegerField(_("active participants"), null=True, blank=True)
    pu = models.PositiveBigIntegerField(_("wage earners (PU)"), null=True, blank=True)
    bpu = models.PositiveBigIntegerField(_("non-wage earners (BPU)"), null=True, blank=True)
    jakon = models.PositiveBigIntegerField(_("construction (Jakon)"), null=True, blank=True)
    pmi = models.PositiveBigIntegerField(_("migrant workers (PMI)"), null=True, blank=True)
    bpjs_as_of = models.DateField(_("BPJS figure as of"), null=True, blank=True)
    ucj_active = models.PositiveIntegerField(_("active through UCJ batches"), default=0)
    ucj_change = models.IntegerField(_("UCJ change since the BPJS figure"), null=True, blank=True)
    # {occupation group: UCJ's vulnerable workers counting on the day}; NULL: not counted (a
    # snapshot older than the figure), which readers count afresh rather than take for zero.
    occupations = models.JSONField(_("UCJ vulnerable workers by occupation"), null=True, blank=True)
    # {segment: UCJ's people counting on the day} (members and workers of closed compliance cases;
    # they add up to ucj_active); NULL: not counted (a snapshot older than the figure).
    ucj_segments = models.JSONField(_("UCJ participants by segment"), null=True, blank=True)
    percent = models.DecimalField(_("UCJ %"), max_digits=7, decimal_places=2, null=True, blank=True)
    target_percent = models.DecimalField(_("target %"), max_digits=5, decimal_places=2, null=True, blank=True)
    target_year = models.PositiveSmallIntegerField(_("target year"), null=True, blank=True)
    gap_points = models.DecimalField(_("gap (points)"), max_digits=7, decimal_places=2, null=True, blank=True)
    gap_people = models.BigIntegerField(_("gap (people)"), null=True, blank=True)
    sources = models.JSONField(_("sources"), default=list, blank=True)
    missing = models.JSONField(_("missing figures"), default=list, blank=True)

    class Meta:
        verbose_name = _("coverage snapshot")
        verbose_name_plural = _("coverage snapshots")
        ordering = ["region", "-date"]
        constraints = [
            models.UniqueConstraint(fields=["region", "date"], name="snapshot_region_day"),
            models.UniqueConstraint(
                fields=["region"], condition=models.Q(is_current=True), name="snapshot_one_current"
            ),
        ]

    def __str__(self):
        return f"{self.region_id} {self.date}: {self.percent} %"

    @property
    def band(self) -> str | None:
        return coverage_band(self.percent)

    @property
    def segments(self) -> dict:
        return {"pu": self.pu, "bpu": self.bpu, "jakon": self.jakon, "pmi": self.pmi}


class CoverageBaseline(models.Model):
    """UCJ's people counting in a region on the day of BPJS's count, per segment: a region's
    change since that count is what its snapshot counts now minus this. A past day's count does
    not change (protection starts today at the earliest, a cancellation ends it yesterday at the
    earliest), so the engine keeps it instead of scanning the members again; the full rebuild
    counts every one afresh. A compliance case closed on an earlier day does reach back: closing
    it forgets the rows of its village's regions from that day on (coverage_mark_stale)."""

    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.CASCADE, related_name="+")
    date = models.DateField(_("date"))
    segments = models.JSONField(_("UCJ participants by segment"), default=dict)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("coverage baseline")
        verbose_name_plural = _("coverage baselines")
        constraints = [models.UniqueConstraint(fields=["region", "date"], name="baseline_region_day")]

    def __str__(self):
        return f"{self.region_id} {self.date}: {self.segments}"


class CoverageSchedule(models.Model):
    """One row shared by every web process and worker: whether a coverage recalculation is queued,
    when the last one that did work started (bursts are coalesced against it), and the last day
    whose starting and lapsing protections were counted (so a missed night is caught up)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    pending_since = models.DateTimeField(_("recalculation queued at"), null=True, blank=True)
    last_run_at = models.DateTimeField(_("last recalculation at"), null=True, blank=True)
    days_done = models.DateField(_("protection periods counted up to"), null=True, blank=True)

    class Meta:
        verbose_name = _("coverage schedule")
        verbose_name_plural = _("coverage schedule")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="coverage_schedule_single_row")]

    def __str__(self):
        return f"queued {self.pending_since}, last run {self.last_run_at}, days done {self.days_done}"


class Holiday(TimeStamped):
    """A day off that deadlines in working days skip (PP 86/2013 warnings run 10 working days).
    Loaded from the `holidays` package (national holidays and cuti bersama) by `load_holidays`, and
    edited by administrators: a holiday the government moves is corrected here, not in code.

    `region` empty: a national day. Otherwise a province or a regency/city (a governor's or
    regent's decree: Bali's Galungan is not Madura's), which counts for employers there only."""

    class Kind(models.TextChoices):
        PUBLIC = "public", _("public holiday")
        COLLECTIVE_LEAVE = "collective_leave", _("collective leave (cuti bersama)")
        REGIONAL = "regional", _("regional holiday")

    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.PUBLIC)
    region = models.ForeignKey(
        Region,
        verbose_name=_("province or regency"),
        limit_choices_to={"level__in": [1, 2]},  # Region.Level.PROVINCE, REGENCY
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty for a national holiday; a province or a regency/city for its own holiday."),
    )
    # False keeps a loaded holiday that does not apply (a decree moved it) from coming back on reload.
    observed = models.BooleanField(_("observed"), default=True)
    source = models.CharField(_("source"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["date"], condition=models.Q(region__isnull=True), name="holiday_national_once"
            ),
            models.UniqueConstraint(
                fields=["date", "region"], condition=models.Q(region__isnull=False), name="holiday_regional_once"
            ),
        ]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.name}" + (f" ({self.region_id})" if self.region_id else "")

    def clean(self):
        super().clean()
        if self.region_id and self.region.level not in (Region.Level.PROVINCE, Region.Level.REGENCY):
            raise ValidationError({"region": _("A regional holiday belongs to a province or a regency/city.")})


class HolidayYear(TimeStamped):
    """A year whose national holidays are loaded (`load_holidays`, and beat every December for the
    next year). Deadlines in working days are refused past the loaded years rather than counted
    without their holidays; a year counts as loaded even when it has no regional holiday."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    source = models.CharField(_("source"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("holiday year loaded")
        verbose_name_plural = _("holiday years loaded")
        ordering = ["year"]

    def __str__(self):
        return str(self.year)


class OccupationGroup(models.TextChoices):
    """A coarse grouping of occupations, for coverage by occupation: the groups outreach and
    collective enrollment reach (vulnerable workers) and the occupation figures are kept in. Here
    in the core, not in enrollment, because the core's figures use it and the core imports nothing
    above it."""

    FARMER = "farmer", _("farmer")
    LIVESTOCK = "livestock", _("livestock keeper")
    FISHER = "fisher", _("fisher")
    LABOURER = "labourer", _("day labourer")
    TRADER = "trader", _("trader")
    VILLAGE_OFFICIAL = "village_official", _("village official")
    OTHER = "other", _("other")


class OccupationFigure(TimeStamped):
    """How many people of one occupation work in a region, and how many of them BPJS
    Ketenagakerjaan counts as participants, on a date: "farmers under 50 % covered, fishers almost
    all" (Bangkalan). A fact like the others, with its source and date. The coverage snapshots do
    not use it; progress pages show it beside them, adding the people UCJ enrolled since."""

    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    as_of = models.DateField(_("as of"))
    occupation = models.CharField(_("occupation group"), max_length=20, choices=OccupationGroup.choices)
    workers = models.PositiveIntegerField(_("workers"))
    covered = models.PositiveIntegerField(_("BPJS participants"))
    source = models.CharField(_("source"), max_length=255)

    class Meta:
        verbose_name = _("coverage by occupation")
        verbose_name_plural = _("coverage by occupation")
        constraints = [
            models.UniqueConstraint(fields=["region", "as_of", "occupation"], name="occupation_region_date"),
            models.CheckConstraint(condition=models.Q(covered__lte=models.F("workers")), name="occupation_covered_le"),
        ]
        indexes = [models.Index(fields=["region", "occupation", "-as_of"], name="occupation_latest")]

    def __str__(self):
        return f"{self.region_id} {self.as_of} {self.occupation}: {self.covered}/{self.workers}"


class RegionBoundary(TimeStamped):
    """A region's shape for the progress pages' map: a GeoJSON geometry (Polygon or MultiPolygon,
    longitude/latitude, RFC 7946 winding), simplified and rounded on load so that a phone draws a
    region's children quickly. Loaded from the shipped province file or imported from an official
    file (`import_boundaries`), never in a request; kept with its source, licence and date because
    the map must credit them (CC BY asks for the credit and for the changes made)."""

    region = models.OneToOneField(
        Region, verbose_name=_("region"), primary_key=True, on_delete=models.CASCADE, related_name="boundary"
    )
    # Stored as the JSON text the API sends, so a map read joins strings instead of decoding and
    # encoding every coordinate.
    geometry = models.TextField(_("geometry (GeoJSON)"))
    points = models.PositiveIntegerField(_("points"), default=0)
    source = models.CharField(_("source"), max_length=255)
    licence = models.CharField(_("licence"), max_length=120, blank=True)
    as_of = models.DateField(_("as of"))
    changes = models.CharField(_("changes made"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("region boundary")
        verbose_name_plural = _("region boundaries")

    def __str__(self):
        return f"{self.region_id}: {self.points} points ({self.source})"
