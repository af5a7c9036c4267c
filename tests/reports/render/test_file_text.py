"""A user's input file read within a size limit (reports.render.file_text): the messages
name the kind of file given; the formula files' own behaviour is tested in
tests/reports/formulas/test_files.py, experiment files' in tests/reports/experiments/."""

import re

import pytest
from cpu_time import cpu_seconds_below

from dlnverify.errors import InvalidParameter
from reports.render.file_text import read_bounded_text


def _read(path, limit=16):
    return read_bounded_text(
        path, name=str(path), kind="config", limit=limit, advice="keep it short"
    )


def test_a_file_at_the_limit_is_read_as_given_and_one_byte_more_is_refused(tmp_path):
    path = tmp_path / "run.toml"
    path.write_bytes("x = 'σσσσ'#\n".encode())
    assert path.stat().st_size == 16
    assert _read(path) == "x = 'σσσσ'#\n"
    path.write_bytes(path.read_bytes() + b"\n")
    with pytest.raises(InvalidParameter) as refused:
        _read(path)
    assert str(refused.value) == (
        f"Config {str(path)!r} is 17 bytes; the limit of a config is 16 bytes; keep it short."
    )


def test_an_endless_stream_is_refused_at_once():
    with cpu_seconds_below(1.0), pytest.raises(InvalidParameter) as refused:
        _read("/dev/zero", limit=1_000_000)
    assert str(refused.value).startswith("Config '/dev/zero' is more than 1,000,000 bytes;")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xef\xbb\xbfx = 1\n", "starts with a UTF-8 byte-order mark (U+FEFF)"),
        (b"x = 1\n\xff\n", "is not UTF-8: byte 0xFF at byte offset 6 (line 2)"),
    ],
)
def test_bytes_that_are_not_plain_utf8_are_named(tmp_path, data, message):
    path = tmp_path / "run.toml"
    path.write_bytes(data)
    with pytest.raises(InvalidParameter, match=re.escape(message)):
        _read(path)


def test_a_directory_cannot_be_read(tmp_path):
    with pytest.raises(InvalidParameter) as refused:
        _read(tmp_path)
    assert str(refused.value) == f"Cannot read config {str(tmp_path)!r}: Is a directory."
