r"""LaTeX output primitives that know no claim: escaping, math, numbers, figure paths, PDF.

* :func:`latex_escape` — plain text (titles, notes, findings, parameter values) as LaTeX
  that pdflatex typesets with the packages of a basic TeX installation; a character it
  cannot typeset becomes :data:`UNKNOWN_CHARACTER`;
* :func:`latex_math_text` — LaTeX math from SymPy or a claim statement, made safe to include;
  :func:`latex_display` — the same as a display equation fitted to the line width;
* :func:`latex_number`, :func:`latex_fixed`, :func:`latex_count` — numbers as math-mode LaTeX;
* :func:`latex_finding` — a finding, its text escaped and its formulas typeset;
* :func:`latex_code` — a formula as written, breakable in ``\texttt``;
  :func:`pdf_bookmark` — text as a PDF bookmark takes it;
* :func:`latex_figure_path`, :func:`relative_inside` — figure paths as ``\includegraphics``
  takes them;
* :func:`compile_pdf` — ``pdflatex`` (or ``latexmk``) on a ``.tex`` file, one-line errors;
* :func:`check_report_output` — a report directory and ``--pdf`` checked before any work.

The Jinja2 templates that use them as filters are loaded by
:func:`reports.render.templates.load_template`.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

from dlnverify.errors import InvalidParameter
from reports.render.files import check_output_location

if TYPE_CHECKING:
    from derivations.result import Math

__all__ = [
    "LINE_CHARACTERS",
    "LONG_EQUATION",
    "LatexError",
    "UNKNOWN_CHARACTER",
    "check_report_output",
    "compile_pdf",
    "latex_code",
    "latex_count",
    "latex_display",
    "latex_escape",
    "latex_figure_path",
    "latex_finding",
    "latex_fixed",
    "latex_math_text",
    "latex_number",
    "pdf_bookmark",
    "relative_inside",
]

#: What :func:`latex_escape` writes for a character pdflatex cannot typeset and that has no
#: known LaTeX equivalent (a bold question mark, so that it shows and compiles).
UNKNOWN_CHARACTER = r"\textbf{?}"


_PDFLATEX_MISSING = (
    "pdflatex not found: install a TeX distribution "
    "(e.g. apt-get install texlive-latex-recommended) or omit --pdf"
)


class LatexError(InvalidParameter):
    """Compiling a LaTeX document failed (no TeX installed, a LaTeX error, a timeout)."""


_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "%": r"\%",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    # OT1 fonts typeset these three as other glyphs (¡, ¿, —) in text
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
}


# U+03B1 (alpha) ... U+03C9 (omega), in code-point order (U+03C2 is the final sigma)
_GREEK = (
    *("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"),
    *("lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "varsigma", "sigma", "tau"),
    *("upsilon", "phi", "chi", "psi", "omega"),
)


_GREEK_UPPER = {
    "Γ": "Gamma",
    "Δ": "Delta",
    "Θ": "Theta",
    "Λ": "Lambda",
    "Ξ": "Xi",
    "Π": "Pi",
    "Σ": "Sigma",
    "Υ": "Upsilon",
    "Φ": "Phi",
    "Ψ": "Psi",
    "Ω": "Omega",
}


#: Non-ASCII characters typeset in math mode: character -> math-mode LaTeX.
_MATH = {
    **{chr(0x3B1 + i): "\\" + name for i, name in enumerate(_GREEK) if name != "omicron"},
    "ο": "o",
    "ϵ": r"\epsilon",
    "ε": r"\varepsilon",
    "ϑ": r"\vartheta",
    "ϕ": r"\phi",
    "φ": r"\varphi",
    "ϱ": r"\varrho",
    "ς": r"\varsigma",
    **{char: "\\" + name for char, name in _GREEK_UPPER.items()},
    "±": r"\pm",
    "∓": r"\mp",
    "×": r"\times",
    "÷": r"\div",
    "·": r"\cdot",
    "⋅": r"\cdot",
    "∗": r"\ast",
    "−": "-",
    "≤": r"\leq",
    "≥": r"\geq",
    "≠": r"\neq",
    "≈": r"\approx",
    "≃": r"\simeq",
    "≅": r"\cong",
    "≡": r"\equiv",
    "∼": r"\sim",
    "∝": r"\propto",
    "≪": r"\ll",
    "≫": r"\gg",
    "∞": r"\infty",
    "√": r"\surd",
    "∂": r"\partial",
    "∇": r"\nabla",
    "∑": r"\sum",
    "∏": r"\prod",
    "∫": r"\int",
    "∈": r"\in",
    "∉": r"\notin",
    "⊂": r"\subset",
    "⊆": r"\subseteq",
    "∪": r"\cup",
    "∩": r"\cap",
    "∅": r"\emptyset",
    "∀": r"\forall",
    "∃": r"\exists",
    "¬": r"\neg",
    "∧": r"\wedge",
    "∨": r"\vee",
    "⊗": r"\otimes",
    "⊕": r"\oplus",
    "∘": r"\circ",
    "⊤": r"\top",
    "⊥": r"\perp",
    "†": r"\dagger",
    "′": r"\prime",
    "″": r"\prime\prime",
    "‖": r"\|",
    "⟨": r"\langle",
    "⟩": r"\rangle",
    "→": r"\to",
    "←": r"\leftarrow",
    "↔": r"\leftrightarrow",
    "⇒": r"\Rightarrow",
    "⇐": r"\Leftarrow",
    "⇔": r"\Leftrightarrow",
    "↦": r"\mapsto",
    "ℝ": r"\mathbb{R}",
    "ℕ": r"\mathbb{N}",
    "ℤ": r"\mathbb{Z}",
    "ℂ": r"\mathbb{C}",
    "ℓ": r"\ell",
    "ℏ": r"\hbar",
    "µ": r"\mu",
    "°": r"^{\circ}",
    "½": r"\tfrac{1}{2}",
    "¼": r"\tfrac{1}{4}",
    "¾": r"\tfrac{3}{4}",
    "¹": "^{1}",
    "²": "^{2}",
    "³": "^{3}",
    **{chr(0x2070 + d): f"^{{{d}}}" for d in (0, 4, 5, 6, 7, 8, 9)},
    "⁺": "^{+}",
    "⁻": "^{-}",
    "ⁿ": "^{n}",
    "ᵀ": r"^{\top}",
    **{chr(0x2080 + d): f"_{{{d}}}" for d in range(10)},
}


#: Non-ASCII characters typeset in text mode: character -> text-mode LaTeX.
_TEXT = {
    "—": "---",
    "–": "--",
    "‐": "-",
    "‑": "-",
    "‘": "`",
    "’": "'",
    "“": "``",
    "”": "''",
    "„": ",,",
    "«": "<<",
    "»": ">>",
    "…": r"\dots{}",
    "§": r"\S{}",
    "¶": r"\P{}",
    "©": r"\copyright{}",
    "\u00a0": "~",
    "\u2009": r"\,",
    "\u202f": r"\,",
    "ß": r"\ss{}",
    "æ": r"\ae{}",
    "Æ": r"\AE{}",
    "œ": r"\oe{}",
    "Œ": r"\OE{}",
    "ø": r"\o{}",
    "Ø": r"\O{}",
    "å": r"\aa{}",
    "Å": r"\AA{}",
    "ł": r"\l{}",
    "Ł": r"\L{}",
    "ı": r"\i{}",
    "•": r"\ensuremath{\bullet}",
}


#: Combining accents (after NFD decomposition) -> the LaTeX accent command.
_ACCENTS = {
    "\u0300": "`",
    "\u0301": "'",
    "\u0302": "^",
    "\u0303": "~",
    "\u0304": "=",
    "\u0306": "u",
    "\u0307": ".",
    "\u0308": '"',
    "\u030a": "r",
    "\u030b": "H",
    "\u030c": "v",
    "\u0327": "c",
    "\u0328": "k",
}


def _accented(char: str) -> str | None:
    """``ô`` -> ``\\^{o}``: a Latin letter with one or more combining accents, else None."""
    decomposed = unicodedata.normalize("NFD", char)
    base, accents = decomposed[0], decomposed[1:]
    if not (base.isascii() and base.isalpha()) or not accents:
        return None
    if any(a not in _ACCENTS for a in accents):
        return None
    out = {"i": r"\i{}", "j": r"\j{}"}.get(base, base)
    for accent in accents:
        command = _ACCENTS[accent]
        out = f"\\{command}{{{out}}}"
    return out


def _text_char(char: str) -> str:
    if char in _SPECIALS:
        return _SPECIALS[char]
    if char.isascii():
        if char in "\n\t\r":
            return " "
        return char if char.isprintable() else ""
    if char in _TEXT:
        return _TEXT[char]
    if char in _MATH:
        return f"\\ensuremath{{{_MATH[char]}}}"
    accented = _accented(char)
    if accented is not None:
        return accented
    if unicodedata.category(char) in ("Mn", "Cf", "Cc"):
        return ""  # stray combining marks and invisible format characters
    if unicodedata.category(char) == "Zs":
        return " "
    return UNKNOWN_CHARACTER


def latex_escape(text: str) -> str:
    r"""Plain text as LaTeX that pdflatex typesets as the same text.

    The LaTeX specials ``\ { } $ & # % _ ~ ^`` (and ``< > |``, which OT1 fonts would print as
    other glyphs) are escaped; Unicode that pdflatex cannot typeset is mapped to LaTeX:
    Greek letters and mathematical symbols (``σ``, ``±``, ``≤``, ``∞``, ``×``, ``≈``, ``√``,
    ``²``, ``∗`` ...) to math commands inside ``\ensuremath``, punctuation (``—``, ``–``,
    quotes, ``§``) to text commands, and accented Latin letters (``ô``, ``é``, ``ü`` ...) to
    accent commands (``\^{o}``).  Newlines and tabs become spaces, control characters are
    dropped, and any other character (CJK, emoji, ...) becomes :data:`UNKNOWN_CHARACTER`, a
    visible marker that cannot break compilation.

    Parameters
    ----------
    text : str
        Plain text (not LaTeX).

    Returns
    -------
    str
        LaTeX text-mode source.
    """
    if not isinstance(text, str):
        raise InvalidParameter(f"Got text of type {type(text).__name__}, but it must be a str.")
    return "".join(_text_char(char) for char in text)


def latex_math_text(latex: str) -> str:
    r"""LaTeX math source made safe for pdflatex: non-ASCII characters mapped to math commands.

    ``\sigma ≤ 1`` becomes ``\sigma \leq  1``; characters with only a text form (``—``,
    ``ô``) go inside ``\text{...}``; unknown ones become :data:`UNKNOWN_CHARACTER` inside
    ``\text``.  ASCII passes unchanged (it is LaTeX already).

    Parameters
    ----------
    latex : str
        LaTeX math-mode source (a claim statement, a derivation step).

    Returns
    -------
    str
        The same source with every non-ASCII character replaced.
    """
    if not isinstance(latex, str):
        raise InvalidParameter(f"Got LaTeX of type {type(latex).__name__}, but it must be a str.")
    out = []
    for char in latex:
        if char.isascii():
            out.append(char)
        elif char in _MATH:
            command = _MATH[char]  # spaced, not braced: a relation keeps its spacing
            out.append(command + " " if command[-1].isalpha() else command)
        else:
            out.append(f"\\text{{{_text_char(char)}}}")
    return "".join(out)


# --- numbers, equations, findings and other LaTeX layout --------------------------------------


#: Display equations longer than this many characters of LaTeX are broken into lines at
#: their top-level ``+`` and ``-`` (each line at most this long, when the terms allow).
LINE_CHARACTERS = 240

#: Display equations longer than this many characters are set in ``\scriptstyle`` (their
#: lines would otherwise be scaled down unevenly to the line width).
LONG_EQUATION = 1500


def _infinite(x: float) -> str | None:
    if math.isnan(x):
        return r"\mathrm{NaN}"
    if math.isinf(x):
        return r"\infty" if x > 0 else r"-\infty"
    return None


def latex_number(value: float, digits: int) -> str:
    """A float as math-mode LaTeX (``1.5\\times10^{-5}``) with ``digits`` significant digits;
    NaN and infinities as ``\\mathrm{NaN}`` and ``\\pm\\infty``."""
    x = float(value)
    special = _infinite(x)
    if special is not None:
        return special
    text = f"{x:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        power = f"10^{{{int(exponent)}}}"
        return power if mantissa == "1" else f"{mantissa}\\times{power}"
    return text


def latex_fixed(value: float, decimals: int = 2) -> str:
    """A float as math-mode LaTeX with ``decimals`` decimals (``0.67``); NaN and infinities
    as in :func:`latex_number`."""
    x = float(value)
    special = _infinite(x)
    return special if special is not None else f"{x:.{decimals}f}"


def latex_count(text: str) -> str:
    r"""A count as printed (``"200,000"``, ``"n/a"``) as math-mode LaTeX: its thousands
    separated by thin spaces (``200\,000``)."""
    return text.replace(",", r"\,")


def latex_finding(finding: str) -> str:
    """A finding as LaTeX: its text escaped, its formulas (the
    :class:`~derivations.result.Math` pieces of a :class:`~derivations.result.Finding`)
    typeset as math, inline or displayed."""
    pieces = getattr(finding, "pieces", (finding,))
    return "".join(latex_escape(p) if isinstance(p, str) else _math(p) for p in pieces)


def _math(piece: Math) -> str:
    source = latex_math_text(piece.latex)
    return f"\\[ {source} \\]" if piece.display else f"${source}$"


def _top_level(latex: str, separators: tuple[str, ...]) -> list[int]:
    """Positions in ``latex`` where one of ``separators`` starts outside every group.

    Groups are ``{...}``, ``\\left ... \\right`` and ``\\begin ... \\end``; escaped braces
    (``\\{``) are not groups.
    """
    positions, depth, i = [], 0, 0
    while i < len(latex):
        char = latex[i]
        if char == "\\":
            command = re.match(r"\\([A-Za-z]+|.)", latex[i:])
            name = command.group(1) if command else ""
            if name in ("left", "begin"):
                depth += 1
            elif name in ("right", "end"):
                depth -= 1
            i += 1 + len(name)
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif depth == 0 and any(latex.startswith(sep, i) for sep in separators):
            positions.append(i)
        i += 1
    return positions


def _split_lines(latex: str) -> list[str] | None:
    """``lhs = a + b - c ...`` as lines ``[lhs &= a + b, & - c ...]``, or None if unsplittable."""
    equals = _top_level(latex, (" = ",))
    start = equals[0] + 3 if equals else 0
    cuts = [p for p in _top_level(latex, (" + ", " - ")) if p > start]
    if not cuts:
        return None
    terms, previous = [], start
    for cut in cuts:
        terms.append(latex[previous:cut])
        previous = cut
    terms.append(latex[previous:])
    lines, current = [], ""
    for term in terms:
        if current and len(current) + len(term) > LINE_CHARACTERS:
            lines.append(current)
            current = term
        else:
            current += term
    lines.append(current)
    if len(lines) == 1:
        return None
    head = f"{latex[: equals[0]]} &= " if equals else "& "
    rows = [head + lines[0].strip()] + [r"&\quad " + line.strip() for line in lines[1:]]
    return rows


def latex_display(latex: str) -> str:
    r"""LaTeX math as a display equation, fitted to the line width (``\fitmath`` of the
    reports' preamble); ``""`` for empty math.

    An equation longer than :data:`LINE_CHARACTERS` is broken into aligned lines at its
    top-level ``+`` and ``-``; one longer than :data:`LONG_EQUATION` is set in
    ``\scriptstyle``.  ``\fitmath`` scales the result down to the line width (and to the
    page height) only when it is larger.
    """
    body = latex_math_text(latex).strip()
    if not body:
        return ""
    style = r"\scriptstyle " if len(body) > LONG_EQUATION else r"\displaystyle "
    rows = _split_lines(body) if len(body) > LINE_CHARACTERS else None
    if rows is not None:
        body = "\\begin{aligned}" + " \\\\ ".join(rows) + "\\end{aligned}"
    return f"\\[\\fitmath{{{style}{body}}}\\]"


#: Characters of a formula as written after which a line may break.
_CODE_BREAKS = frozenset(" +-*/^(),=")


def latex_code(text: str) -> str:
    r"""``text`` as a ``\texttt`` argument that may break after operators and spaces, so a
    long formula as the user wrote it wraps instead of running into the margin."""
    return "".join(
        latex_escape(char) + (r"\allowbreak{}" if char in _CODE_BREAKS else "") for char in text
    )


def pdf_bookmark(text: str) -> str:
    """ASCII text safe in a PDF bookmark (accents dropped, specials and symbols removed)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^A-Za-z0-9 .,;:()+=/*'!?-]", " ", ascii_text).split())


# --- figures and PDF --------------------------------------------------------------------------


def latex_figure_path(path: str, owner: str) -> str:
    """``path`` as ``\\includegraphics`` takes it: forward slashes, and only the characters
    LaTeX reads verbatim (letters, digits, ``. _ / + -``); ``owner`` names the section in
    the error."""
    posix = Path(path).as_posix() if "\\" not in path else path.replace("\\", "/")
    if not re.fullmatch(r"[A-Za-z0-9._/+-]+", posix) or posix.count(".") == 0:
        raise InvalidParameter(
            f"Got figure {path!r} for {owner}, but a figure path must be a file name "
            "with an extension made of letters, digits and . _ / + - only."
        )
    return posix


def relative_inside(path: Path, directory: Path) -> str:
    """``path`` relative to ``directory`` (POSIX), or a one-line error when it lies outside."""
    try:
        return path.resolve().relative_to(directory.resolve()).as_posix()
    except ValueError:
        raise InvalidParameter(
            f"Got figure {str(path)!r}, but it must lie inside the report directory "
            f"{str(directory)!r}."
        ) from None


def _first_error(log: Path, output: str) -> str:
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else output
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("!"):
            message = line.lstrip("! ").strip() or line.strip()
            where = next((m for m in lines[i + 1 : i + 30] if re.match(r"l\.\d+ ", m)), None)
            if where is not None:
                message += f" (line {where.split()[0][2:]})"
            return message
    tail = [line.strip() for line in output.splitlines() if line.strip()]
    return tail[-1] if tail else "no error message"


#: Files LaTeX and latexmk leave beside the PDF; removed after a successful compilation (kept
#: after a failure, where the log helps).
_AUXILIARY_SUFFIXES = (".aux", ".log", ".out", ".toc", ".fls", ".fdb_latexmk")


#: What a report directory holds: its files and the directory of its figures.
_REPORT_FILES = ("report.html", "report.tex", "report.md", "report.pdf", "figures")


def check_report_output(directory: str | Path, *, flag: str, pdf: str) -> bool:
    """Whether a PDF of a report written to ``directory`` can be compiled (``latexmk`` or
    ``pdflatex`` on ``PATH``).

    A one-line :class:`~dlnverify.errors.InvalidParameter` if ``directory`` (given as option
    ``flag``) or a file of the report in it cannot be written there
    (:func:`~reports.render.files.check_output_location`: ``directory`` a file or under one,
    not writable, ``report.html`` or ``report.tex`` a directory, ...), or if ``pdf`` is
    ``"yes"`` and nothing can compile; nothing is created, so a command can check its report
    before a long run.
    """
    check_output_location(directory, option=flag, directory=True)
    for name in _REPORT_FILES:
        check_output_location(Path(directory, name), option=flag, directory=name == "figures")
    can_compile = shutil.which("latexmk") is not None or shutil.which("pdflatex") is not None
    if pdf == "yes" and not can_compile:
        raise InvalidParameter(
            "--pdf yes needs pdflatex: install a TeX distribution "
            "(e.g. apt-get install texlive-latex-recommended) or use --pdf auto/no"
        )
    return can_compile


def compile_pdf(tex_path: str | Path, *, timeout: float = 120) -> Path:
    r"""Compile a ``.tex`` file to PDF in its directory and return the PDF's path.

    Runs ``latexmk -pdf -interaction=nonstopmode -halt-on-error`` (or ``pdflatex`` twice when
    latexmk is absent) without a shell.  ``SOURCE_DATE_EPOCH`` is set so that the PDF carries
    no build date.  After a successful run the auxiliary files (``.aux``, ``.log``, ...) are
    removed, so the directory holds the source, the PDF and the figures; after a failure they
    stay for inspection.

    Parameters
    ----------
    tex_path : str or pathlib.Path
        The LaTeX source.
    timeout : float, default 120
        Seconds allowed for the whole compilation.

    Returns
    -------
    pathlib.Path
        ``tex_path`` with suffix ``.pdf``.

    Raises
    ------
    LatexError
        pdflatex is not installed, LaTeX reported an error (the message holds the first
        ``!`` line of the log) or the compilation timed out.
    """
    tex = Path(tex_path)
    if tex.suffix != ".tex" or not tex.is_file():
        raise InvalidParameter(f"Got tex_path {str(tex)!r}, but it must be an existing .tex file.")
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
        raise InvalidParameter(f"Got timeout {timeout!r}, but it must be a positive number.")
    if not math.isfinite(timeout):
        raise InvalidParameter(f"Got timeout {timeout!r}, but it must be finite.")
    pdflatex = shutil.which("pdflatex")
    if pdflatex is None:
        raise LatexError(_PDFLATEX_MISSING)
    latexmk = shutil.which("latexmk")
    flags = ["-interaction=nonstopmode", "-halt-on-error"]
    if latexmk is not None:
        commands = [[latexmk, "-pdf", *flags, tex.name]]
    else:
        commands = [[pdflatex, *flags, tex.name]] * 2
    env = {**os.environ, "SOURCE_DATE_EPOCH": "0", "FORCE_SOURCE_DATE": "1"}
    for command in commands:
        try:
            result = subprocess.run(
                command,
                cwd=tex.parent,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise LatexError(
                f"LaTeX did not finish {tex.name} within {timeout:g} s (timeout)."
            ) from None
        if result.returncode != 0:
            error = _first_error(tex.with_suffix(".log"), result.stdout + result.stderr)
            raise LatexError(f"LaTeX failed on {tex.name}: {error}")
    pdf = tex.with_suffix(".pdf")
    if not pdf.is_file():
        raise LatexError(f"LaTeX produced no PDF for {tex.name}.")
    for suffix in _AUXILIARY_SUFFIXES:
        tex.with_suffix(suffix).unlink(missing_ok=True)
    return pdf
