"""A TOML document of a user's file (reports.render.toml_document): parsed as tomllib parses
it, in bounded time, or refused in one line naming the file."""

import pytest
from cpu_time import cpu_seconds_below

from dlnverify.errors import InvalidParameter
from reports.render.toml_document import MAX_KEY_PARTS, SINGLE_QUOTES_ADVICE, toml_document


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
    "nested",
    ["x = " + "[" * 5000 + "]" * 5000, "x = " + "{a=" * 5000 + "1" + "}" * 5000],
    ids=["arrays", "inline tables"],
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


@pytest.mark.parametrize(
    ("template", "value", "key", "what"),
    [
        ("eta = {}\n", "1979-05-27", "eta", "date"),
        ("eta = {}\n", "07:32:00", "eta", "time"),
        ("eta = {}\n", "1979-05-27T07:32:00Z", "eta", "date-time"),
        ("eta = {}\n", "1979-05-27 07:32:00", "eta", "date-time"),  # local: no offset
        ("[sweep]\ndt = [0.01, {}]\n", "1979-05-27", "sweep.dt[2]", "date"),
        (
            "[[check]]\nat = {{}}\n[[check]]\nat = {{ L = {} }}\n",
            "07:32:00.5",
            "check[2].at.L",
            "time",
        ),
    ],
    ids=["date", "time", "date-time", "local date-time", "in an array", "in a table"],
)
def test_a_date_or_time_value_is_refused_naming_its_key(template, value, key, what):
    """TOML reads these as dates and times, not as numbers or text: no setting takes one."""
    with pytest.raises(InvalidParameter) as refused:
        _document(template.format(value))
    assert str(refused.value) == (
        f"Config 'run.toml': {key} is a TOML {what}, but no setting takes a date or a time;"
        " write a number, or quote text ('...')."
    )
    assert _document(template.format(f"'{value}'")) is not None  # quoted, it is text


def _formula_document(text, *, latex_strings=True):
    return toml_document(text, name="f.toml", kind="formula file", latex_strings=latex_strings)


@pytest.mark.parametrize(
    "formula", [r"\sigma s", r"s \kappa", r"\Delta", r"\upsilon s", r"\frac{1}{2} \sigma"]
)
def test_latex_in_double_quotes_that_is_not_toml_gets_the_fix(formula):
    """``\\s``, ``\\k``, ``\\D`` are not TOML escapes; ``\\u`` needs four hex digits."""
    text = f'x = 1\nformula = "{formula}"\n'
    with pytest.raises(InvalidParameter) as refused:
        _formula_document(text)
    message = str(refused.value)
    assert message.startswith("Formula file 'f.toml' is not valid TOML: ")
    assert "(at line 2, column" in message
    assert message.endswith(f". {SINGLE_QUOTES_ADVICE}")
    assert len(message.splitlines()) == 1
    with pytest.raises(InvalidParameter) as plain:  # a file without LaTeX: no advice
        _formula_document(text, latex_strings=False)
    assert SINGLE_QUOTES_ADVICE not in str(plain.value)
    assert _formula_document(text.replace('"', "'")) == {"x": 1, "formula": formula}


@pytest.mark.parametrize("formula", [r"s \x", r"\u12G4", r"s\ ", r"\1"])
def test_a_bad_escape_that_is_no_latex_command_gets_no_latex_advice(formula):
    with pytest.raises(InvalidParameter, match="not valid TOML") as refused:
        _formula_document(f'formula = "{formula}"\n')
    assert SINGLE_QUOTES_ADVICE not in str(refused.value)
