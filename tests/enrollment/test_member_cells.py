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
from enrollment.importers.collective import _member_readers, nik_facts
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
