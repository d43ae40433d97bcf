"""The member import's fast readers against the full ones they stand in front of (property-based,
hypothesis): a 100,000-row file is read through the fast paths, so each must give exactly what
the full reader gives — the same value, or a CellError with the same message — for any cell a
spreadsheet can hold, and `nik_facts` must accept exactly the NIKs `lokal.parse_nik` accepts and
read the same district, sex and birth date from them."""

import datetime as dt

from hypothesis import example, given, settings
from hypothesis import strategies as st
from lokal import parse_nik

from enrollment import importers
from enrollment.importers.collective import _full_member_row, _member_readers, _quick_member_row, nik_facts
from enrollment.models import Participant
from ucj.sheets import MAX_CELL_CHARS, CellError, text_cell

# What the readers did before their fast paths (enrollment/importers/collective.py).
FULL_READERS = {
    "nik": lambda v: importers.digits_cell(v, length=16, label="NIK"),
    "name": lambda v: text_cell(v, Participant._meta.get_field("name").max_length),
    "sex": importers.sex_cell,
    "birth_date": importers.date_cell,
    "village_code": importers.village_code_cell,
    "occupation": lambda v: text_cell(v, Participant._meta.get_field("occupation").max_length),
    "phone": importers.phone_cell,
    "kk": lambda v: importers.digits_cell(v, length=16, label="KK") if text_cell(v) else "",
    "position": lambda v: text_cell(v, MAX_CELL_CHARS),
    "wage": importers.wage_cell,  # no fast path: officials' rows take the full reader
}
FAST_READERS = dict(_member_readers())

digits = st.text(alphabet="0123456789", min_size=1, max_size=20)
cells = st.one_of(
    st.none(),
    st.text(max_size=300),
    digits,
    digits.map(lambda d: f" {d} "),
    st.sampled_from(["L", "P", "l", "Laki-laki", " P ", "PEREMPUAN", "X", "", "   "]),
    st.sampled_from(["35.26.02.2001", "3526022001", "35.26.02.200", "35 26 02 2001", "35.26.02.2001 "]),
    st.sampled_from(["081234567890", "+6281234567890", "6281234567890", "0812-3456-7890", "(031) 123456"]),
    st.sampled_from(["3526024405900001", "'3526024405900001", "3.52602E+15", "3526 0244 0590 0001"]),
    st.sampled_from(["05/01/1990", "1990-01-05", "5.1.1990", "31/04/1990"]),
    st.integers(),
    st.floats(allow_nan=False),
    st.dates(),
    st.booleans(),
)


def _outcome(read, value):
    try:
        return ("value", read(value))
    except CellError as exc:
        return ("error", str(exc))


@settings(max_examples=400, deadline=None)
@given(value=cells)
@example(value="x" * 151)
@example(value="x" * 256)
@example(value=3526024405900001)
@example(value="0812345678901234567")
@example(value="352602\u0664\u0664\u0660\u0665\u0669\u0660\u0660\u0660\u0660\u0661")
def test_every_fast_reader_gives_what_the_full_reader_gives(value):
    assert FAST_READERS.keys() == FULL_READERS.keys()
    for name, fast in FAST_READERS.items():
        assert _outcome(fast, value) == _outcome(FULL_READERS[name], value), name


def _nik(pp, kk, cc, day, month, yy, serial):
    return f"{pp:02d}{kk:02d}{cc:02d}{day:02d}{month:02d}{yy:02d}{serial:04d}"


niks = st.one_of(
    st.text(alphabet="0123456789", min_size=16, max_size=16),
    # Digits of other scripts (Arabic-Indic, fullwidth): int() reads them, a NIK holds none.
    st.text(alphabet="0123456789\u0660\u0664\u0669\uff10\uff15", min_size=16, max_size=16),
    st.builds(
        _nik,
        pp=st.sampled_from([11, 31, 35, 51, 94, 0, 10, 39, 99]),
        kk=st.integers(0, 99),
        cc=st.integers(0, 99),
        day=st.integers(0, 99),
        month=st.integers(0, 13),
        yy=st.integers(0, 99),
        serial=st.sampled_from([0, 1, 9999]),
    ),
)


@settings(max_examples=1000, deadline=None)
@given(nik=niks, today=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)))
@example(nik="3526024402000001", today=dt.date(2026, 12, 5))  # 29 Feb 2000, a woman
@example(nik="3526020000000001", today=dt.date(2026, 12, 5))  # day 0
@example(nik="3526024000000001", today=dt.date(2026, 12, 5))  # day 40: no one's birthday
@example(nik="3526022612260001", today=dt.date(2026, 12, 5))  # born this year
@example(nik="3526022612270001", today=dt.date(2026, 12, 5))  # 27: last century
def test_nik_facts_accept_what_parse_nik_accepts_and_read_the_same(nik, today):
    info = parse_nik(nik, reference_date=today)
    facts = nik_facts(nik, today.year % 100)
    if not info.valid:
        assert facts is None
    else:
        assert facts == (info.district_code, info.gender, dt.date.fromisoformat(info.birth_date))


# --- Whole rows: the quick reader against the full one -----------------------------------------

COLUMNS = ["nik", "name", "sex", "birth_date", "village_code", "occupation", "phone", "kk", "position"]


@st.composite
def member_rows(draw):
    """A row of a member list as people write it — a NIK that agrees with the sex and birth date,
    in some column order, with some optional columns left out — and then, often, a few cells
    replaced by anything a spreadsheet can hold."""
    present = [*COLUMNS[:5], *(name for name in COLUMNS[5:] if draw(st.booleans()))]
    order = draw(st.permutations(present))
    female = draw(st.booleans())
    birth = draw(st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2026, 12, 5)))
    other = birth + dt.timedelta(days=draw(st.sampled_from([1, -1, 31, 366])))
    nik = draw(st.sampled_from(["352602", "317101", "510101", "940101", "990101", "350001"]))
    nik += f"{birth.day + 40 * female:02d}{birth:%m%y}" + draw(st.sampled_from(["0001", "0000", "9999"]))
    written = {
        "nik": nik,
        "name": draw(st.sampled_from(["Siti Aminah", " Budi ", "", "x" * 151, "Ni Luh Putu Ayu"])),
        # Mostly the NIK's sex, sometimes the other one or none.
        "sex": draw(
            st.sampled_from(["P", "PEREMPUAN", "W"] if female else ["L", "LAKI-LAKI", "PRIA"])
            | st.sampled_from(["L", "P", "X"])
        ),
        # Mostly the NIK's birth date in the formats people use, sometimes another day or none.
        "birth_date": draw(
            st.sampled_from([f"{birth:%d/%m/%Y}", birth.isoformat(), f"{birth:%d-%m-%Y}", f"{birth.day}/{birth:%m/%Y}"])
            | st.sampled_from([f"{other:%d/%m/%Y}", other.isoformat(), f"{birth:%d/%m}/{birth.year - 100}", "31/2/90"])
        ),
        "village_code": draw(st.sampled_from(["35.26.02.2001", "3526022001", "35.26.02.200"])),
        "occupation": draw(st.sampled_from(["Petani", " Nelayan ", "", "y" * 101])),
        "phone": draw(st.sampled_from(["081234567890", "", "+6281234567890", "(031) 123456", "12"])),
        "kk": draw(st.sampled_from(["", "3526020101900001", "35260201", " "])),
        "position": draw(st.sampled_from(["", "Kaur", "z" * 256])),
    }
    cells = [written[name] for name in order]
    for index in draw(st.lists(st.integers(0, len(cells) - 1), max_size=2)):
        cells[index] = draw(cells_strategy)
    if draw(st.booleans()):
        cells = cells[: draw(st.integers(0, len(cells)))]
    return {name: i for i, name in enumerate(order)}, cells


cells_strategy = cells


@settings(max_examples=1500, deadline=None)
@given(row=member_rows(), today=st.sampled_from([dt.date(2026, 12, 5), dt.date(2031, 1, 1)]))
def test_the_quick_row_reader_gives_what_the_full_one_gives(row, today):
    columns, cells = row
    readers = [(name, columns[name], read) for name, read in _member_readers() if name in columns]
    century = today.year % 100
    quick = _quick_member_row(columns, century)(7, cells)
    full = _full_member_row(7, cells, readers, False, century)
    if quick is not None:
        assert quick == full
        assert not full.errors


def test_a_row_written_the_common_way_takes_the_quick_reader():
    columns = {name: i for i, name in enumerate(COLUMNS)}
    row = ["3526024405900001", "Siti", "P", "04/05/1990", "35.26.02.2001", "Petani", "081234567890", "", ""]
    quick = _quick_member_row(columns, 26)(2, row)
    assert quick is not None
    assert (quick.nik, quick.sex, quick.birth_date, quick.phone) == (row[0], "P", dt.date(1990, 5, 4), "+6281234567890")
    assert quick.nik_district == "35.26.02"
    assert _quick_member_row(columns, 26)(2, [*row[:3], "1990-05-04", *row[4:]]) is not None
