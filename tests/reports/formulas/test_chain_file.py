r"""Tests of :mod:`reports.formulas.chain_file`: derivation chains read off a file.

What is read (environments, rows, relations, lines) is asserted on small files written for
each rule; what is refused (a forbidden command anywhere, ``^^``, control characters, a
malformed directive, an unclosed or refused environment, ``==``, too many expressions) is
asserted with its message and line, within a bounded CPU time.
"""

import pytest
from cpu_time import cpu_seconds_below

from dlnverify.errors import FormulaError
from reports.formulas.chain_file import (
    FORBIDDEN_COMMANDS,
    MAX_EXPRESSIONS,
    ChainFormat,
    Relation,
    read_chains,
)
from reports.formulas.letters import Domain


def _texts(chain):
    """The chain's expressions, runs of spaces (where debris was removed) read as one."""
    return [" ".join(piece.text.split()) for piece in chain.pieces]


ALIGN = r"""\documentclass{article}
\begin{document}
Prose with $a = b$ inline, \textbf{bold} and a line break \\[2pt] in text.
\begin{align}
  D(s) &= 2 x \label{eq:one}\\
       &= x + x \nonumber \\
       &\quad + 0, \\
  y &\propto 3 y \quad \text{(rescaled)}.
\end{align}
\end{document}
"""


def test_align_rows_join_into_chains_with_their_lines():
    chains = read_chains(ALIGN, name="d.tex", path="d.tex").chains
    assert [_texts(c) for c in chains] == [["D(s)", "2 x", "x + x \\quad + 0"], ["y", "3 y"]]
    first, second = chains
    assert first.lines == (5, 7)
    assert [link.line for link in first.links] == [5, 6]
    assert [link.relation for link in first.links] == [Relation.EQUAL, Relation.EQUAL]
    assert [piece.lines for piece in first.pieces] == [(5, 5), (5, 5), (6, 7)]
    assert first.environment == "align"
    assert "\\label removed" in first.reading
    assert "the trailing , removed" in first.reading
    assert second.links[0].relation == Relation.PROPORTIONAL
    assert second.lines == (8, 8)
    assert "annotation '(rescaled)' ignored" in second.reading


@pytest.mark.parametrize(
    ("text", "environment", "pieces"),
    [
        (r"\[ a = b \]", r"\[...\]", ["a", "b"]),
        ("$$a = b$$", "$$...$$", ["a", "b"]),
        ("\\begin{equation*} a \\approx b \\end{equation*}", "equation*", ["a", "b"]),
        ("\\begin{gather} a = b \\\\ c = d \\end{gather}", "gather", ["a", "b"]),
        ("\\begin{multline} a = b \\\\ c \\end{multline}", "multline", ["a", "b c"]),
        (
            "\\begin{equation}\\begin{split} a &= b \\\\ &= c \\end{split}\\end{equation}",
            "equation",
            ["a", "b", "c"],
        ),
        ("\\begin{displaymath} a = b \\end{displaymath}", "displaymath", ["a", "b"]),
    ],
)
def test_every_display_environment_is_read(text, environment, pieces):
    chain = read_chains(text, file_format="tex").chains[0]
    assert chain.environment == environment
    assert _texts(chain) == pieces


def test_inline_math_comments_and_escaped_dollars_are_not_chains():
    text = "Costs \\$5 and $x = y$, \\(u = v\\). % $$a = b$$ in a comment\n\\[ c = d \\]\n"
    chains = read_chains(text).chains
    assert [_texts(c) for c in chains] == [["c", "d"]]


UNTYPESET = r"""Prose.
\begin{verbatim}
\[ 2x = x \]
\end{verbatim}
\iffalse
\[ 3x = x \]
\fi
\begin{comment}
$$ 4x = x $$
\end{comment}
Inline \verb|\[ 5x = x \]| text, \begin{lstlisting}\[ 6x = x \]\end{lstlisting}.
\[ c = d \]
"""


def test_what_tex_never_typesets_as_math_is_not_a_chain():
    chains = read_chains(UNTYPESET, file_format="tex").chains
    assert [_texts(c) for c in chains] == [["c", "d"]]
    assert chains[0].pieces[0].lines == (12, 12)


@pytest.mark.parametrize(
    ("text", "opening"),
    [
        ("\\iffalse\n\\[ a = b \\]\n", "iffalse"),
        ("\\begin{verbatim}\n\\[ a = b \\]\n", "begin{verbatim}"),
        ("\\verb|a = b\n| \\[ a = b \\]\n", "verb"),
    ],
)
def test_an_untypeset_region_that_is_never_closed_is_refused_naming_it(text, opening):
    with pytest.raises(FormulaError, match=rf"line 1: \\{opening} is never closed"):
        read_chains(text, name="x.tex", file_format="tex")


def test_many_unclosed_verbatims_are_refused_in_bounded_time():
    text = "\\begin{verbatim}" * 50_000 + "\n\\[ a = b \\]\n"
    with cpu_seconds_below(2.0), pytest.raises(FormulaError, match="never closed"):
        read_chains(text, file_format="tex")


@pytest.mark.parametrize(
    ("relation", "kind"),
    [
        ("=", Relation.EQUAL),
        ("\\overset{(a)}{=}", Relation.EQUAL),
        ("\\propto", Relation.PROPORTIONAL),
        ("∝", Relation.PROPORTIONAL),
        ("\\approx", Relation.APPROXIMATE),
        ("\\simeq", Relation.APPROXIMATE),
        ("\\sim", Relation.APPROXIMATE),
        (":=", Relation.DEFINITION),
        ("\\equiv", Relation.DEFINITION),
        ("\\le", Relation.INEQUALITY),
        ("<", Relation.INEQUALITY),
        ("\\neq", Relation.INEQUALITY),
    ],
)
def test_relations_are_read_with_their_kind(relation, kind):
    chain = read_chains(f"\\[ a {relation} b \\]").chains[0]
    assert chain.links[0].relation == kind
    assert _texts(chain) == ["a", "b"]


def test_relations_inside_braces_and_commands_that_start_like_one_are_not_split():
    chain = read_chains(r"\[ \sum_{l=1}^{L} \left( l \right) = \left. 2 \right. \]").chains[0]
    assert len(chain.pieces) == 2
    assert chain.pieces[0].text == r"\sum_{l=1}^{L} \left( l \right)"


def test_an_implication_ends_the_chain():
    chains = read_chains(r"\[ a = b \implies c = d \]").chains
    assert [_texts(c) for c in chains] == [["a", "b"], ["c", "d"]]


def test_intertext_ends_the_chain():
    text = "\\begin{align} a &= b \\\\ \\intertext{so} &= c \\end{align}"
    with pytest.raises(FormulaError, match="empty expression"):
        read_chains(text)


LINES = """# dlnverify: real x, y_1
# dlnverify: natural k
# dlnverify: variables x

(x+1)^2
= x^2 + 2x + 1

  = x**2 + 2*x + 1
x = y_1 \\propto 2 y_1
"""


def test_line_format_chains_directives_and_blank_lines():
    file = read_chains(LINES, name="d.txt", path="d.txt")
    assert file.format == ChainFormat.LINES
    assert [_texts(c) for c in file.chains] == [
        ["(x+1)^2", "x^2 + 2x + 1", "x**2 + 2*x + 1"],
        ["x", "y_1", "2 y_1"],
    ]
    assert file.chains[0].lines == (5, 8)
    assert [link.line for link in file.chains[0].links] == [6, 8]
    assert file.letters.domains == {
        ("x", None): Domain.REAL,
        ("y", "1"): Domain.REAL,
        ("k", None): Domain.NATURAL,
    }
    assert file.variables == (("x", None),)


def test_a_directive_that_repeats_a_declared_domain_is_accepted():
    """``n`` is the declared input width (a positive integer): ``natural n`` says the same
    and is accepted without entering the file's own domains; ``real n`` would widen it and is
    refused, naming the declaration."""
    file = read_chains("% dlnverify: natural n\n\\[ n = n \\]")
    assert ("n", None) not in file.letters.domains
    with pytest.raises(FormulaError, match="parameter n, declared as input dimension"):
        read_chains("% dlnverify: real n\n\\[ n = n \\]")


@pytest.mark.parametrize(
    ("text", "path", "expected"),
    [
        ("\\[ a = b \\]", None, ChainFormat.TEX),
        ("$$a=b$$", "notes.txt", ChainFormat.TEX),
        ("a = b", None, ChainFormat.LINES),
        ("a = b", "notes.txt", ChainFormat.LINES),
        ("a = b\n\\[ c = d \\]", "d.tex", ChainFormat.TEX),
    ],
)
def test_the_format_follows_the_suffix_then_the_content(text, path, expected):
    assert read_chains(text, path=path).format == expected


def test_a_tex_file_reads_only_its_displays():
    with pytest.raises(FormulaError, match="no chain found"):
        read_chains("a = b", path="d.tex")
    assert read_chains("a = b", path="d.tex", file_format="lines").format == ChainFormat.LINES


# --------------------------------------------------------------------------- refusals

REFUSED = [
    ("\\input{/etc/passwd}\n\\[ a = b \\]", 1, "\\\\input is refused"),
    ("text\n\\include{chapter}\n", 2, "\\\\include is refused"),
    (
        "\\[ a = b \\]\n\\immediate\\write18{rm -rf /}\n",
        2,
        "is refused: the TeX source is never run",
    ),
    ("\\def\\x{1}\n\\[ \\x = 1 \\]", 1, "\\\\def is refused"),
    ("\\newcommand{\\D}{D}\n", 1, "\\\\newcommand is refused"),
    ("\\[ a = \\csname b\\endcsname \\]", 1, "\\\\csname is refused"),
    ("\n\\catcode`\\@=11\n", 2, "\\\\catcode is refused"),
    ("\\makeatletter\n", 1, "\\\\makeatletter is refused"),
    ("\\[ a = b ^^5cinput \\]", 1, "\\^\\^ character notation"),
    ("\\[ a = b \\]\x00", 1, "control character"),
    ("\n\n\\begin{align} a &= b\n", 3, "never closed"),
    ("\\[ a = b", 1, "never closed"),
    ("\\begin{eqnarray} a &=& b \\end{eqnarray}", 1, "eqnarray environment is not read"),
    ("\\[ a == b \\]", 1, "== between expressions"),
    ("\\[ = b \\]", 1, "empty expression before ="),
    ("\\[ a = \\]", 1, "empty expression after"),
    ("% dlnverify: rael x\n\\[ a = b \\]", 1, "unknown directive"),
    ("% dlnverify: real s\n\\[ a = b \\]", 1, "parameter s"),
    ("% dlnverify: real xy\n\\[ a = b \\]", 1, "not a letter"),
    ("% dlnverify: real x\n% dlnverify: natural x\n\\[ a = b \\]", 2, "both real and natural"),
    ("Just prose.", None, "no chain found"),
]


@pytest.mark.parametrize(("text", "line", "match"), REFUSED)
def test_refusals_name_the_line_in_bounded_time(text, line, match):
    with cpu_seconds_below(1.0), pytest.raises(FormulaError, match=match) as raised:
        read_chains(text, name="d.tex", path="d.tex")
    message = str(raised.value)
    assert "\n" not in message
    if line is not None:
        assert message.startswith(f"d.tex, line {line}: ")


def test_a_line_file_cannot_start_with_a_relation():
    with pytest.raises(FormulaError, match="line 2: this line starts with a relation"):
        read_chains("# comment\n= x\n", name="d.txt")


def test_forbidden_commands_in_comments_are_harmless():
    chains = read_chains("% \\input{x} \\def\\y{}\n\\[ a = b \\]").chains
    assert len(chains) == 1


@pytest.mark.parametrize("command", sorted(FORBIDDEN_COMMANDS))
def test_every_forbidden_command_is_refused(command):
    with pytest.raises(FormulaError, match=f"\\\\{command} is refused"):
        read_chains(f"\\[ a = b \\]\n\\{command}", file_format="tex")


def test_too_many_expressions_are_refused_before_anything_is_parsed():
    text = "\n".join(f"x_{i} = y" for i in range(MAX_EXPRESSIONS // 2 + 1))
    with cpu_seconds_below(2.0), pytest.raises(FormulaError, match="at most 400"):
        read_chains(text)


def test_a_file_of_a_million_characters_is_read_in_bounded_time():
    text = ("Some prose, $x = y$ inline. " * 35_000)[:999_000] + "\n\\[ a = b \\]\n"
    with cpu_seconds_below(5.0):
        chains = read_chains(text).chains
    assert len(chains) == 1


@pytest.mark.parametrize(
    "row",
    [" " * 200_000, ", " * 100_000, "\\quad" * 100_000, "_1" * 100_000, "\\$" * 100_000],
    ids=["spaces", "commas", "quads", "subscripts", "escaped dollars"],
)
def test_long_rows_are_read_in_linear_time(row):
    text = f"\\begin{{align}} x{row} = y \\end{{align}}"
    with cpu_seconds_below(5.0):
        chains = read_chains(text).chains
    assert [len(chain.pieces) for chain in chains] == [2]
