r"""Tests of :func:`reports.formulas.chain.check_steps`: a corpus of derivations.

Correct chains, in LaTeX and in the line format, must get exactly the listed verdicts (a
proof where SymPy can give one); each deliberately wrong chain must be refuted at the step
that holds the slip (chain, step and line), with the evidence named where the slip has a
name (a factor 1/2 of a known convention, a sign, the order of a wrong series term).  The
verdicts are those of a symbolic comparison and exact evaluation: nothing here is random
beyond the seeded points, so the same seed gives the same result.
"""

import json

import pytest

from dlnverify.errors import FormulaError, InvalidParameter
from reports.formulas.chain import check_steps
from reports.formulas.chain_result import StepVerdict
from reports.render.json import json_text

P, S, R, U, N = (
    StepVerdict.PROVEN,
    StepVerdict.SAMPLED,
    StepVerdict.REFUTED,
    StepVerdict.UNDECIDED,
    StepVerdict.NOT_CHECKED,
)

DIFFUSION_L2 = r"""\documentclass{article}
\begin{document}
At depth $L = 2$ the two layers carry $a_1 = a_2 = \sqrt{s}$, so
\begin{align}
D(s) &= \kappa \bigl(\sqrt{s}^{\,2} + \sqrt{s}^{\,2}\bigr)^2
        \bigl(2(\sigma-s)^2+\sigma_\varepsilon^2\bigr) \label{eq:D2}\\
     &= 4\kappa s^2 \bigl(2(\sigma-s)^2+\sigma_\varepsilon^2\bigr) \nonumber\\
     &= 8\kappa s^2(\sigma-s)^2 + 4\kappa s^2\sigma_\varepsilon^2 .
\end{align}
\end{document}
"""

DIFFUSION_ANY_DEPTH = r"""
\begin{equation}
\begin{split}
D(s) &= \kappa \Bigl(\sum_{l=1}^{L} s^{\frac{2(L-l)}{L}} s^{\frac{2(l-1)}{L}}\Bigr)^2
        \bigl(2(\sigma-s)^2 + \sigma_\varepsilon^2\bigr) \\
     &= \kappa \bigl(L s^{2-\frac{2}{L}}\bigr)^2 \bigl(2(\sigma-s)^2 + \sigma_\varepsilon^2\bigr) \\
     &= \kappa L^2 s^{4-\frac{4}{L}}\bigl(2(\sigma-s)^2 + \sigma_\varepsilon^2\bigr).
\end{split}
\end{equation}
"""

GAUSSIAN = r"""
% dlnverify: real x, u
\begin{align*}
\int_{-\infty}^{\infty} e^{-\frac{x^2}{2\sigma^2}}\,dx
  &= \sigma \int_{-\infty}^{\infty} e^{-\frac{u^2}{2}}\,\mathrm{d}u \\
  &= \sigma\sqrt{2\pi}, \\
\frac{1}{\sqrt{2\pi}}\int_{-\infty}^{\infty} x^4 e^{-x^2/2}\,dx &= 3 .
\end{align*}
"""

ITO = r"""
Itô's formula for $f(s) = \log s$ (drift $\mu$, diffusion $D$):
\[
  \frac{d}{ds}\log s \cdot \mu + \frac{1}{2}\frac{d^2}{ds^2}\log s \cdot D
  = \frac{\mu}{s} - \frac{D}{2 s^2}
\]
and with the drift and the diffusion of a mode,
\begin{multline}
\frac{1}{s}\, L s^{2-\frac{2}{L}}(\sigma - s)
  - \frac{1}{2 s^2}\,\kappa L^2 s^{4-\frac{4}{L}}\bigl(2(\sigma-s)^2+\sigma_\varepsilon^2\bigr) \\
= L s^{1-\frac{2}{L}}(\sigma-s) - \kappa L^2 s^{2-\frac{4}{L}}(\sigma-s)^2
  - \frac{\kappa L^2}{2} s^{2-\frac{4}{L}} \sigma_\varepsilon^2
\end{multline}
"""

SUMS = r"""
$$\sum_{l=1}^{L} l = \frac{L(L+1)}{2},$$
$$\sum_{d=1}^{L-1} (L-d) = \frac{L(L-1)}{2}$$
$$\prod_{l=1}^{L} \frac{l+1}{l} = L + 1$$
% dlnverify: natural n
$$\sum_{k=0}^{n} 2^{k} = 2^{n+1} - 1$$
"""

ORDERS = r"""
\begin{align*}
e^{\kappa s} &= 1 + \kappa s + O(\kappa^2) \\
\frac{1}{1-\kappa} &\approx 1 + \kappa + \kappa^2 + \mathcal{O}(\kappa^3) \\
\frac{N}{N+1} &= 1 - \frac{1}{N} + O\left(\frac{1}{N^2}\right) \\
\sqrt{1+\kappa} &\simeq 1 + \frac{\kappa}{2} \\
q(x) &\propto \frac{1}{\sqrt{2\pi}\,\sigma} e^{-\frac{x^2}{2\sigma^2}} \\
     &\propto e^{-\frac{x^2}{2\sigma^2}}
\end{align*}
"""

LINES = """# dlnverify: real x
(x+1)^2
= x^2 + 2x + 1
= (x+1)*(x+1)
Sum(l, (l, 1, L)) = L*(L+1)/2
Integral(exp(-x**2), (x, -oo, oo)) = sqrt(pi)
diff(x**3, x) = 3*x**2
exp(kappa) = 1 + kappa + O(kappa**2)
"""

CORRECT = {
    "diffusion at L = 2, anchored": (DIFFUSION_L2, {"at": {"L": 2}}, [P, P, P]),
    "diffusion at any depth, anchored through its sum": (DIFFUSION_ANY_DEPTH, {}, [P, P, P]),
    "Gaussian integrals": (GAUSSIAN, {}, [P, P, P]),
    "Itô algebra": (ITO, {}, [P, P]),
    "sums with symbolic bounds": (SUMS, {}, [P, P, P, P]),
    "order terms and proportionality": (ORDERS, {}, [P, P, P, N, N, P]),
    "line format": (LINES, {}, [P, P, P, P, P, P]),
}


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_correct_chains_hold(name):
    text, options, verdicts = CORRECT[name]
    result = check_steps(text, name=name, **options)
    assert [step.verdict for step in result.steps] == verdicts, result.text()
    assert result.first_wrong is None
    assert result.exit_code == 0


WRONG = {
    # a factor 1/2 (D written as half the variance rate) in the middle of a chain
    "half the diffusion": (
        r"""\begin{align*}
f(s) &= \frac{\kappa}{2} L^2 s^{4-\frac{4}{L}}\bigl(2(\sigma-s)^2+\sigma_\varepsilon^2\bigr) \\
     &= \kappa L^2 s^{4-\frac{4}{L}}\bigl(2(\sigma-s)^2+\sigma_\varepsilon^2\bigr)
\end{align*}""",
        {},
        (1, 2, 3),
        "half_variance_rate",
    ),
    # a sign lost when a bracket is opened
    "sign": (
        "g(x) = 2x(1-x)\n= -(2x^2 - 2x)\n= 2x^2 - 2x\n",
        {},
        (1, 3, 3),
        "left = -1 × right",
    ),
    # the Gaussian integral without its 2
    "Gaussian without 2": (
        r"\[ \int_{-\infty}^{\infty} e^{-x^2/2}\,dx = \sqrt{2\pi} = \sqrt{\pi} \]",
        {},
        (1, 2, 1),
        "differ",
    ),
    # L(L-1)/2 for L(L+1)/2
    "triangular number": (
        "\\[ \\sum_{l=1}^{L} l \\]\n\\[ \\sum_{l=1}^{L} l = \\frac{L(L-1)}{2} \\]",
        {},
        (2, 1, 2),
        "L = 3",
    ),
    # the Itô correction with the wrong sign
    "Itô sign": (
        r"""\[ \frac{d}{ds}\log s \cdot \mu + \frac{1}{2}\frac{d^2}{ds^2}\log s \cdot D
        = \frac{\mu}{s} + \frac{D}{2 s^2} \]""",
        {},
        (1, 1, 2),
        "differ at D = ",
    ),
    # a proportionality that is not one in x
    "proportional in the wrong variable": (
        r"\[ q(x) \propto e^{-x^2/(2\sigma^2)} \propto e^{-x^2/\sigma^2} \]",
        {},
        (1, 2, 1),
        "depends on x",
    ),
    # a wrong first-order coefficient
    "first-order term": (
        r"\[ e^{\kappa s} = 1 + 2\kappa s + O(\kappa^2) \]",
        {},
        (1, 1, 1),
        "order kappa^1",
    ),
    # a wrong kappa^2 term in a second-order claim
    "second-order term": (
        "exp(kappa) = 1 + kappa + kappa**2 + O(kappa**3)\n",
        {},
        (1, 1, 1),
        "order kappa^2",
    ),
    # eta written where kappa = eta / B belongs
    "eta for kappa": (
        r"\[ \eta L^2 s^{2} (\sigma - s)^2 = \kappa L^2 s^2 (\sigma - s)^2 \]",
        {},
        (1, 1, 1),
        "eta_for_kappa",
    ),
    # an exponent slip two steps into a chain
    "exponent": (
        r"""\begin{align*}
h &= \kappa L^2 s^{4-\frac{4}{L}} \\
  &= \kappa L^2 s^{4} s^{-\frac{4}{L}} \\
  &= \kappa L^2 s^{4-\frac{2}{L}}
\end{align*}""",
        {},
        (1, 3, 4),
        "differ",
    ),
    # the diffusion without label noise, anchored by its name
    "anchor without label noise": (
        r"\[ D(s) = 2\kappa L^2 s^{4-4/L} (\sigma-s)^2 = \kappa L^2 s^{4-4/L} \cdot 2(\sigma-s)^2 \]",
        {},
        (1, 1, 1),
        "derived diffusion",
    ),
    # the same, anchored from the command line without a name
    "anchor by quantity": (
        "kappa*L**2*s**(4-4/L)*2*(sigma-s)**2\n= 2*kappa*L**2*s**(4-4/L)*(sigma-s)**2\n",
        {"quantity": "diffusion"},
        (1, 1, 1),
        "derived diffusion",
    ),
}


@pytest.mark.parametrize("name", sorted(WRONG))
def test_wrong_chains_are_caught_at_the_wrong_step(name):
    text, options, (chain, step, line), evidence = WRONG[name]
    result = check_steps(text, name=name, **options)
    wrong = result.first_wrong
    assert wrong is not None, result.text()
    assert (wrong.chain, wrong.step, wrong.line) == (chain, step, line), result.text()
    assert evidence in wrong.message, wrong.message
    assert result.verdict == R
    assert result.exit_code == 1
    # every step before the slip holds (or is not checked)
    earlier = [s for s in result.steps if (s.chain, s.step) < (chain, step)]
    assert all(s.verdict in {P, S, N} for s in earlier), result.text()


def test_a_refuted_identity_gives_an_exact_counterexample():
    result = check_steps("(x+1)^2\n= x^2 + x + 1\n")
    evidence = result.first_wrong.counterexample
    assert evidence == {"point": {"x": "1/2"}, "left": 2.25, "right": 1.75}


def test_a_name_that_names_no_quantity_is_a_definition():
    result = check_steps(r"\[ f(x) = x^2 = x \cdot x \]")
    first, second = result.steps
    assert first.verdict == N
    assert "f(x) is a name being defined" in first.message
    assert second.verdict == P


@pytest.mark.parametrize(
    "text",
    [
        r"\[ \sin(x) = x \]",
        r"\[ e^{x} = 1 + x \]",
        r"\[ \exp(x) = 1 + x \]",
        r"\[ \log(x) = x - 1 \]",
        r"\[ \Gamma(x) = x \]",
        r"\[ \cosh(x) = 1 \]",
    ],
)
def test_a_known_function_on_the_left_is_a_formula_not_a_name_being_defined(text):
    """``\\sin(x) = x`` states an identity (a false one): it is checked and refuted, never
    passed over as the definition of a name."""
    result = check_steps(text)
    (step,) = result.steps
    assert step.verdict == StepVerdict.REFUTED, step.message
    assert result.first_wrong is not None


def test_a_name_whose_formula_is_not_one_for_its_quantity_is_not_anchored():
    # mu(s) names the drift, but x is not one of its parameters: a definition, with why
    result = check_steps(r"\[ \mu(s) = x s = s x \]")
    assert result.steps[0].verdict == N
    assert "names drift" in result.steps[0].message
    assert result.steps[1].verdict == P
    # and anchoring can be turned off
    anchored = check_steps(r"\[ \mu(s) = L s^{2-2/L}(\sigma - s) \]", anchor=False)
    assert anchored.steps[0].verdict == N
    assert "anchoring is off" in anchored.steps[0].message


def test_a_parameter_letter_as_a_name_is_not_anchored_and_at_needs_an_anchor():
    result = check_steps(r"\[ s = \frac{\sigma}{2} = 0.5 \sigma \]")
    assert result.steps[0].verdict == N
    assert "not anchored to gf_solution" in result.steps[0].message
    assert result.steps[1].verdict == P
    with pytest.raises(InvalidParameter, match=r"no chain of d\.tex is anchored"):
        check_steps(r"\[ x = x \]", name="d.tex", at={"L": 2})


def test_a_quantity_anchors_the_first_chain_only_and_refuses_a_foreign_formula():
    with pytest.raises(FormulaError, match=r"d\.txt, line 1: the chain is anchored to diffusion"):
        check_steps("x + 1\n= 1 + x\n", name="d.txt", quantity="diffusion")
    with pytest.raises(FormulaError, match="names drift"):
        check_steps(r"\[ \mu(s) = s \]", name="d.tex", quantity="diffusion")
    with pytest.raises(InvalidParameter, match="entropy") as unknown:
        check_steps("x = x", quantity="entropy")
    # the refusal lists every quantity a chain can be anchored to, the matrix ones too
    assert "diffusion," in str(unknown.value)
    assert "matrix quantities: gradient" in str(unknown.value)


def test_relations_that_are_not_checked_say_why():
    result = check_steps(
        r"\[ 2a \approx b \] \[ 2a := b \] \[ 2a \le b \] \[ 2a \propto b + O(\kappa) \]"
    )
    assert [s.verdict for s in result.steps] == [N, N, N, N]
    assert [s.message.split(" ")[0] for s in result.steps] == [
        "\\approx",
        ":=",
        "\\le:",
        "\\propto",
    ]
    assert result.verdict == N
    assert result.exit_code == 0


# a limit reached inside hypothesis's garbage-collector callback is reported as an exception
# ignored there (pytest warns), and raised again by the repeated alarm
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_time_limits_leave_steps_undecided_within_bounded_time():
    slow = r"\[ \sum_{l=1}^{1000} \sin(l x) = \sum_{l=1}^{1000} \sin(l x) + 0 \cdot x^2 + x - x \]"
    hard = r"\[ \sum_{l=1}^{1000} \sin(l x) = 0 \]"
    result = check_steps(hard + "\n" + hard, timeout=0.5, total_timeout=0.8)
    first, second = result.steps
    assert first.verdict == U
    assert "time limit of 0.5 s" in first.message
    assert second.verdict == U
    assert "total time limit of 0.8 s" in second.message or "time limit" in second.message
    assert result.exit_code == 1
    assert result.elapsed < 10
    assert check_steps(slow).steps[0].verdict == P


def _without_times(result):
    """The JSON of a result with its measured seconds set to 0."""
    payload = result.to_json()
    for chain in payload["chains"]:
        for step in chain["steps"]:
            step["elapsed_seconds"] = 0
    return payload | {"elapsed_seconds": 0}


def test_the_same_seed_gives_the_same_result_and_json():
    text = "(x+y)^3\n= x^3 + y^3\n"
    first, second = check_steps(text, seed=3), check_steps(text, seed=3)
    assert json_text(_without_times(first)) == json_text(_without_times(second))


def test_json_shape():
    result = check_steps("(x+1)^2\n= x^2 + 2x + 1\n= x^2 + x + 1\n\nx \\approx 1\n", name="d.txt")
    payload = json.loads(json_text(result.to_json()))
    assert payload["verdict"] == "refuted"
    assert payload["first_wrong"] == {"chain": 1, "step": 2, "line": 3}
    assert [c["lines"] for c in payload["chains"]] == [[1, 3], [5, 5]]
    assert [c["chain"] for c in payload["chains"]] == [1, 2]
    steps = payload["chains"][0]["steps"]
    assert [s["step"] for s in steps] == [1, 2]
    assert [s["verdict"] for s in steps] == ["proven", "refuted"]
    assert set(steps[0]) == {
        "step", "lines", "line", "relation", "checked_as", "left", "right", "left_latex",
        "right_latex", "verdict", "message", "points", "factor", "counterexample", "order",
        "quantity", "elapsed_seconds",
    }  # fmt: skip
    assert steps[1]["lines"] == [2, 3]
    assert payload["chains"][1]["steps"][0]["verdict"] == "not_checked"
    assert payload["counts"] == {
        "proven": 1, "sampled": 0, "refuted": 1, "undecided": 0, "not_checked": 1,
    }  # fmt: skip


def test_the_result_prints_the_text_of_the_command():
    result = check_steps("(x+1)^2\n= x^2 + x + 1\n", name="d.txt")
    text = str(result)
    assert text == result.text()
    assert "step 1 (lines 1-2, =): REFUTED" in text
    assert text.splitlines()[-1].startswith("REFUTED: d.txt")
    assert "first wrong step: chain 1, step 1 (line 2)" in text
    assert "**refuted**" in result._repr_markdown_()


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"timeout": 0}, "timeout=0"),
        ({"total_timeout": -1}, "total_timeout=-1"),
        ({"timeout": float("nan")}, "timeout=nan"),
        ({"seed": -1}, "seed"),
        ({"n_points": 0}, "n_points=0"),
        ({"file_format": "word"}, "format"),
    ],
)
def test_invalid_settings_are_refused(options, match):
    with pytest.raises((InvalidParameter, FormulaError), match=match):
        check_steps("x = x", **options)


def test_a_parse_error_names_the_line_of_the_problem():
    text = "\\begin{align}\n a &= b \\\\\n   &= \\foo{c}\n\\end{align}\n"
    with pytest.raises(FormulaError, match=r"^d\.tex, line 3: unknown LaTeX command '\\foo'"):
        check_steps(text, name="d.tex")
