"""Reading uploaded CSV files (ucj/sheets.py): a file that quotes nothing is read by splitting its
lines, not by csv.reader, and must come out exactly as csv.reader reads it — the same rows, the
same row numbers, the same blank lines left out — whatever its line ends and delimiters."""

import csv
import gc
import io

from hypothesis import example, given, settings
from hypothesis import strategies as st

from ucj import sheets

# Everything that ends or splits a line for someone: csv.reader ends a row only at \r, \n or
# \r\n; str.splitlines would also end it at \x0b, \x0c, \x1c-\x1e, \x85, \u2028 and \u2029.
unquoted = st.text(alphabet="ab é;,\t\r\n\x0b\x0c\x1e\x85\u2028 ", max_size=60)


@settings(max_examples=600, deadline=None)
@given(text=unquoted, delimiter=st.sampled_from([";", ",", "\t"]))
@example(text="a;b\r\n\r\nc;d\r\n", delimiter=";")
@example(text="a;b\r\rc\n\r\nd", delimiter=";")
@example(text="a\x85b;c\u2028d", delimiter=";")
@example(text=";;;\r\n a ;b;\r\n", delimiter=";")
def test_an_unquoted_file_is_read_as_csv_reader_reads_it(text, delimiter):
    expected = sheets._non_blank(enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1))
    assert sheets._non_blank(enumerate(sheets._unquoted_rows(text, delimiter), start=1)) == expected


def test_a_file_with_quotes_is_read_by_csv_reader():
    content = 'NIK;NAMA\r\n"3526024405900001";"Siti; binti Ahmad"\r\n"3526020101900002";"Baris\r\nkedua"\r\n'
    sheet = sheets.read_sheet(content.encode(), "x.csv", headers={"nik": ("nik",), "name": ("nama",)}, required=[])
    assert sheet.rows == [(2, ["3526024405900001", "Siti; binti Ahmad"]), (3, ["3526020101900002", "Baris\r\nkedua"])]


def test_the_delimiter_comes_from_the_first_line_that_holds_something():
    content = "\r\n  \r\nNIK\tNAMA\r\n3526024405900001\tSiti;binti\r\n"
    sheet = sheets.read_sheet(content.encode(), "x.csv", headers={"nik": ("nik",), "name": ("nama",)}, required=[])
    assert sheet.columns == {"nik": 0, "name": 1}
    assert sheet.rows == [(4, ["3526024405900001", "Siti;binti"])]


def test_the_collector_runs_again_when_the_last_pause_ends():
    assert gc.isenabled()
    with sheets.collector_paused():
        assert not gc.isenabled()
        with sheets.collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_pause_ending_in_an_error_still_lets_the_collector_run():
    try:
        with sheets.collector_paused():
            raise ValueError("the file is damaged")
    except ValueError:
        pass
    assert gc.isenabled()


def test_a_pause_leaves_a_collector_that_was_off_off():
    gc.disable()
    try:
        with sheets.collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
