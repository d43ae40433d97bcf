"""The facts coverage is computed from (DESIGN §3): BPS workforce estimates, Kemendagri targets
and BPJS membership counts; and coverage by occupation, which progress pages show beside the
snapshots. Every write goes through here, one figure at a time (the admin, a script) or a whole
spreadsheet (the upload page, the import commands), so that each is checked by the same rules,
audited, and (for the figures snapshots are computed from) marks its region's coverage stale in
its own transaction.

Who may write: the system (`actor=None`: a management command), an administrator, or the labour
office of a region containing the figure's region. Everyone else is refused."""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, models, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ucj import scope, sheets
from ucj.coverage import importers
from ucj.coverage.importers import MEMBERSHIP, OCCUPATIONS, TARGETS, WORKFORCE, FactRow
from ucj.errors import ValidationFailed
from ucj.models import (
    ROOT_CODE,
    CoverageTarget,
    MembershipCount,
    OccupationFigure,
    OccupationGroup,
    Region,
    Role,
    WorkforceEstimate,
    code_in_subtree,
)
from ucj.services import audit_record, coverage_mark_stale

WRITER_ROLES = (Role.LABOUR_OFFICE, Role.ADMIN)
MIN_YEAR, MAX_YEAR = 2000, 2100
# More people than live in Indonesia (about 280 million): a typing mistake, not a figure.
MAX_PEOPLE = 300_000_000
SEGMENTS = ("pu", "bpu", "jakon", "pmi")
CHUNK = 2_000  # codes per IN list, well under SQLite's variable limit
WRITE_BATCH = 2_000
CENT = Decimal("0.01")


@dataclass(frozen=True)
class FactKind:
    name: str  # "workforce", "targets", "membership": the import's kind
    model: type[models.Model]
    key: str  # the natural key beside the region: the year, or the date of a count
    fields: tuple[str, ...]  # everything else a figure holds
    action: str  # audit actions are coverage.<action>_save / _delete / _import
    label: str
    extra_keys: tuple[str, ...] = ()  # more of the natural key (the occupation of a figure)
    # Whether the coverage snapshots are computed from it, so that a change marks them stale.
    marks_stale: bool = True

    @property
    def keys(self) -> tuple[str, ...]:
        """The natural key beside the region, every field of it."""
        return (self.key, *self.extra_keys)

    def key_of(self, values: dict) -> tuple:
        return tuple(values[name] for name in self.keys)


KINDS: dict[str, FactKind] = {
    WORKFORCE: FactKind(
        WORKFORCE,
        WorkforceEstimate,
        "year",
        ("workers", "source", "as_of"),
        "workforce",
        gettext_lazy("workforce estimates"),
    ),
    TARGETS: FactKind(
        TARGETS, CoverageTarget, "year", ("percent", "source", "as_of"), "target", gettext_lazy("coverage targets")
    ),
    MEMBERSHIP: FactKind(
        MEMBERSHIP,
        MembershipCount,
        "as_of",
        ("total", *SEGMENTS, "source"),
        "membership",
        gettext_lazy("BPJS membership counts"),
    ),
    OCCUPATIONS: FactKind(
        OCCUPATIONS,
        OccupationFigure,
        "as_of",
        ("workers", "covered", "source"),
        "occupation",
        gettext_lazy("coverage by occupation"),
        extra_keys=("occupation",),
        marks_stale=False,
    ),
}
KIND_OF_MODEL = {kind.model: kind for kind in KINDS.values()}


def kind_of(name: str) -> FactKind:
    try:
        return KINDS[name]
    except KeyError as exc:
        raise ValidationFailed(
            _("Unknown kind of figure %(kind)s; choose one of %(kinds)s.") % {"kind": name, "kinds": ", ".join(KINDS)}
        ) from exc


# --- Rules ----------------------------------------------------------------------------------------


def fact_errors(kind: FactKind, values: dict, *, today: dt.date | None = None) -> list[tuple[str, str]]:
    """(field, message) for every rule the figure breaks. Fields missing from `values` are not
    checked (a spreadsheet cell that could not be read has its own error already)."""
    today = today or timezone.localdate()
    errors: list[tuple[str, str]] = []
    year = values.get("year")
    if year is not None and not MIN_YEAR <= year <= MAX_YEAR:
        errors.append(("year", _("The year must be from %(min)s to %(max)s.") % {"min": MIN_YEAR, "max": MAX_YEAR}))
    for name in ("workers", "covered", "total", *SEGMENTS):
        number = values.get(name)
        if number is not None and not 0 <= number <= MAX_PEOPLE:
            errors.append(
                (
                    name,
                    _("The number must be from 0 to %(max)s.")
                    % {"max": number_format(MAX_PEOPLE, force_grouping=True)},
                )
            )
    percent = values.get("percent")
    if percent is not None and not Decimal(0) <= percent <= Decimal(100):
        errors.append(("percent", _("The target must be from 0 to 100 percent.")))
    elif percent is not None and percent != percent.quantize(CENT):
        errors.append(("percent", _("Write the target with at most 2 decimals.")))
    as_of = values.get("as_of")
    if as_of is not None and as_of > today:
        errors.append(("as_of", _("The date %(date)s is in the future.") % {"date": as_of.strftime("%d/%m/%Y")}))
    elif as_of is not None and as_of.year < MIN_YEAR:
        errors.append(
            ("as_of", _("The date %(date)s is before %(min)s.") % {"date": as_of.isoformat(), "min": MIN_YEAR})
        )
    if "source" in values:
        source = (values["source"] or "").strip()
        if not source:
            errors.append(("source", _("Give the source of the figure, e.g. BPS Sakernas Agustus 2024.")))
        elif len(source) > sheets.MAX_CELL_CHARS:
            errors.append(
                ("source", _("The source is longer than %(max)s characters.") % {"max": sheets.MAX_CELL_CHARS})
            )
    total = values.get("total")
    given = [values[s] for s in SEGMENTS if values.get(s) is not None]
    if total is not None and given and sum(given) > total:
        errors.append(
            (
                "total",
                _("The segments add up to %(sum)s, more than the total of %(total)s.")
                % {
                    "sum": number_format(sum(given), force_grouping=True),
                    "total": number_format(total, force_grouping=True),
                },
            )
        )
    workers, covered = values.get("workers"), values.get("covered")
    if workers is not None and covered is not None and covered > workers:
        errors.append(
            (
                "covered",
                _("More participants (%(covered)s) than workers (%(workers)s).")
                % {
                    "covered": number_format(covered, force_grouping=True),
                    "workers": number_format(workers, force_grouping=True),
                },
            )
        )
    occupation = values.get("occupation")
    if "occupation" in values and occupation not in OccupationGroup.values:
        errors.append(("occupation", _("Unknown occupation group %(value)s.") % {"value": occupation or '""'}))
    return errors


def writer_roots(actor) -> list[str] | None:
    """The subtrees `actor` may write figures in; None for the system (no limit)."""
    if actor is None:
        return None
    roots = scope.root_codes(actor, WRITER_ROLES)
    if not roots:
        raise PermissionDenied(_("Only the labour office and administrators record coverage figures."))
    return roots


def require_writer(actor, region_code: str) -> None:
    if actor is not None:
        scope.require_role(actor, *WRITER_ROLES, region_code=region_code)


def _as_json(values: dict) -> dict:
    return {
        k: (v.isoformat() if isinstance(v, dt.date) else str(v) if isinstance(v, Decimal) else v)
        for k, v in values.items()
    }


# --- One figure -----------------------------------------------------------------------------------


def workforce_save(*, actor, region_code: str, year: int, workers: int, source: str, as_of: dt.date):
    """Record (or correct) the working population of a region for a year."""
    values = {"year": year, "workers": workers, "source": source, "as_of": as_of}
    return _fact_save(KINDS[WORKFORCE], actor=actor, region_code=region_code, values=values)


def target_save(*, actor, region_code: str, year: int, percent, source: str, as_of: dt.date):
    """Record (or correct) the UCJ target of a region for a year."""
    try:
        percent = Decimal(str(percent))
    except InvalidOperation:
        percent = None
    if percent is None or not percent.is_finite():
        raise ValidationFailed(_("The target must be a number."), details={"percent": [_("Not a number.")]})
    values = {"year": year, "percent": percent, "source": source, "as_of": as_of}
    return _fact_save(KINDS[TARGETS], actor=actor, region_code=region_code, values=values)


def membership_save(
    *, actor, region_code: str, as_of: dt.date, total: int, pu=None, bpu=None, jakon=None, pmi=None, source: str
):
    """Record (or correct) BPJS's count of active participants of a region on a date."""
    values = {"as_of": as_of, "total": total, "pu": pu, "bpu": bpu, "jakon": jakon, "pmi": pmi, "source": source}
    return _fact_save(KINDS[MEMBERSHIP], actor=actor, region_code=region_code, values=values)


def occupation_save(
    *, actor, region_code: str, as_of: dt.date, occupation: str, workers: int, covered: int, source: str
):
    """Record (or correct) how many people of an occupation work in a region and how many of them
    BPJS counts as participants, on a date."""
    values = {"as_of": as_of, "occupation": occupation, "workers": workers, "covered": covered, "source": source}
    return _fact_save(KINDS[OCCUPATIONS], actor=actor, region_code=region_code, values=values)


@transaction.atomic
def _fact_save(kind: FactKind, *, actor, region_code: str, values: dict):
    require_writer(actor, region_code)
    values = {**values, "source": (values.get("source") or "").strip()}
    errors = fact_errors(kind, values)
    if not Region.objects.filter(code=region_code).exists():
        errors.insert(0, ("region", _("No region has the code %(code)s.") % {"code": region_code}))
    if errors:
        details: dict[str, list[str]] = {}
        for name, message in errors:
            details.setdefault(name, []).append(message)
        raise ValidationFailed(
            errors[0][1] if len(errors) == 1 else _("Some of the figures are not valid."), details=details
        )

    key = {"region_id": region_code, **{name: values[name] for name in kind.keys}}
    new = {name: values[name] for name in kind.fields}
    if "percent" in new:
        new["percent"] = new["percent"].quantize(CENT)  # as stored, so that a repeat compares equal
    # Locked: two people correcting the same figure at once must not both think theirs is new.
    fact = kind.model.objects.select_for_update().filter(**key).first()
    created = False
    if fact is None:
        try:
            with transaction.atomic():
                fact = kind.model.objects.create(**key, **new)
            created = True
        except IntegrityError:  # created by someone else meanwhile: this corrects theirs
            fact = kind.model.objects.select_for_update().get(**key)
    before = None
    if not created:
        before = {name: getattr(fact, name) for name in kind.fields}
        if before == new:
            return fact  # nothing changed: nothing to record, nothing to recalculate
        for name, value in new.items():
            setattr(fact, name, value)
        fact.save(update_fields=[*kind.fields, "updated_at"])
    audit_record(
        actor=actor,
        action=f"coverage.{kind.action}_save",
        target=fact,
        region_code=region_code,
        data={
            **_as_json({name: key[name] for name in kind.keys}),
            "created": created,
            "from": _as_json(before) if before else None,
            "to": _as_json(new),
        },
    )
    if kind.marks_stale:
        coverage_mark_stale(region_codes=[region_code], reason=f"{kind.action} figure saved")
    return fact


@transaction.atomic
def fact_delete(*, actor, obj) -> None:
    """Remove a figure (entered by mistake); the region's coverage is recalculated without it."""
    kind = KIND_OF_MODEL[type(obj)]
    require_writer(actor, obj.region_id)
    fact = kind.model.objects.select_for_update().filter(pk=obj.pk).first()
    if fact is None:
        return  # already gone
    values = {
        **{name: getattr(fact, name) for name in kind.keys},
        **{name: getattr(fact, name) for name in kind.fields},
    }
    # Audited before the row goes: the event names it by its id.
    audit_record(
        actor=actor,
        action=f"coverage.{kind.action}_delete",
        target=fact,
        region_code=fact.region_id,
        data=_as_json(values),
    )
    fact.delete()
    if kind.marks_stale:
        coverage_mark_stale(region_codes=[fact.region_id], reason=f"{kind.action} figure deleted")


# --- A whole spreadsheet --------------------------------------------------------------------------


@dataclass(frozen=True)
class FactsImportResult:
    kind: str
    created: int
    updated: int
    unchanged: int

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged


def facts_import(*, actor, kind: str, content: bytes, filename: str, default_source: str = "") -> FactsImportResult:
    """Import a spreadsheet of figures of one kind: all of it or nothing. Every row is checked
    first (the form of its cells, the rules, the region exists and is the actor's, its key is not
    on an earlier row); if any row fails, nothing is written and ValidationFailed lists every
    problem as {row, column, message}, the row numbered as the spreadsheet shows it. Otherwise the
    rows are upserted by their natural key in one transaction, set-based."""
    spec = kind_of(kind)
    roots = writer_roots(actor)
    default_source = (default_source or "").strip()
    if len(default_source) > sheets.MAX_CELL_CHARS:
        raise ValidationFailed(
            _("The source is longer than %(max)s characters.") % {"max": sheets.MAX_CELL_CHARS},
            details={"source": [_("Too long.")]},
        )
    required = [name for name in importers.REQUIRED[kind] if not (name == "source" and default_source)]
    sheet = sheets.read_sheet(
        content, filename, headers=importers.HEADERS[kind], required=required, percent_formats=kind == TARGETS
    )
    rows = importers.parse_rows(sheet, kind, default_source=default_source)
    today = timezone.localdate()
    for r in rows:
        for name, message in fact_errors(spec, r.values, today=today):
            r.error(name, message)
    _check_regions(rows, roots)
    _check_duplicates(rows, spec)

    errors = [{**e, "column": sheet.header_of(e["column"])} for r in rows for e in r.errors]
    if errors:
        bad = len({e["row"] for e in errors})
        raise ValidationFailed(
            ngettext(
                "%(bad)s of %(rows)s rows has a problem; nothing was saved. Correct it and upload the file again.",
                "%(bad)s of %(rows)s rows have problems; nothing was saved. Correct them and upload the file again.",
                bad,
            )
            % {"bad": bad, "rows": len(rows)},
            details=errors,
        )
    # A column the file leaves out (a segment BPJS did not publish) keeps what is on record.
    written = [name for name in spec.fields if name in sheet.columns or name not in importers.OPTIONAL_NUMBERS]
    with transaction.atomic():
        return _upsert(spec, rows, written, actor=actor, filename=filename, default_source=default_source)


def _chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _check_regions(rows: list[FactRow], roots: list[str] | None) -> None:
    """Set-based: the region exists and lies in the actor's regions. Outside them the row is
    refused without saying whether the code exists."""
    codes = sorted({r.region_code for r in rows if r.region_code})
    known: set[str] = set()
    for chunk in _chunks(codes):
        known |= set(Region.objects.filter(code__in=chunk).values_list("code", flat=True))
    for r in rows:
        if not r.region_code:
            continue
        if roots is not None and not any(code_in_subtree(r.region_code, root) for root in roots):
            r.error("region_code", _("The region %(code)s is outside your regions.") % {"code": r.region_code})
        elif r.region_code not in known:
            r.error("region_code", _("No region has the code %(code)s.") % {"code": r.region_code})


def _check_duplicates(rows: list[FactRow], spec: FactKind) -> None:
    first: dict[tuple, int] = {}
    if spec.extra_keys:
        message = _("The same region, date and occupation are already on row %(row)s.")
    elif spec.key == "as_of":
        message = _("The same region and date are already on row %(row)s.")
    else:
        message = _("The same region and year are already on row %(row)s.")
    for r in rows:
        if not r.region_code or any(name not in r.values for name in spec.keys):
            continue
        key = (r.region_code, spec.key_of(r.values))
        if key in first:
            r.error("region_code", message % {"row": first[key]})
        else:
            first[key] = r.row


def _upsert(
    spec: FactKind, rows: list[FactRow], written: list[str], *, actor, filename: str, default_source: str
) -> FactsImportResult:
    keys = {(r.region_code, spec.key_of(r.values)) for r in rows}
    # Each part of the key filters on its own values: a superset of the rows wanted, matched below.
    key_filter = {f"{name}__in": sorted({key[i] for _code, key in keys}) for i, name in enumerate(spec.keys)}
    existing: dict[tuple, dict] = {}
    for chunk in _chunks(sorted({code for code, _k in keys})):
        found = spec.model.objects.filter(region_id__in=chunk, **key_filter).values(
            "region_id", *spec.keys, *spec.fields
        )
        for row in found:
            existing[(row["region_id"], tuple(row[name] for name in spec.keys))] = row

    # Segments a membership file leaves out are kept from the record, so the record's segments
    # must still fit the file's new total.
    kept = [name for name in SEGMENTS if spec.name == MEMBERSHIP and name not in written]
    misfits = []
    for r in rows:
        old = existing.get((r.region_code, spec.key_of(r.values)))
        if kept and old is not None:
            merged = {**old, **{name: r.values.get(name) for name in written}}
            if sum(merged[name] or 0 for name in SEGMENTS) > merged["total"]:
                r.error(
                    "total",
                    _(
                        "The segments on record for this date (%(segments)s) add up to more than the new "
                        "total; give the PU, BPU, Jakon and PMI columns in the file."
                    )
                    % {"segments": ", ".join(f"{name.upper()} {merged[name]}" for name in kept if merged[name])},
                )
                misfits.extend(r.errors)
    if misfits:
        raise ValidationFailed(_("Some counts do not fit the segments on record; nothing was saved."), details=misfits)

    created = updated = unchanged = 0
    to_write = []
    for r in rows:
        key = (r.region_code, spec.key_of(r.values))
        new = {name: r.values.get(name) for name in written}
        old = existing.get(key)
        if old is None:
            created += 1
        elif all(old[name] == new[name] for name in written):
            unchanged += 1
            continue
        else:
            updated += 1
        to_write.append(spec.model(region_id=r.region_code, **dict(zip(spec.keys, key[1], strict=True)), **new))
    # One upsert for new and changed rows alike. A row someone else created since the read above
    # is updated, not duplicated.
    spec.model.objects.bulk_create(
        to_write,
        batch_size=WRITE_BATCH,
        update_conflicts=True,
        unique_fields=["region", *spec.keys],
        update_fields=[*written, "updated_at"],
    )
    if spec.marks_stale:
        changed = sorted({obj.region_id for obj in to_write})
        coverage_mark_stale(region_codes=changed, reason=f"{spec.action} import")
    result = FactsImportResult(kind=spec.name, created=created, updated=updated, unchanged=unchanged)
    where = _common_region([r.region_code for r in rows])
    audit_record(
        actor=actor,
        action=f"coverage.{spec.action}_import",
        target=Region(code=where),
        region_code=where,
        data={
            "filename": filename[:200],
            "rows": result.rows,
            "created": created,
            "updated": updated,
            "unchanged": unchanged,
            "default_source": default_source,
        },
    )
    return result


def _common_region(codes: list[str]) -> str:
    """The narrowest region containing all of `codes` (the country if they span provinces)."""
    if not codes or ROOT_CODE in codes:
        return ROOT_CODE
    common = codes[0].split(".")
    for code in codes[1:]:
        parts = code.split(".")
        while common and parts[: len(common)] != common:
            common.pop()
    return ".".join(common) or ROOT_CODE


# --- Reads ----------------------------------------------------------------------------------------


def facts_visible_to(user, *, kind: str, region_prefix: str = "") -> QuerySet:
    """Figures of one kind in the regions `user` writes figures for, newest first; with
    `region_prefix`, those of that region and below."""
    spec = kind_of(kind)
    facts = scope.visible(user, spec.model.objects.all(), field="region__code", roles=WRITER_ROLES)
    if region_prefix:
        facts = facts.filter(scope.subtree_q([region_prefix], "region__code"))
    return facts.select_related("region").order_by(f"-{spec.key}", "region_id", *spec.extra_keys)
