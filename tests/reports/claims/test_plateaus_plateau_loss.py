"""``plateau_loss`` (C15): the loss on the plateau with k learned modes, teacher of rank r with
singular values sigma (r, r-1, ..., 1), m outputs, label noise sigma_eps^2 I.

By hand: on the k-th plateau the k largest modes are learned and the loss is
1/2 sum_{b>k} sigma_b^2 + 1/2 tr Sigma_eps; the unlearned values are sigma (r-k, ..., 1), so
with sum_{j=1}^{n} j^2 = n (n+1) (2n+1) / 6 (n = r - k)

    L_k = sigma^2 (r-k) (r-k+1) (2(r-k)+1) / 12 + m sigma_eps^2 / 2.
"""

import pytest
from check_assertions import assert_proven_and_simulated, assert_refuted_and_rejected

from derivations.plateaus import arithmetic_plateau_gaps
from dlnverify.errors import InvalidParameter
from reports.formulas.engine import check
from reports.formulas.result import Verdict

#: Every test of the topic runs on one worker: its derivations (cached in-process) are
#: computed once per run (tests/README.md).
pytestmark = pytest.mark.xdist_group("plateaus")

NOISE = "m*sigma_eps**2/2"
PLATEAU = f"sigma**2*(r-k)*(r-k+1)*(2*(r-k)+1)/12 + {NOISE}"


def test_the_closed_form_is_the_derived_saddle_loss():
    # float evaluations of the same exact numbers: round-off only
    assert arithmetic_plateau_gaps() < 1e-12


def test_the_hand_summed_plateau_loss_is_proven_and_matches_gradient_descent():
    assert_proven_and_simulated("plateau_loss", PLATEAU)


def test_a_middle_plateau_of_the_papers_teacher_is_verified():
    # sigma (3, 2, 1), one mode learned: 1/2 (4 + 1) sigma^2
    result = assert_proven_and_simulated(
        "plateau_loss", f"5*sigma**2/2 + {NOISE}", at={"k": 1, "r": 3}
    )
    assert all(case.parameters["k"] == 1 for case in result.numeric.cases)


@pytest.mark.parametrize(
    "wrong",
    [
        "1.1*(" + PLATEAU + ")",  # factor 1.1: the power of the simulation
        PLATEAU.replace(f" + {NOISE}", ""),  # label noise missing
        f"sigma**2*k*(k+1)*(2*k+1)/12 + {NOISE}",  # the learned modes summed instead
    ],
)
def test_slips_are_refuted_and_rejected_by_gradient_descent(wrong):
    assert_refuted_and_rejected("plateau_loss", wrong)


def test_a_loss_without_the_half_is_named():
    result = check("plateau_loss", f"2*({PLATEAU})", monte_carlo=False)
    assert result.verdict == Verdict.REFUTED
    assert result.convention == "loss_without_half"


def test_a_plateau_beyond_the_rank_is_refused():
    with pytest.raises(InvalidParameter, match="only where k <= r <= m"):
        check("plateau_loss", PLATEAU, at={"k": 3, "r": 2})


def test_the_new_parameter_letters_stay_free_elsewhere():
    """k, r and N are parameters of one quantity each: a derivation file's letters and the
    variable of a sum in another quantity's formula keep them free."""
    from reports.formulas.chain_file import read_chains

    file = read_chains("% dlnverify: natural k\n\\[ k + r + N = N + r + k \\]")
    assert file.letters.domains[("k", None)].value == "natural"
    summed = (
        r"\kappa\frac{L(L-1)}{2}s^{3-4/L}(2(\sigma-s)^2+\sigma_\varepsilon^2)"
        r" + \kappa(\sigma-s)(\sigma_b-s_b)s^{2-2/L}s_b^{1-2/L}"
        r"\sum_{k=1}^{L-1}(L-k)(s_b/s)^{2k/L}"
    )
    result = check("two_mode_ito_drift", summed, syntax="latex", at={"L": 3}, monte_carlo=False)
    assert result.verdict == Verdict.VERIFIED, result.message
