"""A TOML document of a user's file (reports.render.toml_document): parsed as tomllib parses
it, in bounded time, or refused in one line naming the file."""

import pytest
from cpu_time import cpu_seconds_below

from dlnverify.errors import InvalidParameter
from reports.render.toml_document import MAX_KEY_PARTS, toml_document


def _document(text):
    return toml_document(text, name="run.toml", kind="config")


def test_a_document_is_what_tomllib_reads():
    text = (
        'description = "a.b.c.d.e.f.g.h.i.j = dots after the equals sign"\n'
        "[simulate]\neta = 0.01\nsweep.dt = [0.01, 0.005]\n"
        'notes = """\nx.y.z = not a key, and few dots\n"""\n'
    )
    assert _document(text) == {
        "description": "a.b.c.d.e.f.g.h.i.j = dots after the equals sign",
        "simulate": {
            "eta": 0.01,
            "sweep": {"dt": [0.01, 0.005]},
            "notes": "x.y.z = not a key, and few dots\n",
        },
    }


def test_a_key_of_the_most_parts_is_read_and_one_more_is_refused():
    key = ".".join(["a"] * MAX_KEY_PARTS)
    assert _document(f"{key} = 1\n") is not None
    with pytest.raises(InvalidParameter) as refused:
        _document(f"x = 1\n{key}.a = 1\n")
    assert str(refused.value) == (
        f"Config 'run.toml': the key on line 2 has {MAX_KEY_PARTS + 1} dotted parts, but at"
        f" most {MAX_KEY_PARTS} are allowed."
    )


def test_a_key_of_a_third_of_a_megabyte_is_refused_before_it_is_parsed():
    """tomllib takes hours over it (time quadratic in the parts)."""
    text = "a" + ".a" * 150_000 + " = 1\n"
    with cpu_seconds_below(1.0), pytest.raises(InvalidParameter, match="150,001 dotted parts"):
        _document(text)


@pytest.mark.parametrize(
    "nested", ["x = " + "[" * 5000 + "]" * 5000, "x = " + "{a=" * 5000 + "1" + "}" * 5000]
)
def test_nesting_too_deep_for_the_parser_is_one_line(nested):
    with cpu_seconds_below(1.0), pytest.raises(InvalidParameter) as refused:
        _document(nested)
    assert str(refused.value) == (
        "Config 'run.toml' is not valid TOML here: its arrays or inline tables are nested too"
        " deeply to read."
    )


def test_text_that_is_not_toml_names_the_file_and_the_place():
    with pytest.raises(InvalidParameter, match=r"^Config 'run.toml' is not valid TOML: .*line 1"):
        _document("eta = = 1\n")
