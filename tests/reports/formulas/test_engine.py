"""``reports.check``: user formulas verified or refuted against derivation and simulator.

The derived expressions come from :mod:`derivations`; the expected verdicts below are the
paper's statements (DESIGN.md §4 C7/C8), written by hand in several equivalent forms.
"""

import json

import pytest

from dlnverify.errors import InvalidParameter
from reports.cli import ExitCode, main
from reports.formulas.engine import check
from reports.formulas.result import Verdict

DIFFUSION = "kappa*L**2*s**(4-4/L)*(2*(sigma-s)**2+sigma_eps**2)"
GRADIENT_DRIFT = "L*s**(2-2/L)*(sigma-s)"


@pytest.mark.parametrize(
    ("quantity", "formula"),
    [
        ("diffusion", DIFFUSION),
        ("diffusion", "kappa*L**2*s**4*s**(-4/L)*(2*sigma**2-4*sigma*s+2*s**2+sigma_eps**2)"),
        (
            "diffusion",
            r"\kappa L^2 s^{4-\frac{4}{L}}\left(2(\sigma-s)^2+\sigma_{\varepsilon}^2\right)",
        ),
        ("gradient_drift", GRADIENT_DRIFT),
        ("gradient_drift", r"L s^{2 - 2/L} (\sigma - s)"),
        ("gradient_drift", "L*sigma*s**(2-2/L) - L*s**(3-2/L)"),
    ],
)
def test_correct_formulas_written_differently_are_verified_symbolically(quantity, formula):
    result = check(quantity, formula, monte_carlo=False)
    assert result.symbolic == "equal"
    assert result.verdict == Verdict.VERIFIED


@pytest.mark.parametrize(
    ("quantity", "formula"),
    [
        ("diffusion", "1.1*" + DIFFUSION),  # wrong factor
        ("diffusion", DIFFUSION.replace("4-4/L", "4-3/L")),  # wrong exponent
        ("diffusion", DIFFUSION.replace("+sigma_eps**2", "")),  # missing term
        ("gradient_drift", GRADIENT_DRIFT.replace("(sigma-s)", "(s-sigma)")),  # wrong sign
    ],
)
def test_wrong_formulas_are_refuted_with_a_counterexample(quantity, formula):
    result = check(quantity, formula, monte_carlo=False)
    assert result.verdict == Verdict.REFUTED
    assert result.symbolic == "different"
    counterexample = result.counterexample
    assert counterexample is not None
    assert counterexample["formula"] != pytest.approx(counterexample["derived"], rel=1e-9)


def test_counterexample_shows_the_formula_value_even_when_it_is_zero():
    # the gradient drift alone for the drift: the Itô part is missing; shrinking finds a
    # point where the formula vanishes (s = sigma), and 0 must be shown as 0, not nan
    result = check("drift", GRADIENT_DRIFT, monte_carlo=False)
    counterexample = result.counterexample
    assert counterexample is not None
    point = counterexample["parameters"]
    depth, s, sigma = point["L"], point["s"], point["sigma"]
    assert counterexample["formula"] == pytest.approx(depth * s ** (2 - 2 / depth) * (sigma - s))
    assert counterexample["derived"] == counterexample["derived"]  # a number, not nan


@pytest.mark.parametrize("seed", [-1, 1.5, True])
def test_a_bad_seed_is_named(seed):
    with pytest.raises(InvalidParameter, match="seed"):
        check("drift", GRADIENT_DRIFT, seed=seed)


def test_convention_rescaled_formula_is_refuted_and_named():
    result = check("diffusion", "4*" + DIFFUSION, monte_carlo=False)
    assert result.verdict == Verdict.REFUTED
    assert result.convention == "loss_without_half"
    half = check("diffusion", "(1/2)*" + DIFFUSION, monte_carlo=False)
    assert half.convention == "half_variance_rate"
    eta = check("diffusion", DIFFUSION.replace("kappa", "eta"), monte_carlo=False)
    assert eta.verdict == Verdict.REFUTED
    assert eta.convention == "eta_for_kappa"


def test_monte_carlo_agrees_with_a_correct_formula_and_rejects_a_wrong_one():
    right = check("diffusion", DIFFUSION, n_points=1)
    assert right.verdict == Verdict.VERIFIED
    assert right.numeric is not None
    assert right.numeric.passed
    # The same Monte Carlo machinery rejects a formula 10 % off at the counterexample.
    wrong = check("diffusion", "1.1*" + DIFFUSION, n_points=1)
    assert wrong.numeric is not None
    assert not wrong.numeric.passed


@pytest.mark.parametrize(
    "formula",
    ["__import__('os').system('true')", "s.__class__", "(lambda: 1)()", "9**9**9**9", "open('x')"],
)
def test_injection_attempts_exit_2(formula, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = main(["check", "diffusion", formula])
    assert code == ExitCode.BAD_INPUT
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_unknown_quantity_is_bad_input(capsys):
    assert main(["check", "entropy", "s"]) == ExitCode.BAD_INPUT
    assert "known quantities" in capsys.readouterr().err


def test_check_json_schema_and_exit_codes(capsys):
    assert main(["check", "gradient_drift", GRADIENT_DRIFT, "--json", "--symbolic-only"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["verdict"] == "verified"
    assert payload["verified"] is True
    expected_keys = {
        "quantity", "formula", "at", "verdict", "verified", "symbolic", "parsed", "derived", "derived_latex",
        "difference_latex", "convention", "depths", "counterexample", "numeric", "message",
        "elapsed_seconds", "reading",
    }  # fmt: skip
    assert set(payload) == expected_keys
    assert (
        main(["check", "gradient_drift", "2*" + GRADIENT_DRIFT, "--json", "--symbolic-only"]) == 1
    )
    payload = json.loads(capsys.readouterr().out)
    assert payload["verdict"] == "refuted"
    assert set(payload["counterexample"]) == {"parameters", "formula", "derived"}


def _strict_json(text):
    """Parse as RFC 8259 JSON: NaN and Infinity are not JSON."""

    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("formula", ["log(-s)", "sqrt(s - sigma - 10)", "asin(s + 5)"])
def test_a_formula_that_is_not_real_where_the_quantity_is_is_refuted(formula):
    """Not a finite real at points where the derived result is (here complex everywhere): a
    counterexample, never 'SymPy could not decide'."""
    result = check("gradient_drift", formula, monte_carlo=False)
    assert result.verdict == Verdict.REFUTED
    assert result.symbolic == "different"
    assert result.counterexample is not None
    assert "formula not a finite real" in result.counterexample_text()
    assert "Counterexample: " in "\n".join(result.evidence_lines())


@pytest.mark.parametrize("formula", ["log(-s)", "exp(1000*s)"])
def test_check_json_is_strict_json_when_numbers_are_not_finite(capsys, formula):
    """A formula that is not real, or that overflows, gives NaN or infinite numbers: the JSON
    output writes them as null (RFC 8259 has no NaN), and stays parseable by strict readers."""
    assert main(["check", "gradient_drift", formula, "--json"]) == ExitCode.FAILED
    text = capsys.readouterr().out
    payload = _strict_json(text)
    assert payload["verdict"] == "refuted"
    assert payload["numeric"]["passed"] is False
    assert payload["numeric"]["max_abs_z"] is None
    if formula == "log(-s)":
        assert payload["counterexample"]["formula"] is None
        assert all(case["formula"] is None for case in payload["numeric"]["cases"])


def test_check_list_wraps_to_the_terminal_and_keeps_every_word(capsys, monkeypatch):
    from reports.claims import all_quantities

    monkeypatch.setenv("COLUMNS", "120")
    assert main(["check", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert all(len(line) <= 120 for line in lines if not line.startswith("conventions"))
    words = " ".join(lines).split()
    for quantity in all_quantities():
        for word in quantity.description.split():
            assert word in words
    monkeypatch.delenv("COLUMNS")  # piped (captured) output: one line per quantity
    assert main(["check", "--list"]) == 0
    out = capsys.readouterr().out
    assert all(quantity.description in out for quantity in all_quantities())


def test_check_list(capsys):
    assert main(["check", "--list"]) == 0
    out = capsys.readouterr().out
    for name in (
        "diffusion",
        "gradient_drift",
        "ito_drift",
        "drift",
        "diffusion_peak",
        "isotropic_diffusion",
    ):
        assert name in out


PEAK = "((5*L-4)*sigma - sqrt(L**2*sigma**2 - 4*(3*L-2)*(L-1)*sigma_eps**2))/(2*(3*L-2))"


def test_diffusion_peak_verified_by_numeric_maximisation_and_wrong_root_refuted():
    right = check("diffusion_peak", PEAK, n_points=1)
    assert right.verdict == Verdict.VERIFIED
    assert right.numeric is not None
    assert right.numeric.passed
    wrong_root = check("diffusion_peak", PEAK.replace("sigma - sqrt", "sigma + sqrt"), n_points=1)
    assert wrong_root.verdict == Verdict.REFUTED
    assert wrong_root.numeric is not None
    assert not wrong_root.numeric.passed


def test_peak_threshold_and_isotropic_diffusion():
    threshold = "L*sigma/(2*sqrt((3*L-2)*(L-1)))"
    assert check("peak_threshold", threshold).verdict == Verdict.VERIFIED
    assert (
        check("peak_threshold", "sigma/sqrt(2*(L-1))", monte_carlo=False).verdict == Verdict.REFUTED
    )
    isotropic = check("isotropic_diffusion", "T*L*s**(2-2/L)", n_points=1)
    assert isotropic.verdict == Verdict.VERIFIED
    doubled = check("isotropic_diffusion", "2*T*L*s**(2-2/L)", n_points=1)
    assert doubled.numeric is not None
    assert not doubled.numeric.passed


GF_SOLUTION = "sigma/(1+(sigma/s0-1)*exp(-2*sigma*t))"


@pytest.mark.parametrize(
    "formula",
    [
        GF_SOLUTION,
        "s0*sigma*exp(2*sigma*t)/(sigma + s0*(exp(2*sigma*t) - 1))",
        r"\frac{\sigma}{1 + \left(\frac{\sigma}{s_0} - 1\right) e^{-2 \sigma t}}",
    ],
)
def test_gf_solution_written_differently_is_verified_symbolically(formula):
    result = check("gf_solution", formula, monte_carlo=False)
    assert result.verdict == Verdict.VERIFIED
    assert result.symbolic == "equal"


@pytest.mark.parametrize(
    "formula",
    [
        GF_SOLUTION.replace("-2*sigma*t", "-sigma*t"),  # rate sigma instead of 2 sigma
        GF_SOLUTION.replace("sigma/s0-1", "sigma/s0"),  # initial condition s(0) != s0
        "s0*exp(2*sigma*t)",  # linearised (early-time) growth
    ],
)
def test_wrong_gf_solutions_are_refuted(formula):
    result = check("gf_solution", formula, monte_carlo=False)
    assert result.verdict == Verdict.REFUTED
    assert result.counterexample is not None


def test_cli_check_gf_solution_verified_and_refuted_by_the_simulated_flow(capsys):
    """End to end through the CLI, with the gradient-flow simulation of the full network:
    the logistic is verified (symbolic and numeric), rate sigma refuted by both."""
    assert main(["check", "gf_solution", GF_SOLUTION, "--json"]) == ExitCode.OK
    payload = json.loads(capsys.readouterr().out)
    assert payload["verdict"] == "verified"
    assert payload["numeric"]["passed"]
    wrong = GF_SOLUTION.replace("-2*sigma*t", "-sigma*t")
    assert main(["check", "gf_solution", wrong, "--json"]) == ExitCode.FAILED
    payload = json.loads(capsys.readouterr().out)
    assert payload["verdict"] == "refuted"
    assert payload["symbolic"] == "different"
    assert not payload["numeric"]["passed"]


# --- the stationary law (C10, C12) --------------------------------------------------------

MEAN_BELOW = "sigma - kappa*(L-1)*sigma**(1-2/L)*sigma_eps**2/2"
VARIANCE = "kappa*L*sigma**(2-2/L)*sigma_eps**2/2"
DENSITY_L2 = (
    "s**(1/2)/(s**2*(2*(sigma-s)**2+sigma_eps**2)) * exp(sigma/(kappa*(2*sigma**2+sigma_eps**2))"
    "*(log(s) - log(2*(s-sigma)**2 + sigma_eps**2)/2)"
    " - sqrt(2)*sigma_eps*atan(sqrt(2)*(s-sigma)/sigma_eps)/(2*kappa*(2*sigma**2+sigma_eps**2)))"
)


def test_stationary_moments_verified_by_quadrature_and_the_papers_mean_refuted():
    mean = check("stationary_mean", MEAN_BELOW)
    assert mean.verdict == Verdict.VERIFIED
    assert mean.numeric is not None
    assert mean.numeric.passed
    variance = check("stationary_variance", r"\frac{\kappa}{2} L \sigma^{2-2/L}\sigma_{\epsilon}^2")
    assert variance.verdict == Verdict.VERIFIED
    # the paper's "slightly above sigma": refuted symbolically and by the quadrature estimate
    above = check("stationary_mean", MEAN_BELOW.replace("sigma - kappa", "sigma + kappa"))
    assert above.verdict == Verdict.REFUTED
    assert above.numeric is not None
    assert not above.numeric.passed
    assert not check("stationary_variance", "1.1*" + VARIANCE).numeric.passed


def test_stationary_density_is_compared_up_to_a_constant_factor():
    at_two = {"at": {"L": 2}, "monte_carlo": False}
    assert check("stationary_density", DENSITY_L2, **at_two).verdict == Verdict.VERIFIED
    scaled = check("stationary_density", "7*kappa*" + DENSITY_L2, **at_two)
    assert scaled.verdict == Verdict.VERIFIED
    assert "up to a factor free of s" in scaled.message
    # dropping the Ito factor s**(1/2), or the prefactor 1/D, is refuted
    for wrong in (
        DENSITY_L2.replace("s**(1/2)/", "1/"),
        DENSITY_L2.replace("/(s**2*", "*(1/s**2)*("),
    ):
        result = check("stationary_density", wrong, **at_two)
        assert result.verdict == Verdict.REFUTED, wrong


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), float("inf"), 86_401, 1e10])
def test_a_time_limit_out_of_range_is_bad_input_before_any_work(timeout, capsys):
    with pytest.raises(InvalidParameter, match="time limit"):
        check("diffusion", "kappa", timeout=timeout)
    code = main(["check", "diffusion", "kappa", "--timeout", repr(timeout)])
    error = capsys.readouterr().err.strip()
    assert code == ExitCode.BAD_INPUT
    assert "time limit" in error
    assert len(error.splitlines()) == 1


def test_a_time_limit_of_a_day_is_accepted():
    assert check("diffusion", "kappa", timeout=86_400, monte_carlo=False).verdict == "refuted"


DIFFUSION = "kappa*L**2*s**(4-4/L)*(2*(sigma-s)**2+sigma_eps**2)"


def test_a_formula_proven_equal_that_the_simulator_rejects_is_undecided_not_refuted(
    monkeypatch,
):
    """An internal inconsistency (here a simulator biased on purpose) is the tool's fault:
    the user's formula, proven equal to the derivation, is never called refuted."""
    import dataclasses

    from numerics.montecarlo import Estimate
    from reports.claims import get_quantity
    from reports.formulas import engine

    honest = get_quantity("diffusion")

    def biased(point, rng):
        estimate = honest.observable(point, rng)
        return Estimate(1.5 * estimate.value, estimate.standard_error, estimate.n_samples)

    monkeypatch.setattr(
        engine, "get_quantity", lambda name: dataclasses.replace(honest, observable=biased)
    )
    result = check("diffusion", DIFFUSION)
    assert result.symbolic == "equal"
    assert result.verdict == Verdict.UNDECIDED
    assert "internal inconsistency" in result.message
    assert "please report" in result.message


def test_symbolic_only_says_the_monte_carlo_check_was_not_run(monkeypatch):
    from reports.formulas import engine
    from reports.formulas.result import Symbolic
    from reports.formulas.symbolic import SymbolicComparison

    monkeypatch.setattr(
        engine, "_compare_symbolically", lambda sides: SymbolicComparison(Symbolic.UNDECIDED, 0)
    )
    skipped = check("diffusion", DIFFUSION, monte_carlo=False)
    assert skipped.verdict == Verdict.UNDECIDED
    assert "Monte Carlo check was not run" in skipped.message
    assert "no Monte Carlo observable" not in skipped.message
