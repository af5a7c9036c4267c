r"""The verification report as a standalone LaTeX document, optionally compiled to PDF.

The same content as the Markdown report of :mod:`reports.documents.markdown`, typeset: a title, a summary
table (claim, symbolic verdict, Monte Carlo verdict, worst :math:`|z|` against its threshold),
the conventions of DESIGN.md §3 (:data:`~derivations.conventions.PARAMETERS` and
:data:`~derivations.conventions.CONVENTION_RESCALINGS`), then one section per claim: the
statement, the derivation steps SymPy produced, the symbolic verdict and its cases, any
finding (boxed), the Monte Carlo table (parameters, estimate :math:`\pm` SE, closed form,
:math:`z`, samples) with its note, and a figure (:mod:`reports.documents.figures`) where one helps.

The document is rendered from the Jinja2 template ``reports/templates/report.tex.j2`` and uses
only packages of a basic TeX installation (``amsmath``, ``amssymb``, ``booktabs``,
``longtable``, ``graphicx``, ``xcolor``, ``geometry``, ``hyperref``).  Output is
deterministic: no dates, no timings; the same outcomes give the same bytes.

Plain text (titles, notes, findings, paper references, parameter values) goes through
:func:`latex_escape`; LaTeX (statements, derivation steps) is typeset as display math that is
scaled down to the line width when it is too wide.  Jinja2 and matplotlib are imported only
when a report is rendered.
"""

from __future__ import annotations

import math
import os
import platform
import re
import shutil
import subprocess
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from derivations.conventions import CONVENTION_RESCALINGS, PARAMETERS, to_latex
from derivations.result import Finding, Math
from dlnverify import __version__
from dlnverify.errors import InvalidParameter
from reports.engine.claim import parameters_text
from reports.engine.verify import ClaimOutcome

__all__ = [
    "LatexError",
    "ReportFiles",
    "UNKNOWN_CHARACTER",
    "compile_pdf",
    "conventions_context",
    "latex_escape",
    "latex_figure_path",
    "latex_math_text",
    "load_template",
    "relative_inside",
    "render_latex",
    "write_latex_report",
]

#: What :func:`latex_escape` writes for a character pdflatex cannot typeset and that has no
#: known LaTeX equivalent (a bold question mark, so that it shows and compiles).
UNKNOWN_CHARACTER = r"\textbf{?}"

#: Display equations longer than this many characters of LaTeX are broken into lines at
#: their top-level ``+`` and ``-`` (each line at most this long, when the terms allow).
LINE_CHARACTERS = 240

#: Display equations longer than this many characters are set in ``\scriptstyle`` (their
#: lines would otherwise be scaled down unevenly to the line width).
LONG_EQUATION = 1500

_PDFLATEX_MISSING = (
    "pdflatex not found: install a TeX distribution "
    "(e.g. apt-get install texlive-latex-recommended) or omit --pdf"
)


#: The one-line error when a dependency of the report is not installed.
_EXTRA_MISSING = "{name} not found: the LaTeX report needs it (pip install {name})"


class LatexError(InvalidParameter):
    """Compiling a LaTeX document failed (no TeX installed, a LaTeX error, a timeout)."""


# --- escaping ------------------------------------------------------------------------------

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


# --- numbers and cells ---------------------------------------------------------------------


def _number(value: float, digits: int) -> str:
    """A float as math-mode LaTeX (``1.5\\times10^{-5}``) with ``digits`` significant digits."""
    x = float(value)
    if math.isnan(x):
        return r"\mathrm{NaN}"
    if math.isinf(x):
        return r"\infty" if x > 0 else r"-\infty"
    text = f"{x:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        power = f"10^{{{int(exponent)}}}"
        return power if mantissa == "1" else f"{mantissa}\\times{power}"
    return text


def _fixed(value: float, decimals: int = 2) -> str:
    x = float(value)
    if math.isnan(x):
        return r"\mathrm{NaN}"
    if math.isinf(x):
        return r"\infty" if x > 0 else r"-\infty"
    return f"{x:.{decimals}f}"


def _parameters(parameters: Mapping[str, Any]) -> str:
    return latex_escape(parameters_text(parameters))


def _finding(finding: str) -> str:
    """A finding as LaTeX: its text escaped, its formulas (a
    :class:`~derivations.result.Finding`'s pieces) typeset as math, inline or displayed."""
    pieces = finding.pieces if isinstance(finding, Finding) else (finding,)
    return "".join(_math(p) if isinstance(p, Math) else latex_escape(p) for p in pieces)


def _math(math: Math) -> str:
    source = latex_math_text(math.latex)
    return f"\\[ {source} \\]" if math.display else f"${source}$"


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


def _display(latex: str) -> str:
    r"""A display equation, fitted to the line width (``\fitmath`` of the preamble).

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


def _bookmark(text: str) -> str:
    """ASCII text safe in a PDF bookmark (accents dropped, specials and symbols removed)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^A-Za-z0-9 .,;:()+=/*'!?-]", " ", ascii_text).split())


def _label(claim_id: str) -> str:
    return "claim:" + re.sub(r"[^A-Za-z0-9]", "-", claim_id)


# --- the document --------------------------------------------------------------------------

_CONVENTIONS = (
    r"Widths $h_0 = n, \dots, h_L = m$; $W_l \in \mathbb{R}^{h_l \times h_{l-1}}$; "
    r"$W = W_L \cdots W_1$; $A_l = W_L \cdots W_{l+1}$, $B_l = W_{l-1} \cdots W_1$ "
    r"(empty product $= I$).",
    r"Data $x \sim N(0, I_n)$, $y = W^\ast x + \varepsilon$, "
    r"$\varepsilon \sim N(0, \Sigma_\varepsilon)$; loss $\ell = \tfrac12\|y - Wx\|^2$; "
    r"gap $\Delta = W^\ast - W$.",
    r"Noise $\xi_l = \nabla_l \ell - \nabla_l L$, "
    r"$\Sigma = \operatorname{Cov}(\operatorname{vec}\xi)$, column-major vec, layers stacked; "
    r"SDE $d\theta = -\nabla L\,dt + \sqrt{\kappa\Sigma}\,dW_t$, $\kappa = \eta/B$, $t = k\eta$.",
    r"Scalar SDE $ds = \mu\,dt + \sqrt{D}\,dW_t$: $D$ is the full variance rate.",
    r"Mode amplitude $s_a = u_a^\top W v_a$; aligned-balanced: "
    r"$W_l = R_l\,\mathrm{diag}(s^{1/L})\,R_{l-1}^\top$.",
)


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


#: Figure captions, by the start of the figure file's name (:mod:`reports.documents.figures`).
_CAPTIONS = {
    "agreement": (
        r"{claim}: $z$-score of each Monte Carlo case (the table's rows, in order) against the "
        r"band $|z| \leq z^\ast$ of the threshold."
    ),
    "diffusion_profile": (
        r"Derived aligned-balanced diffusion $D(s)/\kappa$ for $\sigma = 1$, "
        r"$\sigma_\varepsilon \in \{{0, 0.2\}}$ and $L = 1, \dots, 4$; dots mark the derived "
        r"maximiser $s^\ast$ where it exists."
    ),
    "gradient_flow": (
        r"Derived gradient flow $s(t)/\sigma$ at $L = 2$ for $\sigma = 1, 2, 3$ from the same "
        r"$s_0$: larger modes are learned first (dots: half times)."
    ),
    "stationary_density": (
        r"Stationary law of a mode ($L = 2$, $\sigma = 1$, $\sigma_\varepsilon = 0.5$, "
        r"$\kappa = 0.05$): simulated chains against the derived density; the derived mean "
        r"lies below $\sigma$, the paper's value (the zero of the drift) above."
    ),
    "plateau": (
        r"Simulated gradient descent from small initialisation (depth 3, $d = 8$, "
        r"$\sigma = 3, 2, 1$, $\sigma_\varepsilon = 0.3$): the loss rests on the derived "
        r"saddle losses $L_k$ (dotted) one after the other."
    ),
}


def _figure(claim_id: str, path: str | None) -> dict[str, str] | None:
    if path is None:
        return None
    stem = Path(path).stem
    caption = next(
        (text for start, text in _CAPTIONS.items() if stem.startswith(start)),
        "{claim}: figure.",
    )
    return {"path": path, "caption": caption.format(claim=latex_escape(claim_id))}


def _numeric_context(check: Any) -> dict[str, Any] | None:
    """A :class:`~reports.engine.claim.NumericCheck` as the Monte Carlo table's context."""
    if check is None:
        return None
    return {
        "passed": check.passed,
        "max_abs_z": _fixed(check.max_abs_z),
        "threshold": _fixed(check.threshold),
        "false_alarm_rate": _number(check.false_alarm_rate, 3),
        "n_tests": check.n_tests,
        "note": latex_escape(check.note),
        "rows": [
            {
                "parameters": _parameters(case.parameters),
                "estimate": _number(case.estimate, 6),
                "standard_error": _number(case.standard_error, 2),
                "closed_form": _number(case.closed_form, 6),
                "z": _fixed(case.z),
                "outside": abs(case.z) > check.threshold,
                "n_samples": case.samples.replace(",", r"\,"),
            }
            for case in check.cases
        ],
    }


def _claim_context(outcome: ClaimOutcome, figure: str | None) -> dict[str, Any]:
    claim, derivation, check = outcome.claim, outcome.derivation, outcome.numeric
    numeric = _numeric_context(check)
    return {
        "id": latex_escape(claim.id),
        "label": _label(claim.id),
        "title": latex_escape(claim.title),
        "bookmark": _bookmark(f"{claim.id}. {claim.title}"),
        "paper_ref": latex_escape(claim.paper_ref),
        "statement": _display(claim.statement),
        "steps": [
            {"description": latex_escape(step.description), "equation": _display(step.latex())}
            for step in derivation.steps
        ],
        "holds": derivation.holds,
        "cases": [latex_escape(case) for case in derivation.cases],
        "findings": [_finding(finding) for finding in derivation.findings],
        "remarks": [latex_escape(remark) for remark in claim.remarks],
        "quantities": [latex_escape(name) for name in claim.quantities],
        "numeric": numeric,
        "figure": _figure(claim.id, figure),
        "symbolic_verdict": outcome.symbolic_verdict,
        "numeric_verdict": outcome.numeric_verdict,
        "summary_z": None
        if check is None
        else f"{_fixed(check.max_abs_z)} / {_fixed(check.threshold)}",
    }


def _experiment_section(report: Any, figure: str | None) -> dict[str, Any]:
    """An experiment's section of the claims report: its body, label and bookmark."""
    from reports.documents.experiment import experiment_context  # it imports this module

    label = "experiment:" + re.sub(r"[^A-Za-z0-9]", "-", report.name)
    bookmark = _bookmark(f"Experiment: {report.name}")
    return experiment_context(report, figure) | {"label": label, "bookmark": bookmark}


#: Characters of a formula as written after which a line may break.
_CODE_BREAKS = frozenset(" +-*/^(),=")


def _breakable_code(text: str) -> str:
    r"""``text`` as a ``\texttt`` argument that may break after operators and spaces, so a
    long formula as the user wrote it wraps instead of running into the margin."""
    return "".join(
        latex_escape(char) + (r"\allowbreak{}" if char in _CODE_BREAKS else "") for char in text
    )


def _formula_context(index: int, entry: Any, result: Any) -> dict[str, Any]:
    """A user formula's section (:mod:`reports.formulas.files`): what was claimed, what was
    derived, the verdict with its evidence, and the Monte Carlo table."""
    from reports.engine.quantity import get_quantity

    different = result.symbolic == "different" and result.difference is not None
    return {
        "name": latex_escape(entry.name),
        "label": f"formula:{index}",
        "bookmark": _bookmark(f"Formula: {entry.name}"),
        "quantity": latex_escape(result.quantity),
        "description": latex_escape(get_quantity(result.quantity).description),
        "at": _parameters(result.at) if result.at else "",
        "written": _breakable_code(entry.formula),
        "formula": _display(to_latex(result.parsed)) if result.parsed is not None else "",
        "derived": _display(to_latex(result.derived)) if result.derived is not None else "",
        "difference": _display(to_latex(result.difference)) if different else "",
        "verified": result.verified,
        "verdict": latex_escape(result.verdict),
        "message": latex_escape(result.message),
        "evidence": [latex_escape(line) for line in result.evidence_lines(monte_carlo=False)],
        "numeric": _numeric_context(result.numeric),
    }


def conventions_context() -> dict[str, Any]:
    """The variables of ``_conventions.tex.j2``: DESIGN.md §3's conventions, the declared
    parameters and the rescalings the checker recognises, as LaTeX."""
    return {
        "conventions": _CONVENTIONS,
        "parameters": [
            {
                "latex": latex_math_text(p.latex),
                "name": latex_escape(p.name),
                "description": latex_escape(p.description),
            }
            for p in PARAMETERS.values()
        ],
        "rescalings": [
            {"name": latex_escape(c.name), "description": latex_escape(c.description)}
            for c in CONVENTION_RESCALINGS
        ],
    }


def load_template(name: str) -> Any:
    """The Jinja2 template ``reports/templates/<name>`` with the reports' delimiters
    (``((* *))`` blocks, ``((( )))`` variables, ``((= =))`` comments; no autoescape: every
    variable is LaTeX already)."""
    try:
        import jinja2  # imported only when a report is rendered (``dlnverify list`` stays fast)
    except ImportError:
        raise InvalidParameter(_EXTRA_MISSING.format(name="jinja2")) from None

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("reports.documents", "templates"),
        block_start_string="((*",
        block_end_string="*))",
        variable_start_string="(((",
        variable_end_string=")))",
        comment_start_string="((=",
        comment_end_string="=))",
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return environment.get_template(name)


def render_latex(
    outcomes: Sequence[ClaimOutcome],
    *,
    seed: int = 0,
    figures: Mapping[str, str] | None = None,
    experiments: Sequence[tuple[Any, str | None]] = (),
    formulas: Sequence[tuple[Any, Any]] = (),
) -> str:
    r"""The report as a standalone LaTeX document (deterministic: no dates, no timings).

    Parameters
    ----------
    outcomes : sequence of ClaimOutcome
        The claims to report, in order (:func:`reports.engine.verify.verify_claim`).
    seed : int, default 0
        The seed the Monte Carlo checks ran with, printed in the header.
    figures : mapping of str to str, optional
        Claim id -> figure file (relative to the directory of the ``.tex`` file, e.g.
        ``"figures/C7.pdf"``) included in that claim's section.
    experiments : sequence of (ExperimentReport, str or None), optional
        Runs of the paper's experiments (:class:`reports.documents.experiment.ExperimentReport`)
        with their figure files (relative, or None), one section each after the claims.
    formulas : sequence of (FormulaEntry, CheckResult), optional
        The user's formulas (:mod:`reports.formulas.files`) and their checks, one section each
        after the claims, before the experiments.

    Returns
    -------
    str
        The LaTeX source, ``\documentclass`` to ``\end{document}``.
    """
    outcomes = list(outcomes)
    for outcome in outcomes:
        if not isinstance(outcome, ClaimOutcome):
            raise InvalidParameter(
                f"Got an outcome of type {type(outcome).__name__}, but outcomes must be "
                "ClaimOutcome objects."
            )
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InvalidParameter(f"Got seed {seed!r}, but it must be an integer.")
    figures = dict(figures or {})
    known = {o.claim.id for o in outcomes}
    for claim_id in figures:
        if claim_id not in known:
            raise InvalidParameter(
                f"Got a figure for claim {claim_id!r}, but the outcomes hold no such claim."
            )
    paths = {k: latex_figure_path(v, f"claim {k}") for k, v in figures.items() if v}
    held = sum(o.holds for o in outcomes)
    context = {
        "version": latex_escape(__version__),
        "seed": seed,
        "python": latex_escape(platform.python_version()),
        "held": held,
        "total": len(outcomes),
        **conventions_context(),
        "claims": [_claim_context(o, paths.get(o.claim.id)) for o in outcomes],
        "experiments": [_experiment_section(report, path) for report, path in experiments],
        "formulas": [
            _formula_context(index, entry, result)
            for index, (entry, result) in enumerate(formulas, 1)
        ],
        "formulas_verified": sum(result.verified for _, result in formulas),
    }
    return load_template("report.tex.j2").render(**context)


# --- files and compilation -----------------------------------------------------------------


@dataclass(frozen=True)
class ReportFiles:
    """What :func:`write_latex_report` wrote.

    Attributes
    ----------
    tex : pathlib.Path
        The LaTeX source, ``directory/report.tex``.
    figures : tuple[pathlib.Path, ...]
        The figure files, in ``directory/figures/``.
    pdf : pathlib.Path or None
        The compiled PDF, when ``pdf=True``.
    """

    tex: Path
    figures: tuple[Path, ...]
    pdf: Path | None


def write_latex_report(
    outcomes: Sequence[ClaimOutcome],
    directory: str | Path,
    *,
    seed: int = 0,
    pdf: bool = False,
    figures: bool = True,
    experiments: Sequence[tuple[Any, str | Path | None]] = (),
    formulas: Sequence[tuple[Any, Any]] = (),
) -> ReportFiles:
    """Write ``report.tex`` and its figures to ``directory``, and compile it with ``pdf=True``.

    Parameters
    ----------
    outcomes : sequence of ClaimOutcome
        The claims to report.
    directory : str or pathlib.Path
        Output directory (created if missing); figures go to ``directory/figures/``.
    seed : int, default 0
        The seed the Monte Carlo checks ran with.
    pdf : bool, default False
        Also compile ``report.pdf`` with :func:`compile_pdf`.
    figures : bool, default True
        Draw the figures (:func:`reports.documents.figures.claim_figures`) and include them.
    experiments : sequence of (ExperimentReport, path or None), optional
        Experiment sections after the claims, each with its figure file (inside
        ``directory``, or None).
    formulas : sequence of (FormulaEntry, CheckResult), optional
        The user's checked formulas, one section each (see :func:`render_latex`).

    Returns
    -------
    ReportFiles
        The paths written.
    """
    target = Path(directory)
    if target.exists() and not target.is_dir():
        raise InvalidParameter(f"Got report directory {str(target)!r}, but it is a file.")
    target.mkdir(parents=True, exist_ok=True)
    outcomes = list(outcomes)
    drawn: dict[str, str] = {}
    if figures:
        from reports.documents.figures import claim_figures

        drawn = claim_figures(outcomes, target / "figures")
    relative = {
        k: Path(v).resolve().relative_to(target.resolve()).as_posix() for k, v in drawn.items()
    }
    sections = [
        (report, None if path is None else relative_inside(Path(path), target))
        for report, path in experiments
    ]
    tex = target / "report.tex"
    tex.write_text(
        render_latex(
            outcomes, seed=seed, figures=relative, experiments=sections, formulas=formulas
        ),
        encoding="utf-8",
    )
    figure_paths = tuple(sorted({Path(v) for v in drawn.values()}))
    return ReportFiles(tex, figure_paths, compile_pdf(tex) if pdf else None)


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
