r"""Derivation chains read off a file, with the line of every expression and relation.

``dlnverify check-steps FILE`` (:mod:`reports.formulas.chain`) checks a derivation written as
a theorist writes it.  This module only reads the file: it finds the chains, splits them into
expressions and relations, and keeps each one's lines; it never parses an expression (that
is :func:`reports.formulas.parse.parse_side`) and never runs TeX.

Two formats (:class:`ChainFormat`):

* **TeX** (a ``.tex``/``.ltx`` file, or text with a display environment): every
  ``equation``, ``align``, ``gather``, ``multline`` (starred or not), ``displaymath``,
  ``\[...\]`` and ``$$...$$`` holds chains; prose, inline math and comments around them are
  ignored, and so is what TeX never typesets as math (``verbatim``, ``comment``,
  ``lstlisting``, ``minted``, ``\iffalse ... \fi``, ``\verb|...|``).  Inside,
  ``\label{}``, ``\tag{}``, ``\nonumber``, ``\notag``, alignment ``&``,
  ``split``/``aligned``/``gathered``, a trailing ``,`` or ``.`` and a trailing annotation
  ``\text{...}`` are removed, and each removal is listed (:attr:`ChainText.reading`).  Rows
  (``\\``) join into one chain when a row starts with a relation (``&= ...``), or with
  ``+ - \cdot \times`` (the previous expression goes on), or the previous row ends with a
  relation or an operator; any other row starts a new chain; ``\intertext{...}`` ends one.
  In ``multline`` all rows are one expression.  ``eqnarray``, ``flalign`` and ``alignat``
  are refused (rewrite them as ``align``).
* **Lines** (any other file): one expression per line; a line that starts with a relation
  continues the chain above, any other line starts a new one; a line may itself hold
  relations (``x = y``); lines starting with ``#`` or ``%`` are comments.

Relations (:class:`Relation`): ``=`` (also ``\overset{...}{=}``, ``\stackrel{...}{=}``);
``\propto`` (``∝``); ``\approx``, ``\simeq``, ``\sim`` (``≈ ≃ ∼``); definitions ``:=``,
``=:``, ``\coloneqq``, ``\equiv``, ``\triangleq``, ``\doteq``; inequalities ``< > \le \ge
\leq \geq \leqslant \geqslant \ne \neq \ll \gg`` (``≤ ≥ ≠``, ``<= >= !=``).  Implications
(``\implies``, ``\Rightarrow``, ``\iff``, ...) end a chain.  ``==`` is refused.

Directives, the only comments read: ``% dlnverify: real x, y`` (also ``positive``,
``nonnegative``, ``integer``, ``natural``: the domain of free letters,
:class:`~reports.formulas.letters.Domain`) and ``% dlnverify: variables s`` (the variables
of ``\propto`` steps); ``#`` instead of ``%`` in a lines file.  A comment that starts with
``dlnverify`` but is not one of them is refused.

The TeX source is never run: anywhere outside comments, ``\input``, ``\include``,
``\write18``, ``\def``, ``\newcommand``, ``\csname``, ``\catcode`` and every other command
that defines macros, changes how characters read, or reads or writes files
(:data:`FORBIDDEN_COMMANDS`), and TeX's ``^^`` character notation, are refused: the math
would not mean what it says.  Control characters (binary data) are refused too.  Every
refusal is one :class:`~dlnverify.errors.FormulaError` line naming the file and line.  A
file holds at most :data:`MAX_EXPRESSIONS` expressions.
"""

from __future__ import annotations

import bisect
import enum
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import sympy as sp

from derivations.conventions import PARAMETERS
from dlnverify.errors import FormulaError
from reports.formulas._latex_grammar import TEXT_FUNCTIONS, group_end, top_level_positions
from reports.formulas.letters import DECLARED_LETTERS, Domain, LetterKey, Letters, letter_key

__all__ = [
    "ChainFile",
    "ChainFormat",
    "ChainText",
    "FORBIDDEN_COMMANDS",
    "Link",
    "MAX_EXPRESSIONS",
    "Piece",
    "Relation",
    "read_chains",
]

#: Most expressions a file may hold (every one is parsed before the first step is checked).
MAX_EXPRESSIONS = 400

#: Commands refused anywhere in the file: they define or redefine macros, change category
#: codes, expand names built from text, read or write files, or run programs.
FORBIDDEN_COMMANDS = frozenset(
    {
        "input", "include", "InputIfFileExists", "subfile", "import", "subimport",
        "includeonly", "read", "readline", "openin", "openout", "write", "immediate",
        "write18", "ShellEscape", "directlua", "luaexec", "luadirect", "special",
        "def", "edef", "gdef", "xdef", "let", "futurelet", "newcommand", "renewcommand",
        "providecommand", "DeclareRobustCommand", "DeclareMathOperator", "newenvironment",
        "renewenvironment", "NewDocumentCommand", "RenewDocumentCommand",
        "ProvideDocumentCommand", "DeclareDocumentCommand", "NewExpandableDocumentCommand",
        "newif", "mathchardef", "chardef", "countdef", "dimendef", "toksdef", "csname",
        "endcsname", "expandafter", "noexpand", "scantokens", "catcode", "lccode", "uccode",
        "mathcode", "delcode", "sfcode", "makeatletter", "makeatother", "uppercase",
        "lowercase", "everymath", "everydisplay", "everypar", "afterassignment",
        "aftergroup", "ExplSyntaxOn", "usetikzlibrary", "pdfshellescape",
    }
)  # fmt: skip

_CHAIN_ENVIRONMENTS = frozenset(
    f"{name}{star}"
    for name in ("equation", "align", "gather", "multline", "displaymath")
    for star in ("", "*")
)
_REFUSED_ENVIRONMENTS = frozenset(
    f"{name}{star}" for name in ("eqnarray", "flalign", "alignat", "xalignat") for star in ("", "*")
)
_INNER_ENVIRONMENTS = ("split", "aligned", "gathered", "alignedat")
_TEX_SUFFIXES = (".tex", ".ltx", ".latex")


class ChainFormat(enum.StrEnum):
    """How a file holds its chains (module docstring)."""

    AUTO = "auto"
    TEX = "tex"
    LINES = "lines"


class Relation(enum.StrEnum):
    """What a relation between two expressions claims, and so how the step is checked."""

    EQUAL = "equal"
    PROPORTIONAL = "proportional"
    APPROXIMATE = "approximate"
    DEFINITION = "definition"
    INEQUALITY = "inequality"


#: Every relation as written, and its kind; ``None`` ends the chain (an implication).
_RELATIONS: dict[str, Relation | None] = {
    "=": Relation.EQUAL,
    "\\propto": Relation.PROPORTIONAL,
    "\N{PROPORTIONAL TO}": Relation.PROPORTIONAL,
    "\\approx": Relation.APPROXIMATE,
    "\\simeq": Relation.APPROXIMATE,
    "\\sim": Relation.APPROXIMATE,
    "\N{ALMOST EQUAL TO}": Relation.APPROXIMATE,
    "\N{ASYMPTOTICALLY EQUAL TO}": Relation.APPROXIMATE,
    "\N{TILDE OPERATOR}": Relation.APPROXIMATE,
    ":=": Relation.DEFINITION,
    "=:": Relation.DEFINITION,
    "\\coloneqq": Relation.DEFINITION,
    "\\eqqcolon": Relation.DEFINITION,
    "\\equiv": Relation.DEFINITION,
    "\\triangleq": Relation.DEFINITION,
    "\\doteq": Relation.DEFINITION,
    "\N{IDENTICAL TO}": Relation.DEFINITION,
    "<=": Relation.INEQUALITY,
    ">=": Relation.INEQUALITY,
    "!=": Relation.INEQUALITY,
    "<": Relation.INEQUALITY,
    ">": Relation.INEQUALITY,
    "\\leqslant": Relation.INEQUALITY,
    "\\geqslant": Relation.INEQUALITY,
    "\\leq": Relation.INEQUALITY,
    "\\geq": Relation.INEQUALITY,
    "\\le": Relation.INEQUALITY,
    "\\ge": Relation.INEQUALITY,
    "\\neq": Relation.INEQUALITY,
    "\\ne": Relation.INEQUALITY,
    "\\ll": Relation.INEQUALITY,
    "\\gg": Relation.INEQUALITY,
    "\N{LESS-THAN OR EQUAL TO}": Relation.INEQUALITY,
    "\N{GREATER-THAN OR EQUAL TO}": Relation.INEQUALITY,
    "\N{NOT EQUAL TO}": Relation.INEQUALITY,
    "\\implies": None,
    "\\impliedby": None,
    "\\Rightarrow": None,
    "\\Longrightarrow": None,
    "\\Leftarrow": None,
    "\\Longleftarrow": None,
    "\\iff": None,
    "\\Leftrightarrow": None,
    "\\Longleftrightarrow": None,
    "\N{RIGHTWARDS DOUBLE ARROW}": None,
    "\N{LONG RIGHTWARDS DOUBLE ARROW}": None,
    "\N{LEFT RIGHT DOUBLE ARROW}": None,
}
_RELATION = re.compile(
    "==|"
    + "|".join(
        re.escape(text) + ("(?![A-Za-z])" if text[0] == "\\" else "")
        for text in sorted(_RELATIONS, key=len, reverse=True)
    )
)
_ANNOTATED_RELATION = re.compile(r"\\(?:overset|stackrel|underset)\s*(?=\{)")
_SPACE = re.compile(r"(?:\s|~|\\[,;:! ]|\\q?quad(?![A-Za-z]))*")
_OPERATOR_START = re.compile(r"(?:[+\-*/]|\\cdot(?![A-Za-z])|\\times(?![A-Za-z]))")
_OPERATOR_END = re.compile(r"(?:[+\-*/]|\\cdot|\\times)\s*$")
_SPACING_TAILS = ("\\qquad", "\\quad", "\\,", "\\;", "\\:", "\\!", "\\ ")
#: An annotation command, right before the ``{`` of its text.
_ANNOTATION_COMMAND = re.compile(r"\\(?:text|textrm|mbox|textnormal|textit)\s*$")
_DEBRIS = re.compile(
    r"\\(?:label|tag\*?|intertext|shortintertext)\s*(?=\{)|\\(?:nonumber|notag)(?![A-Za-z])"
)
_INNER = re.compile(
    r"\\(?:begin|end)\s*\{(?:" + "|".join(_INNER_ENVIRONMENTS) + r")\}(?:\s*\[[a-z]\])?"
    r"(?:\s*\{\d+\})?"
)
_ROW_BREAK = re.compile(r"\\\\\*?(?:\s*\[[^\[\]]{0,20}\])?")
_DISPLAY = re.compile(r"\\\\|\\\$|\\begin\s*\{([A-Za-z]+\*?)\}|\\\[|\\\(|\$\$|\$")
_COMMAND_WORD = re.compile(r"\\([A-Za-z]+)(\d*)")
_DIRECTIVE = re.compile(r"dlnverify\s*:\s*([a-z]+)\s+(\S.*?)\s*$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Piece:
    """One expression of a chain, as written (debris removed).

    Attributes
    ----------
    text : str
        The expression, on one line (line breaks read as spaces).
    offset : int
        Where ``text`` starts in the file (for locating a column of it).
    lines : tuple[int, int]
        Its first and last line in the file (1-based).
    """

    text: str
    offset: int
    lines: tuple[int, int]


@dataclass(frozen=True)
class Link:
    """A relation between two consecutive expressions: its kind, as written, its line."""

    relation: Relation
    written: str
    line: int
    annotation: str | None = None


@dataclass(frozen=True)
class ChainText:
    """A chain as written: expressions joined by relations.

    Attributes
    ----------
    pieces : tuple[Piece, ...]
        The expressions, in order.
    links : tuple[Link, ...]
        The relation between ``pieces[i]`` and ``pieces[i + 1]``.
    environment : str
        Where it stands: ``"align*"``, ``"\\[...\\]"``, ``"lines"``, ...
    reading : tuple[str, ...]
        What was removed or read, in words.
    """

    pieces: tuple[Piece, ...]
    links: tuple[Link, ...]
    environment: str
    reading: tuple[str, ...] = ()

    @property
    def lines(self) -> tuple[int, int]:
        """The first and last line of the chain."""
        return self.pieces[0].lines[0], self.pieces[-1].lines[1]


@dataclass(frozen=True)
class ChainFile:
    """The chains of a file and what its directives declare.

    Attributes
    ----------
    name : str
        The file's name, for messages.
    format : ChainFormat
        :attr:`ChainFormat.TEX` or :attr:`ChainFormat.LINES`, as read.
    chains : tuple[ChainText, ...]
        In file order.
    letters : Letters
        The domains the directives give free letters.
    variables : tuple[LetterKey, ...]
        The variables of ``\\propto`` steps declared by ``% dlnverify: variables``.
    line_starts : tuple[int, ...]
        The offset where each line starts (for :meth:`line_of`).
    """

    name: str
    format: ChainFormat
    chains: tuple[ChainText, ...]
    letters: Letters = field(default_factory=Letters)
    variables: tuple[LetterKey, ...] = ()
    line_starts: tuple[int, ...] = field(default=(0,), repr=False)

    def line_of(self, offset: int) -> int:
        """The line (1-based) of a character offset of the file."""
        return bisect.bisect_right(self.line_starts, offset)


@dataclass
class _Row:
    """A row of a display (or a line of a lines file): its span in the file, what was
    removed from it, and whether an ``\\intertext`` stands in it (ending the chain)."""

    start: int
    end: int
    reading: list[str]
    after_break: bool = False


class _LineIndex:
    """Line numbers of character offsets."""

    def __init__(self, text: str) -> None:
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)


class _Reader:
    """One file being read: its text, a masked copy (comments and debris blanked, offsets
    kept) and the line index."""

    def __init__(self, text: str, name: str) -> None:
        self.text = text
        self.name = name
        self.index = _LineIndex(text)
        self.masked = list(text)
        self.domains: dict[LetterKey, Domain] = {}
        self.variables: list[LetterKey] = []

    def error(self, offset: int, message: str) -> FormulaError:
        return FormulaError(f"{self.name}, line {self.index.line_of(offset)}: {message}")

    def blank(self, start: int, end: int) -> None:
        """Replace ``[start, end)`` of the masked copy by spaces (line breaks kept)."""
        for position in range(start, end):
            if self.masked[position] != "\n":
                self.masked[position] = " "

    def view(self, start: int = 0, end: int | None = None) -> str:
        return "".join(self.masked[start:end])

    # ------------------------------------------------------------------ the whole file

    def refuse_hazards(self) -> None:
        """Control characters, TeX's ``^^`` notation and :data:`FORBIDDEN_COMMANDS`
        (outside comments: run after :meth:`comments`)."""
        masked = self.view()
        control = _CONTROL.search(self.text)
        if control is not None:
            raise self.error(
                control.start(),
                f"control character {control.group()!r} (binary data?): a chain file is text",
            )
        caret = masked.find("^^")
        if caret >= 0:
            raise self.error(
                caret, "TeX's ^^ character notation is refused: write the character itself"
            )
        for match in _COMMAND_WORD.finditer(masked):
            name = match.group(1) + match.group(2)
            if name not in FORBIDDEN_COMMANDS:
                name = match.group(1)
            if name in FORBIDDEN_COMMANDS:
                raise self.error(
                    match.start(),
                    f"\\{name} is refused: the TeX source is never run, and a"
                    " command that defines macros, changes how characters read or reads or"
                    " writes files would change what the math means; remove it (or copy the"
                    " derivation into a file of its own, without the preamble)",
                )

    def untypeset(self) -> None:
        """Blank what TeX never typesets as math (after :meth:`refuse_hazards`, which has
        seen it): the environments of :data:`_UNTYPESET_ENVIRONMENTS`, ``\\iffalse ...
        \\fi`` (to the first ``\\fi``) and ``\\verb|...|``; in one pass over the file."""
        masked = self.view()
        position = 0
        while (match := _UNTYPESET_START.search(masked, position)) is not None:
            if match.group("environment") is not None:
                closing = f"\\end{{{match.group('environment')}}}"
                end = masked.find(closing, match.end())
                what = f"\\begin{{{match.group('environment')}}}"
            elif match.group("verb") is not None:
                line_end = masked.find("\n", match.end())
                end = masked.find(
                    match.group("verb"), match.end(), None if line_end < 0 else line_end
                )
                closing, what = match.group("verb"), "\\verb"
            else:
                found = _FI.search(masked, match.end())
                closing, what = "\\fi", "\\iffalse"
                end = -1 if found is None else found.start()
            if end < 0:
                raise self.error(match.start(), f"{what} is never closed")
            position = end + len(closing)
            self.blank(match.start(), position)

    def comments(self, markers: str, whole_lines: bool) -> None:
        """Blank every comment (``%`` to the end of the line, not ``\\%``; with
        ``whole_lines``, only lines that start with one of ``markers``) and read its
        directive, if any."""
        position = 0
        for line in self.text.splitlines(keepends=True):
            start = position
            position += len(line)
            if whole_lines:
                stripped = line.lstrip()
                if not stripped or stripped[0] not in markers:
                    continue
                begin = start + len(line) - len(stripped)
            else:
                match = re.search(r"(?<!\\)%", line)
                if match is None:
                    continue
                begin = start + match.start()
            comment = self.text[begin + 1 : position].strip()
            if comment.startswith("dlnverify"):
                self.directive(comment, begin)
            self.blank(begin, position)

    def directive(self, comment: str, offset: int) -> None:
        match = _DIRECTIVE.fullmatch(comment)
        words = [*(d.value for d in Domain), "variables"]
        if match is None or match.group(1) not in words:
            raise self.error(
                offset,
                f"unknown directive {comment!r}: write 'dlnverify: WORD LETTERS' with WORD one"
                f" of {', '.join(words)}, e.g. '% dlnverify: real x, y'",
            )
        word, items = match.groups()
        for item in re.split(r"[\s,]+", items.strip()):
            try:
                key = letter_key(item)
            except FormulaError as error:
                raise self.error(offset, str(error)) from None
            if word == "variables":
                self.variables.append(key)
                continue
            if key in DECLARED_LETTERS:
                declared = PARAMETERS[DECLARED_LETTERS[key]].symbol
                requested = sp.Symbol(declared.name, **Domain(word).assumptions)
                if requested.assumptions0 == declared.assumptions0:  # says what is declared
                    continue
                parameter = PARAMETERS[DECLARED_LETTERS[key]]
                raise self.error(
                    offset,
                    f"{item} is the parameter {parameter.name}, declared as"
                    f" {parameter.description} (see check --list): a directive cannot make it"
                    f" {word}",
                )
            previous = self.domains.setdefault(key, Domain(word))
            if previous != Domain(word):
                raise self.error(offset, f"{item} is declared both {previous} and {word}")

    # ------------------------------------------------------------------ finding displays

    def displays(self) -> Iterator[tuple[str, int, int]]:
        """``(environment, start, end)`` of every display's content, in file order."""
        masked = self.view()
        position = 0
        while (match := _DISPLAY.search(masked, position)) is not None:
            token, start = match.group(), match.start()
            position = match.end()
            if token in {"\\\\", "\\$"}:
                continue
            if token.startswith("\\begin"):
                environment = match.group(1)
                if environment in _REFUSED_ENVIRONMENTS:
                    raise self.error(
                        start,
                        f"the {environment} environment is not read: write the derivation as"
                        " align (or align*)",
                    )
                if environment not in _CHAIN_ENVIRONMENTS:
                    continue  # document, proof, ...: prose that may hold displays
                end = re.compile(r"\\end\s*\{" + re.escape(environment) + r"\}")
                closing = end.search(masked, position)
                if closing is None:
                    raise self.error(start, f"\\begin{{{environment}}} is never closed")
                yield environment, position, closing.start()
                position = closing.end()
                continue
            closer = {"\\[": "\\]", "$$": "$$", "\\(": "\\)", "$": "$"}[token]
            closing_at = _unescaped_find(masked, closer, position)
            if closing_at < 0:
                raise self.error(start, f"{token} is never closed")
            if token in {"\\[", "$$"}:
                yield f"{token}...{closer}", position, closing_at
            position = closing_at + len(closer)

    # ------------------------------------------------------------------ rows and chains

    def rows(self, start: int, end: int) -> list[_Row]:
        """The rows of a display's content ``[start, end)``, debris blanked, each with what
        was removed from it."""
        content = self.view(start, end)
        notes: list[tuple[int, str]] = []
        breaks: list[int] = []
        for match in _DEBRIS.finditer(content):
            word = match.group().lstrip("\\").split("{")[0].strip().rstrip("*")
            close = match.end()
            if content.startswith("{", match.end()):
                found = group_end(content, match.end())
                if found is None:
                    raise self.error(start + match.start(), f"\\{word}{{ is never closed")
                close = found
            if word in {"intertext", "shortintertext"}:
                breaks.append(start + match.start())
            self.blank(start + match.start(), start + close)
            notes.append((start + match.start(), f"\\{word} removed"))
        for match in _INNER.finditer(self.view(start, end)):
            self.blank(start + match.start(), start + match.end())
            notes.append((start + match.start(), f"{' '.join(match.group().split())} removed"))
        content = self.view(start, end)
        rows = []
        row_start = 0
        separators: list[re.Match[str] | None] = [*_ROW_BREAK.finditer(content), None]
        for separator in separators:
            row_end = len(content) if separator is None else separator.start()
            row = _Row(start + row_start, start + row_end, [])
            row.reading = [note for at, note in notes if row.start <= at < row.end]
            row.after_break = any(row.start <= at < row.end for at in breaks)
            rows.append(row)
            if separator is not None:
                self.blank(start + separator.start(), start + separator.end())
                row_start = separator.end()
        for row in rows:
            self.clean_row(row)
        return rows

    def clean_row(self, row: _Row) -> None:
        """Blank a row's alignment ``&``, trailing annotation and trailing ``,``/``.``,
        noting each in ``row.reading``."""
        start, end, reading = row.start, row.end, row.reading
        text = self.view(start, end)
        for position, char in enumerate(text):
            if char == "&" and (position == 0 or text[position - 1] != "\\"):
                self.masked[start + position] = " "
                if "alignment & removed" not in reading:
                    reading.append("alignment & removed")
        text = self.view(start, end)
        cut = _annotation_start(text)
        if cut is not None:
            note = text[text.index("{", cut) + 1 : text.rindex("}")].strip()
            self.blank(start + cut, end)
            reading.append(f"annotation {note!r} ignored")
            text = self.view(start, end)
        last = _content_end(text) - 1
        if last >= 0 and text[last] in ",." and not text[:last].endswith("\\"):
            self.masked[start + last] = " "
            reading.append(f"the trailing {text[last]} removed")

    def relations(self, start: int, end: int) -> list[tuple[int, int, str, str | None]]:
        """The relations in ``[start, end)`` outside braces: ``(start, end, written,
        annotation)``, ``written`` as in :data:`_RELATIONS`."""
        text = self.view(start, end)
        found: list[tuple[int, int, str, str | None]] = []
        after = 0  # the end of the relation found last
        for position in top_level_positions(text):
            if position < after:
                continue
            annotated = _ANNOTATED_RELATION.match(text, position)
            if annotated is not None:
                first = group_end(text, annotated.end())
                second = None if first is None else group_end(text, first)
                if first is not None and second is not None:
                    inside = text[first + 1 : second - 1].strip()
                    if _RELATIONS.get(inside) is not None:
                        note = text[annotated.end() + 1 : first - 1].strip()
                        found.append((start + position, start + second, inside, note))
                        after = second
                        continue
            match = _RELATION.match(text, position)
            if match is not None:
                if match.group() == "==":
                    raise self.error(start + position, "== between expressions: write =")
                found.append((start + position, start + match.end(), match.group(), None))
                after = match.end()
        return found

    def starts_with(self, start: int, end: int, pattern: re.Pattern[str]) -> bool:
        text = self.view(start, end)
        at = _SPACE.match(text).end()  # type: ignore[union-attr]
        return pattern.match(text, at) is not None

    def ends_with_operator(self, start: int, end: int) -> bool:
        text = self.view(start, end).rstrip()
        if not text:
            return False
        if _OPERATOR_END.search(text):
            return True
        found = self.relations(start, end)
        return bool(found) and not text[found[-1][1] - start :].strip()

    def chains_of(self, rows: list[_Row], environment: str) -> list[ChainText]:
        """Join rows into chains (module docstring) and split each at its relations."""
        groups: list[list[_Row]] = []
        for row in rows:
            if not self.view(row.start, row.end).strip():
                continue
            last = groups[-1][-1] if groups else None
            joins = (
                last is not None
                and not row.after_break
                and (
                    environment.startswith("multline")
                    or self.starts_with(row.start, row.end, _RELATION)
                    or (
                        environment != "lines"
                        and (
                            self.starts_with(row.start, row.end, _OPERATOR_START)
                            or self.ends_with_operator(last.start, last.end)
                        )
                    )
                )
            )
            if joins:
                groups[-1].append(row)
                continue
            if environment == "lines" and self.starts_with(row.start, row.end, _RELATION):
                raise self.error(
                    row.start, "this line starts with a relation but no chain comes before it"
                )
            groups.append([row])
        chains = []
        for group in groups:
            reading = tuple(dict.fromkeys(note for row in group for note in row.reading))
            chains += self.split(group[0].start, group[-1].end, environment, reading)
        return chains

    def split(
        self, start: int, end: int, environment: str, reading: tuple[str, ...]
    ) -> list[ChainText]:
        """The chains of the text ``[start, end)``: expressions between its relations (an
        implication starts a new chain)."""
        chains: list[ChainText] = []
        pieces: list[Piece] = []
        links: list[Link] = []
        position = start
        for rel_start, rel_end, written, note in [
            *self.relations(start, end),
            (end, end, "", None),
        ]:
            piece = self.piece(position, rel_start)
            kind = _RELATIONS.get(written)
            if piece is None:
                where = f"before {written}" if written else "after the last relation"
                raise self.error(min(rel_start, end - 1), f"empty expression {where}")
            pieces.append(piece)
            if written and kind is not None:
                links.append(Link(kind, written, self.index.line_of(rel_start), note))
            else:
                chains.append(ChainText(tuple(pieces), tuple(links), environment, reading))
                pieces, links = [], []
            position = rel_end
        return chains

    def piece(self, start: int, end: int) -> Piece | None:
        raw = self.view(start, end)
        stripped = raw.strip()
        if not stripped:
            return None
        first = start + len(raw) - len(raw.lstrip())
        last = start + len(raw.rstrip()) - 1
        text = stripped.replace("\n", " ").replace("\r", " ").replace("\t", " ")
        return Piece(text, first, (self.index.line_of(first), self.index.line_of(last)))


#: Environments whose content TeX does not typeset as math (:meth:`_Reader.untypeset`).
_UNTYPESET_ENVIRONMENTS = ("verbatim*", "verbatim", "Verbatim", "comment", "lstlisting", "minted")
_FI = re.compile(r"\\fi(?![A-Za-z])")
_UNTYPESET_START = re.compile(
    r"\\begin\{(?P<environment>"
    + "|".join(re.escape(name) for name in _UNTYPESET_ENVIRONMENTS)
    + r")\}|\\iffalse(?![A-Za-z])|\\verb\*?(?P<verb>[^A-Za-z\s*])"
)


def _unescaped_find(text: str, target: str, start: int) -> int:
    """The next ``target`` in ``text`` from ``start`` not preceded by a backslash (an even
    number of them is no escape)."""
    position = start
    while (found := text.find(target, position)) >= 0:
        before = found
        while before > 0 and text[before - 1] == "\\":
            before -= 1
        if (found - before) % 2 == 0:
            return found
        position = found + 1
    return -1


def _content_end(text: str, end: int | None = None) -> int:
    """The end of ``text[:end]`` without its trailing spacing (whitespace, ``~``, ``\\,``,
    ``\\quad``, ...), in one pass from the end."""
    end = len(text) if end is None else end
    while True:
        while end > 0 and (text[end - 1].isspace() or text[end - 1] == "~"):
            end -= 1
        tail = next((t for t in _SPACING_TAILS if text.endswith(t, 0, end)), None)
        if tail is None or text.endswith("\\" + tail, 0, end):
            return end
        end -= len(tail)


def _annotation_start(text: str) -> int | None:
    """Where a trailing annotation (``\\quad \\text{(by parts)}.``) starts in a row, with
    the spacing and comma before it; ``None`` if the row does not end with one, or ends with
    ``\\text{e}`` or a function name (which belong to the formula)."""
    end = _content_end(text)
    while end > 0 and text[end - 1] in ",.":
        end = _content_end(text, end - 1)
    if end == 0 or text[end - 1] != "}":
        return None
    opening = text.rfind("{", 0, end - 1)
    closing = text.rfind("}", 0, end - 1)
    if opening < 0 or closing > opening:
        return None
    command = _ANNOTATION_COMMAND.search(text, max(0, opening - 40), opening)
    if command is None:
        return None
    if text[opening + 1 : end - 1].strip() in {*TEXT_FUNCTIONS, "e", "d"}:
        return None
    cut = _content_end(text, command.start())
    if cut > 0 and text[cut - 1] == ",":
        cut = _content_end(text, cut - 1)
    return cut


def _format_of(text: str, path: str | Path | None, asked: ChainFormat) -> ChainFormat:
    """The format asked for, or the one a ``.tex`` name or a display in the text implies."""
    if asked != ChainFormat.AUTO:
        return asked
    if path is not None and str(path).lower().endswith(_TEX_SUFFIXES):
        return ChainFormat.TEX
    names = "|".join(re.escape(name) for name in _CHAIN_ENVIRONMENTS | _REFUSED_ENVIRONMENTS)
    if re.search(r"\\begin\s*\{(?:" + names + r")\}|\\\[|\$\$", text):
        return ChainFormat.TEX
    return ChainFormat.LINES


def read_chains(
    text: str,
    *,
    name: str = "<text>",
    path: str | Path | None = None,
    file_format: ChainFormat | str = ChainFormat.AUTO,
) -> ChainFile:
    """The chains of ``text`` (the content of the file ``path``, called ``name`` in
    messages), with the lines of every expression and relation.

    Raises
    ------
    FormulaError
        One line naming the file and line: a forbidden command, ``^^``, a control
        character, a malformed directive, an environment that is never closed or is
        refused, an empty expression, ``==``, a line that starts with a relation with no
        chain before it, no chain at all, more than :data:`MAX_EXPRESSIONS` expressions.
    """
    try:
        asked = ChainFormat(file_format)
    except ValueError:
        raise FormulaError(
            f"Got format {file_format!r}, but the format must be auto, tex or lines."
        ) from None
    reader = _Reader(text, name)
    chosen = _format_of(text, path, asked)
    if chosen == ChainFormat.TEX:
        reader.comments("%", whole_lines=False)
    else:
        reader.comments("#%", whole_lines=True)
    reader.refuse_hazards()
    chains: list[ChainText] = []
    if chosen == ChainFormat.TEX:
        reader.untypeset()
        for environment, start, end in list(reader.displays()):
            chains += reader.chains_of(reader.rows(start, end), environment)
    else:
        rows = []
        position = 0
        for line in text.splitlines(keepends=True):
            line_start, position = position, position + len(line)
            row = _Row(line_start, line_start + len(line.rstrip("\r\n")), [])
            reader.clean_row(row)
            rows.append(row)
        chains = reader.chains_of(rows, "lines")
    if not chains:
        raise FormulaError(
            f"{name}: no chain found"
            + (
                " (no equation, align, gather, multline, \\[...\\] or $$...$$ in the file)"
                if chosen == ChainFormat.TEX
                else " (no expression lines)"
            )
        )
    count = sum(len(chain.pieces) for chain in chains)
    if count > MAX_EXPRESSIONS:
        raise FormulaError(
            f"{name}: {count} expressions; at most {MAX_EXPRESSIONS} are checked in one run:"
            " split the file"
        )
    return ChainFile(
        name,
        chosen,
        tuple(chains),
        Letters(dict(reader.domains)),
        tuple(dict.fromkeys(reader.variables)),
        tuple(reader.index.starts),
    )
