"""Employer spreadsheets in (issue 6 item 1): the labour office's company list (WLKP) and the BPJS
branch's list of registered employers, for one regency.

Each row is matched to the register by NPP, then NIB, then normalised name within the row's
village, and never by a guess: a row whose NPP and NIB point at two employers is an error. A row
whose NPP and NIB are nobody's is not matched by name to an employer that holds another NPP or
NIB: that is another business of the same name. A name shared by several employers of the village
leaves the row unmatched, with the reason. A match fills in the NPP or NIB the register lacks,
which is how the NIB-keyed and the NPP-keyed lists get linked. Rows of the labour office's list
that match nobody become new employers; rows of BPJS's list that match nobody are reported, not
created (an employer belongs in the register through the labour office).

A BPJS branch's list covers several regencies (Cabang Madura: Bangkalan, Sampang, Pamekasan,
Sumenep): its rows of another regency (by their village, or without a village by an NPP or NIB of
another regency's employer) are skipped and counted, not refused. The labour office's own list
holds its regency only: a village outside it is an error there.

Figures do not go back in time: a list dated before the figures on record for an employer (the
reported side for the labour office's list, the BPJS side for BPJS's) leaves them alone, and is
counted; it still fills in a missing NPP or NIB, since identifiers do not age.

All or nothing, like `ucj.coverage.facts.facts_import`: every row is checked first; any problem
and nothing is written, and ValidationFailed lists every problem as {row, column, message}. Then
one transaction writes the figures set-based (the regency's employers are read once, under lock),
re-derives the findings and records one audit event for the import."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from enrollment.importers.employers import (
    BPJS,
    EMPLOYER_HEADERS,
    EMPLOYER_REQUIRED,
    LABOUR_OFFICE,
    EmployerRow,
    parse_employer_rows,
)
from enrollment.models import EARLIEST_DATE, Employer
from enrollment.services.employers import DERIVED_FIELDS, MAX_WAGES, MAX_WORKERS, employer_reassess, name_key
from ucj import scope, sheets
from ucj.errors import Conflict, ValidationFailed
from ucj.models import Region, Role, code_in_subtree
from ucj.services import audit_record

IMPORT_KINDS = (LABOUR_OFFICE, BPJS)
CHUNK = 2_000  # values per IN list, well under SQLite's variable limit
WRITE_BATCH = 1_000
SOURCE_MAX_CHARS = Employer._meta.get_field("reported_source").max_length
IDENTITY_COLUMNS = ("npp", "nib", "name", "village_code")

# What each list writes. The source and date are written with the figures but do not make an
# employer "updated" by themselves: the same figures confirmed by a newer list are unchanged.
_WRITES = {
    LABOUR_OFFICE: ["npp", "nib", "village", "address", "sector", "size", "reported_workers", "reported_wages"],
    BPJS: ["npp", "nib", "bpjs_workers", "bpjs_wages"],
}
_STAMPS = {LABOUR_OFFICE: ["reported_source", "reported_as_of"], BPJS: ["bpjs_source", "bpjs_as_of"]}


@dataclass
class EmployerImportReport:
    kind: str  # "labour_office" | "bpjs"
    rows: int  # data rows read
    created: int  # employers created (labour-office list only)
    updated: int  # employers whose figures or ids changed
    unchanged: int
    matched_by: dict = field(default_factory=lambda: {"npp": 0, "nib": 0, "name": 0})
    # [{"row": 7, "npp": "...", "nib": "...", "name": "...", "village": "...", "reason": "..."}]
    unmatched: list[dict] = field(default_factory=list)
    # Rows of a BPJS list about another regency: left for that regency's import (BPJS list only).
    skipped_other_regency: int = 0
    # Matched employers whose figures on record are newer than the list: their figures were left
    # alone (a missing NPP or NIB was still filled in). Not counted in updated or unchanged.
    older_than_record: int = 0


@dataclass
class _Match:
    row: EmployerRow
    employer: Employer | None  # None: a new employer (labour-office list)
    by: str = ""  # "npp" | "nib" | "name"


def employers_import(
    *,
    actor,
    regency_code: str,
    kind: str,
    content: bytes,
    filename: str,
    source: str = "",
    as_of: dt.date | None = None,
) -> EmployerImportReport:
    """Import one list of employers into the register of `regency_code`. `actor` None is the
    system (the management command); anyone else must be the regency's labour office or an
    administrator. `source` defaults to the file's name, `as_of` to today."""
    if kind not in IMPORT_KINDS:
        message = _("Unknown kind of list %(kind)s: choose labour_office or bpjs.") % {"kind": str(kind)[:40]}
        raise ValidationFailed(message, details={"kind": message})
    if actor is not None:
        scope.require_role(actor, Role.LABOUR_OFFICE, Role.ADMIN, region_code=regency_code)
    regency = Region.objects.filter(code=regency_code, level=Region.Level.REGENCY).first()
    if regency is None:
        message = _("No regency has the code %(code)s.") % {"code": str(regency_code)[:20]}
        raise ValidationFailed(message, details={"regency": message})
    source, as_of = _source_and_date(source, filename, as_of)

    sheet = sheets.read_sheet(content, filename, headers=EMPLOYER_HEADERS[kind], required=EMPLOYER_REQUIRED[kind])
    rows = parse_employer_rows(sheet, kind)
    _check_figures(rows)
    # Rows of a BPJS list that are about another regency, by row number: checked for their form
    # only, then left out.
    skipped = _check_villages(rows, regency_code, kind)
    with transaction.atomic():
        # Locked from matching to writing: an employer edited or imported meanwhile waits, rather
        # than being overwritten by a plan made before its change.
        employers = list(Employer.objects.select_for_update().filter(regency_id=regency_code).order_by("pk"))
        skipped |= _check_other_regencies(rows, regency_code, kind, employers, skipped)
        here = [r for r in rows if r.row not in skipped]
        _check_duplicates(here)
        matches, unmatched = _match(here, employers, kind)
        unmatched = sorted([*unmatched, *_known_elsewhere(rows, employers, skipped)], key=lambda u: u["row"])
        errors = [{**e, "column": sheet.header_of(e["column"])} for r in rows for e in r.errors]
        if errors:
            bad = len({e["row"] for e in errors})
            raise ValidationFailed(
                ngettext(
                    "%(bad)s of %(rows)s rows has a problem; nothing was saved. Correct it and upload the file again.",
                    "%(bad)s of %(rows)s rows have problems; nothing was saved. Correct them and upload the file "
                    "again.",
                    bad,
                )
                % {"bad": bad, "rows": len(rows)},
                details=errors,
            )
        report = _write(
            matches,
            kind=kind,
            regency_code=regency_code,
            source=source,
            as_of=as_of,
            programmes="programmes" in sheet.columns,
        )
        report.rows, report.unmatched = len(rows), unmatched
        report.skipped_other_regency = len(skipped) - sum(1 for u in unmatched if u["row"] in skipped)
        audit_record(
            actor=actor,
            action="employer.import",
            target=regency,
            region_code=regency_code,
            data={
                "kind": kind,
                "filename": filename[:200],
                "source": source,
                "as_of": as_of.isoformat(),
                "rows": report.rows,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "matched_by": report.matched_by,
                "unmatched": len(unmatched),
                "skipped_other_regency": report.skipped_other_regency,
                "older_than_record": report.older_than_record,
            },
        )
    return report


def _source_and_date(source: str, filename: str, as_of: dt.date | None) -> tuple[str, dt.date]:
    today = timezone.localdate()
    source = " ".join((source or "").split())
    if len(source) > SOURCE_MAX_CHARS:
        message = _("The source is longer than %(max)s characters.") % {"max": SOURCE_MAX_CHARS}
        raise ValidationFailed(message, details={"source": message})
    source = source or " ".join((filename or "").split())[:SOURCE_MAX_CHARS]
    if as_of is None:
        as_of = today
    elif as_of > today:
        message = _("The figures cannot be dated in the future.")
        raise ValidationFailed(message, details={"as_of": message})
    elif as_of < EARLIEST_DATE:
        # A list dated before PP 86/2013 is a typo (2015 typed 2005 or 1015), not an old list.
        message = _("The figures cannot be dated before %(date)s: check the year.") % {
            "date": date_format(EARLIEST_DATE, "SHORT_DATE_FORMAT")
        }
        raise ValidationFailed(message, details={"as_of": message})
    return source, as_of


def _chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# --- Checks before anything is written ------------------------------------------------------------


def _check_figures(rows: list[EmployerRow]) -> None:
    for r in rows:
        for column, value, limit in (("workers", r.workers, MAX_WORKERS), ("wages", r.wages, MAX_WAGES)):
            if value is not None and value > limit:
                r.error(
                    column, _("A whole number from 0 to %(max)s.") % {"max": number_format(limit, force_grouping=True)}
                )


def _check_villages(rows: list[EmployerRow], regency_code: str, kind: str) -> set[int]:
    """Set-based: every village lies in the regency and exists. A code outside the regency is
    refused without saying whether it exists, except on BPJS's list, which covers several
    regencies: there the row is skipped. Returns the numbers of the rows skipped."""
    inside = sorted({r.village_code for r in rows if r.village_code and code_in_subtree(r.village_code, regency_code)})
    known: set[str] = set()
    for chunk in _chunks(inside):
        known |= set(Region.objects.filter(code__in=chunk, level=Region.Level.VILLAGE).values_list("code", flat=True))
    skipped: set[int] = set()
    for r in rows:
        if not r.village_code:
            continue
        if not code_in_subtree(r.village_code, regency_code):
            if kind == BPJS:
                skipped.add(r.row)
                continue
            r.error(
                "village_code",
                _("The village %(code)s lies outside the regency %(regency)s.")
                % {"code": r.village_code, "regency": regency_code},
            )
        elif r.village_code not in known:
            r.error("village_code", _("Unknown village code %(code)s.") % {"code": r.village_code})
    return skipped


def _check_duplicates(rows: list[EmployerRow]) -> None:
    first: dict[tuple[str, str], int] = {}
    for r in rows:
        for column, value, message in (
            ("npp", r.npp, _("The same NPP is on row %(row)s.")),
            ("nib", r.nib, _("The same NIB is on row %(row)s.")),
        ):
            if not value:
                continue
            if (column, value) in first:
                r.error(column, message % {"row": first[(column, value)]})
            else:
                first[(column, value)] = r.row


def _check_other_regencies(
    rows: list[EmployerRow], regency_code: str, kind: str, employers: list[Employer], skipped: set[int]
) -> set[int]:
    """An NPP or NIB is one employer's in the whole country: a row cannot give this regency an id
    that an employer of another regency holds (the labour office there registered it). A row of
    BPJS's list without a village whose ids lead to another regency only is that regency's row:
    skipped, and its number returned. Rows already skipped are not looked at."""
    ids = ("npp", "nib")
    taken: dict[str, set[str]] = {column: set() for column in ids}
    for column in ids:
        values = sorted({getattr(r, column) for r in rows if getattr(r, column) and r.row not in skipped})
        for chunk in _chunks(values):
            taken[column] |= set(
                Employer.objects.filter(**{f"{column}__in": chunk})
                .exclude(regency_id=regency_code)
                .values_list(column, flat=True)
            )
    held_here = {column: {getattr(e, column) for e in employers if getattr(e, column)} for column in ids}
    messages = {
        "npp": _("An employer of another regency has this NPP."),
        "nib": _("An employer of another regency has this NIB."),
    }
    also_skipped: set[int] = set()
    for r in rows:
        if r.row in skipped:
            continue
        elsewhere = [column for column in ids if getattr(r, column) and getattr(r, column) in taken[column]]
        if not elsewhere:
            continue
        here = any(getattr(r, column) and getattr(r, column) in held_here[column] for column in ids)
        if kind == BPJS and not r.village_code and not here and not r.has_error("village_code"):
            also_skipped.add(r.row)
            continue
        for column in elsewhere:
            r.error(column, messages[column])
    return also_skipped


def _known_elsewhere(rows: list[EmployerRow], employers: list[Employer], skipped: set[int]) -> list[dict]:
    """Skipped rows (BPJS's list, a village of another regency) whose NPP or NIB is an employer of
    this regency's: not imported, but reported, since the two registers disagree on where the
    employer is."""
    by_id = {column: {getattr(e, column): e for e in employers if getattr(e, column)} for column in ("npp", "nib")}
    out = []
    for r in rows:
        if r.row not in skipped or r.errors:
            continue
        employer = by_id["npp"].get(r.npp) if r.npp else None
        employer = employer or (by_id["nib"].get(r.nib) if r.nib else None)
        if employer is not None:
            reason = _(
                "The NPP or NIB is %(name)s's, an employer of this regency, but the row's village lies in "
                "another regency: not imported; correct the village in the register or at BPJS."
            ) % {"name": employer.name}
            out.append(_unmatched(r, reason))
    return out


def _match(rows: list[EmployerRow], employers: list[Employer], kind: str) -> tuple[list[_Match], list[dict]]:
    """Each row to at most one employer: by NPP, then NIB, then name within the village among the
    employers whose NPP and NIB do not contradict the row's. Conflicts are recorded on the rows;
    rows that match nobody are new employers (labour-office list) or unmatched, with the reason
    (BPJS's list, or a name several employers share)."""
    by_npp = {e.npp: e for e in employers if e.npp}
    by_nib = {e.nib: e for e in employers if e.nib}
    by_name: dict[tuple[str, str], list[Employer]] = defaultdict(list)
    for e in employers:
        by_name[(e.village_id, e.name_key)].append(e)
    claimed: dict[int, int] = {}  # employer id → the row that matched it
    matches: list[_Match] = []
    unmatched: list[dict] = []
    for r in rows:
        if r.has_error(*IDENTITY_COLUMNS):
            continue
        with_npp = by_npp.get(r.npp) if r.npp else None
        with_nib = by_nib.get(r.nib) if r.nib else None
        if with_npp is not None and with_nib is not None and with_npp.pk != with_nib.pk:
            r.error(
                "npp",
                _("The NPP is %(npp_name)s's and the NIB is %(nib_name)s's: correct the row or the register.")
                % {"npp_name": with_npp.name, "nib_name": with_nib.name},
            )
            continue
        employer, by = (with_npp, "npp") if with_npp else (with_nib, "nib") if with_nib else (None, "")
        key = name_key(r.name)
        other_businesses = 0  # namesakes of the village that hold another NPP or NIB than the row's
        if employer is None and r.village_code and key:
            namesakes = by_name.get((r.village_code, key), [])
            # The row's NPP and NIB are nobody's here: a namesake holding another one is another
            # business of the same name (common: "Toko Barokah"), not this row's employer.
            same = [e for e in namesakes if not _other_ids(r, e)]
            other_businesses = len(namesakes) - len(same)
            if len(same) > 1:
                reason = _(
                    "%(n)s employers of this name in the village: give the NPP or NIB that tells them apart."
                ) % {"n": len(same)}
                unmatched.append(_unmatched(r, reason))
                continue
            if same:
                employer, by = same[0], "name"
        if employer is None:
            if kind == LABOUR_OFFICE:
                matches.append(_Match(row=r, employer=None))
            else:
                unmatched.append(_unmatched(r, _no_match_reason(r, other_businesses)))
            continue
        if not _ids_agree(r, employer, by):
            continue
        if employer.pk in claimed:
            r.error(
                by,
                _("Row %(row)s is about the same employer (%(name)s).")
                % {"row": claimed[employer.pk], "name": employer.name},
            )
            continue
        claimed[employer.pk] = r.row
        matches.append(_Match(row=r, employer=employer, by=by))
    return matches, unmatched


def _other_ids(r: EmployerRow, employer: Employer) -> bool:
    """The employer holds an NPP or NIB, and the row another one in the same column."""
    return any(
        getattr(r, column) and getattr(employer, column) and getattr(r, column) != getattr(employer, column)
        for column in ("npp", "nib")
    )


def _ids_agree(r: EmployerRow, employer: Employer, by: str) -> bool:
    """The row's NPP and NIB do not contradict the ones the matched employer holds."""
    how = {"npp": _("by its NPP"), "nib": _("by its NIB"), "name": _("by name and village")}[by]
    agree = True
    for column, label in (("npp", "NPP"), ("nib", "NIB")):
        mine, theirs = getattr(r, column), getattr(employer, column)
        if mine and theirs and mine != theirs:
            r.error(
                column,
                _(
                    "%(name)s, matched %(how)s, has the %(label)s %(value)s in the register: "
                    "correct the row or the register."
                )
                % {"name": employer.name, "how": how, "label": label, "value": theirs},
            )
            agree = False
    return agree


def _no_match_reason(r: EmployerRow, other_businesses: int = 0) -> str:
    if not r.village_code:
        return _("No employer of the register has this NPP or NIB; give the village code to match by name.")
    if other_businesses:
        return ngettext(
            "No employer of the register has this NPP or NIB; the employer of this name in the village holds "
            "another one, so it is another business: the labour office registers it first.",
            "No employer of the register has this NPP or NIB; the %(n)s employers of this name in the village "
            "hold other ones, so it is another business: the labour office registers it first.",
            other_businesses,
        ) % {"n": other_businesses}
    return _("No employer of the register has this NPP or NIB, nor this name in the village.")


def _unmatched(r: EmployerRow, reason: str) -> dict:
    return {"row": r.row, "npp": r.npp, "nib": r.nib, "name": r.name, "village": r.village_code, "reason": str(reason)}


# --- Writing --------------------------------------------------------------------------------------


def _link(employer: Employer, r: EmployerRow) -> None:
    """The row's ids, where the register has none (no save)."""
    if r.npp and not employer.npp:
        employer.npp = r.npp
    if r.nib and not employer.nib:
        employer.nib = r.nib


def _newer_on_record(employer: Employer, kind: str, as_of: dt.date) -> bool:
    """The employer holds figures of this list's side dated after `as_of`. A side without figures
    has nothing to keep, whatever its date (the register dates an empty side when the employer is
    entered)."""
    if kind == LABOUR_OFFICE:
        on_record = employer.reported_as_of
        figures = employer.reported_workers is not None or employer.reported_wages is not None
    else:
        on_record = employer.bpjs_as_of
        figures = employer.bpjs_workers is not None or employer.bpjs_wages is not None or bool(employer.bpjs_programmes)
    return figures and on_record is not None and as_of < on_record


def _apply(employer: Employer, r: EmployerRow, *, kind: str, source: str, as_of: dt.date, programmes: bool) -> None:
    """The row's ids (where the register has none) and figures, onto the employer (no save)."""
    _link(employer, r)
    if kind == LABOUR_OFFICE:
        # The register keeps its name; the labour office's list is the authority on the rest.
        employer.village_id = r.village_code
        if r.address:
            employer.address = r.address[:255]
        employer.sector, employer.size = r.sector, r.size
        employer.reported_workers, employer.reported_wages = r.workers, r.wages
        employer.reported_source, employer.reported_as_of = source, as_of
    else:
        employer.bpjs_workers, employer.bpjs_wages = r.workers, r.wages
        if programmes:
            employer.bpjs_programmes = r.programmes or []
        employer.bpjs_source, employer.bpjs_as_of = source, as_of


def _write(
    matches: list[_Match], *, kind: str, regency_code: str, source: str, as_of: dt.date, programmes: bool
) -> EmployerImportReport:
    report = EmployerImportReport(kind=kind, rows=0, created=0, updated=0, unchanged=0)
    figures = [*_WRITES[kind], *(["bpjs_programmes"] if kind == BPJS and programmes else [])]
    now = timezone.now()
    new: list[Employer] = []
    changed: list[Employer] = []
    for m in matches:
        r = m.row
        if m.employer is None:
            employer = Employer(name=r.name, name_key=name_key(r.name), regency_id=regency_code)
            _apply(employer, r, kind=kind, source=source, as_of=as_of, programmes=programmes)
            employer_reassess(employer)
            new.append(employer)
            continue
        employer = m.employer
        report.matched_by[m.by] += 1
        before = {name: _value(employer, name) for name in [*figures, *_STAMPS[kind]]}
        if _newer_on_record(employer, kind, as_of):
            _link(employer, r)
            report.older_than_record += 1
        else:
            _apply(employer, r, kind=kind, source=source, as_of=as_of, programmes=programmes)
            if any(before[name] != _value(employer, name) for name in figures):
                report.updated += 1
            else:
                report.unchanged += 1
        after = {name: _value(employer, name) for name in before}
        if before != after:
            employer_reassess(employer)
            employer.updated_at = now
            changed.append(employer)
    report.created = len(new)
    try:
        Employer.objects.bulk_create(new, batch_size=WRITE_BATCH)
        Employer.objects.bulk_update(
            changed, [*figures, *_STAMPS[kind], *DERIVED_FIELDS, "updated_at"], batch_size=WRITE_BATCH
        )
    except IntegrityError as exc:  # an NPP or NIB taken by a write this import's lock did not cover
        raise Conflict(_("Another change to these employers was saved meanwhile; upload the file again.")) from exc
    return report


def _value(employer: Employer, name: str):
    return employer.village_id if name == "village" else getattr(employer, name)
