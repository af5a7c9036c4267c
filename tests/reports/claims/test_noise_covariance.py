r"""C3 [Prop. 3.2] and C4 [App. A, G] against the simulator, general label noise.

Statements (DESIGN.md §3-4; ``vec`` column-major, layers stacked, :math:`K_{r,c}\operatorname{vec}X
= \operatorname{vec}X^\top` for :math:`X` of shape :math:`r \times c`):

* :math:`\Sigma_{lk} = (B_l B_k^\top) \otimes (A_l^\top(\Delta\Delta^\top + \Sigma_\varepsilon)A_k)
  + ((B_l\Delta^\top A_k) \otimes (A_l^\top\Delta B_k^\top)) K_{h_k, h_{k-1}}`;
* the mean of an online batch of :math:`B` samples has covariance :math:`\Sigma/B`;
* the mean of :math:`B` of :math:`N` fixed vectors drawn without replacement has covariance
  :math:`\frac{N-B}{B(N-1)} S_N`, :math:`S_N` their :math:`1/N` empirical covariance.

Test: every covariance entry with :math:`\mathrm{SE} > 0` must have
:math:`|z| = |\hat c - c| / \mathrm{SE} \le z^*(\alpha, n_\text{entries})` (Bonferroni over all
entries z-tested in one example); **false-alarm rate** :math:`\alpha = 10^{-6}` per example
(normal approximation of :math:`z`).  Entries with :math:`\mathrm{SE} = 0` (constant samples,
e.g. the rows of a layer behind a zero layer) must agree to round-off.

Power: perturbed statements, written here independently of the library — (a) commutation term
dropped, (b) Kronecker factors swapped, (c) :math:`\Sigma/B^2`, (d) :math:`1.1\,\Sigma`,
(e) :math:`S_N/B` (with-replacement factor) — must be rejected by the same test whenever they
are *detectable*: some entry moves by more than :math:`2 z^* \mathrm{SE}` (then the rejection
follows from the passed correct test).  Drawn examples may be uninformative; fixed cases with
a pilot-chosen sample size must be detectable for every perturbation.  Exact enumeration of
C4 is in ``tests/derivations/test_batch_noise.py``.
"""

import math

import numpy as np
import pytest
from dln_strategies import network_cases
from hypothesis import event, given, settings
from hypothesis import strategies as st

from derivations.noise_covariance import noise_covariance_closed_form_numeric
from numerics.montecarlo import covariance_estimate, z_threshold
from numerics.network import flatten_layers
from numerics.noise import empirical_gradient_noise
from numerics.teacher import Teacher, random_teacher
from numerics.weights import random_weights

#: Every test of the topic runs on one worker: its derivations (cached in-process) are
#: computed once per run (tests/README.md).
pytestmark = pytest.mark.xdist_group("noise_covariance")

FALSE_ALARM = 1e-6
DETECTABLE = 2.0  # a perturbation is detectable if it moves an entry by > 2 z* SE
PILOT_MARGIN = 2.5  # fixed cases: sample size putting the perturbation 2.5 z* pilot-SE away
# samples per drawn example: 150k (the 1.1 factor is then often detectable), at most 6e6
# numbers (P <= 100); the z-tests are valid for any sample size
MAX_SAMPLES = 150_000
MAX_NUMBERS = 6_000_000
N_BATCHES = 30_000  # drawn batches without replacement per example
# Round-off of an entry that is exactly 0 in exact arithmetic relative to the largest entry.
ROUNDOFF = 1e-12


# --- an independent restatement of Prop. 3.2 (test device; perturbations by `block`) ---------


def _commutation(rows, cols):
    r""":math:`K_{r,c}`: ``K @ vec(X) == vec(X.T)`` for ``X`` of shape (rows, cols)."""
    index = np.arange(rows * cols).reshape((rows, cols), order="F")  # index[i, j] of X[i, j]
    return np.eye(rows * cols)[index.T.ravel(order="F")]


def _stated_block(A_l, B_l, A_k, B_k, D, S):
    K = _commutation(A_k.shape[1], B_k.shape[0])
    first = np.kron(B_l @ B_k.T, A_l.T @ (D @ D.T + S) @ A_k)
    return first + np.kron(B_l @ D.T @ A_k, A_l.T @ D @ B_k.T) @ K


def _no_commutation_block(A_l, B_l, A_k, B_k, D, S):
    """(a) the commutation term dropped."""
    return np.kron(B_l @ B_k.T, A_l.T @ (D @ D.T + S) @ A_k)


def _swapped_block(A_l, B_l, A_k, B_k, D, S):
    """(b) both Kronecker products with their factors swapped."""
    K = _commutation(A_k.shape[1], B_k.shape[0])
    first = np.kron(A_l.T @ (D @ D.T + S) @ A_k, B_l @ B_k.T)
    return first + np.kron(A_l.T @ D @ B_k.T, B_l @ D.T @ A_k) @ K


def _restated_covariance(weights, teacher_matrix, label_noise_cov, block=_stated_block):
    r"""Blocks :math:`\Sigma_{lk}` from :math:`A_l = W_L\cdots W_{l+1}`, :math:`B_l = W_{l-1}\cdots W_1`."""
    L = len(weights)
    As, Bs = [], []
    for l in range(L):
        A = np.eye(weights[l].shape[0])
        for W in weights[l + 1 :]:
            A = W @ A
        B = np.eye(weights[0].shape[1])
        for W in weights[:l]:
            B = W @ B
        As.append(A)
        Bs.append(B)
    D = teacher_matrix - As[0] @ weights[0]
    return np.block(
        [
            [block(As[l], Bs[l], As[k], Bs[k], D, label_noise_cov) for k in range(L)]
            for l in range(L)
        ]
    )


# --- strategies and helpers ---------------------------------------------------------------


def _with_label_noise(teacher, cov):
    return Teacher(teacher.left, teacher.singular_values, teacher.right, cov)


@st.composite
def general_noise_cases(draw, max_depth=4, max_width=5):
    r"""``network_cases`` with :math:`\Sigma_\varepsilon` none, :math:`0.3^2 I`, or a random PSD
    :math:`M M^\top` of any rank :math:`1..m`."""
    teacher, weights, rng = draw(network_cases(max_depth=max_depth, max_width=max_width))
    kind = draw(st.sampled_from(["as drawn", "general"]))
    if kind == "general":
        rank = draw(st.integers(1, teacher.m))
        scale = draw(st.sampled_from([0.3, 1.0]))
        M = scale * rng.standard_normal((teacher.m, rank)) / math.sqrt(rank)
        teacher = _with_label_noise(teacher, M @ M.T)
    return teacher, weights, rng


def _closed_form(weights, teacher):
    return noise_covariance_closed_form_numeric(weights, teacher.matrix, teacher.label_noise_cov)


def _noise_samples(weights, teacher, n, rng):
    """(n, P) one-sample gradient noise, simulated from its definition."""
    return flatten_layers(empirical_gradient_noise(weights, teacher, n, rng=rng))


def _max_abs_z(estimate, target):
    r"""Largest :math:`|\hat c - c|/\mathrm{SE}` over entries with SE > 0, and whether the
    entries with SE = 0 agree with ``target`` to round-off (``inf`` if they do not)."""
    value, se = estimate.value, estimate.standard_error
    positive = se > 0
    diff = np.abs(value - target)
    scale = max(1.0, float(np.max(np.abs(target))))
    if np.any(diff[~positive] > ROUNDOFF * scale):
        return math.inf
    return float(np.max(diff[positive] / se[positive], initial=0.0))


def _detectable(estimate, shift, threshold):
    """Some entry moves by more than DETECTABLE * z* SE (or by more than round-off at SE = 0)."""
    se = estimate.standard_error
    positive = se > 0
    scale = max(1.0, float(np.max(np.abs(estimate.value))))
    if np.any(np.abs(shift[~positive]) > ROUNDOFF * scale):
        return True
    ratio = np.abs(shift[positive]) / se[positive]
    return bool(np.max(ratio, initial=0.0) > DETECTABLE * threshold)


def _perturbations(weights, teacher, sigma, batch):
    """Perturbed statements: (name, which estimate, perturbed target)."""
    S = teacher.label_noise_cov
    return [
        (
            "no commutation",
            "single",
            _restated_covariance(weights, teacher.matrix, S, _no_commutation_block),
        ),
        (
            "swapped kron",
            "single",
            _restated_covariance(weights, teacher.matrix, S, _swapped_block),
        ),
        ("Sigma/B^2", "batch", sigma / batch**2),
        ("factor 1.1", "single", 1.1 * sigma),
    ]


def _check_online(weights, teacher, n_samples, batch, rng):
    r"""z-test :math:`\Sigma` and :math:`\Sigma/B` against the simulator; return the power of
    each perturbation as ``{name: (detectable, rejected)}``."""
    sigma = _closed_form(weights, teacher)
    restated = _restated_covariance(weights, teacher.matrix, teacher.label_noise_cov)
    scale = max(1.0, float(np.max(np.abs(sigma))))
    assert np.max(np.abs(restated - sigma)) <= 1e-10 * scale

    samples = _noise_samples(weights, teacher, n_samples, rng)
    P = samples.shape[1]
    estimates = {
        "single": covariance_estimate(samples),
        "batch": covariance_estimate(
            samples[: n_samples // batch * batch].reshape(-1, batch, P).mean(axis=1)
        ),
    }
    targets = {"single": sigma, "batch": sigma / batch}
    threshold = z_threshold(FALSE_ALARM, 2 * P * P)
    for key, estimate in estimates.items():
        assert _max_abs_z(estimate, targets[key]) <= threshold, key

    power = {}
    for name, key, wrong in _perturbations(weights, teacher, sigma, batch):
        estimate = estimates[key]
        detectable = _detectable(estimate, wrong - targets[key], threshold)
        power[name] = (detectable, _max_abs_z(estimate, wrong) > threshold)
    return power


# --- tests ---------------------------------------------------------------------------------


def test_commutation_matrix_convention():
    X = np.arange(6.0).reshape(2, 3) ** 2
    assert np.array_equal(_commutation(2, 3) @ X.ravel(order="F"), X.T.ravel(order="F"))


@given(case=general_noise_cases())
def test_restatement_equals_library_closed_form(case):
    """The test's own Kronecker/commutation form equals ``noise_covariance_closed_form_numeric``."""
    teacher, weights, _ = case
    sigma = _closed_form(weights, teacher)
    restated = _restated_covariance(weights, teacher.matrix, teacher.label_noise_cov)
    assert restated.shape == sigma.shape
    assert np.max(np.abs(restated - sigma)) <= 1e-10 * max(1.0, float(np.max(np.abs(sigma))))


@given(case=general_noise_cases(), batch=st.integers(2, 4))
@settings(max_examples=8)
def test_closed_form_matches_simulated_noise_covariance(case, batch):
    teacher, weights, rng = case
    n = min(MAX_SAMPLES, MAX_NUMBERS // sum(w.size for w in weights))
    power = _check_online(weights, teacher, n, batch, rng)
    for name, (detectable, rejected) in power.items():
        event(f"{name}: {'detectable' if detectable else 'uninformative'}")
        if detectable:
            assert rejected, name


def _pilot_sample_size(weights, teacher, batch, rng, n_pilot=20_000, cap=2_000_000):
    r"""Smallest :math:`n` putting every perturbation :math:`\ge` PILOT_MARGIN :math:`z^*` SE
    away, with the per-sample SD of each entry from a pilot run (:math:`\mathrm{SE}\sqrt{n}`)."""
    sigma = _closed_form(weights, teacher)
    samples = _noise_samples(weights, teacher, n_pilot, rng)
    P = samples.shape[1]
    threshold = z_threshold(FALSE_ALARM, 2 * P * P)
    sd = covariance_estimate(samples).standard_error * math.sqrt(n_pilot)
    # batch means m: Var(m_i m_j) = (sd^2 + (B-1)(C_ii C_jj + C_ij^2)) / B^3 <= sd^2 / B^2 if
    # sd^2 is at least its Gaussian value; n/B batches, so SE <= sd / sqrt(B n)
    sd = {"single": sd, "batch": sd / math.sqrt(batch)}
    targets = {"single": sigma, "batch": sigma / batch}
    needed = []
    for _, key, wrong in _perturbations(weights, teacher, sigma, batch):
        shift = np.abs(wrong - targets[key])
        with np.errstate(divide="ignore", invalid="ignore"):
            n = (PILOT_MARGIN * threshold * sd[key] / shift) ** 2
        needed.append(float(np.nanmin(np.where(shift > 0, n, np.inf))))
    n = math.ceil(max(needed))
    assert n <= cap, needed
    return max(n, n_pilot)


FIXED_POINTS = {
    # rectangular, hidden wider than input and output, general full-rank Sigma_eps
    "depth 2, widths (2, 4, 3)": ((2, 4, 3), [1.5, 0.6], "full"),
    # depth 3, rank-1 Sigma_eps
    "depth 3, widths (3, 2, 4, 2)": ((3, 2, 4, 2), [1.2], "rank 1"),
}


def _fixed_point(widths, singular_values, noise, seed):
    rng = np.random.default_rng(seed)
    m = widths[-1]
    M = rng.standard_normal((m, m if noise == "full" else 1)) * 0.5
    teacher = random_teacher(singular_values, shape=(m, widths[0]), rng=rng, label_noise=M @ M.T)
    return teacher, random_weights(widths, rng=rng), rng


@pytest.mark.parametrize("point", list(FIXED_POINTS))
def test_every_perturbation_is_rejected_at_fixed_points(point):
    widths, singular_values, noise = FIXED_POINTS[point]
    teacher, weights, rng = _fixed_point(widths, singular_values, noise, seed=12345)
    batch = 2
    n = _pilot_sample_size(weights, teacher, batch, rng)
    power = _check_online(weights, teacher, n, batch, rng)
    for name, (detectable, rejected) in power.items():
        assert detectable, (name, n)
        assert rejected, name


@pytest.mark.parametrize("label_noise", [True, False])
@pytest.mark.parametrize("zero_layer", [0, -1])
def test_zero_standard_error_entries_agree_exactly(zero_layer, label_noise):
    """A zero layer makes whole blocks of noise exactly 0 (SE = 0): closed form exactly 0 there."""
    rng = np.random.default_rng(2024)
    M = rng.standard_normal((3, 2)) if label_noise else np.zeros((3, 2))
    teacher = random_teacher([1.3, 0.8], shape=(3, 2), rng=rng, label_noise=M @ M.T)
    weights = list(random_weights((2, 4, 3, 3), rng=rng))
    weights[zero_layer] = np.zeros_like(weights[zero_layer])
    estimate = covariance_estimate(_noise_samples(weights, teacher, 50_000, rng))
    zero = estimate.standard_error == 0
    assert np.any(zero)
    assert not np.all(zero)
    sigma = _closed_form(weights, teacher)
    assert np.all(sigma[zero] == 0)
    threshold = z_threshold(FALSE_ALARM, sigma.size)
    assert _max_abs_z(estimate, sigma) <= threshold
    # the commutation-free statement is still rejected through the SE > 0 entries
    wrong = _restated_covariance(
        weights, teacher.matrix, teacher.label_noise_cov, _no_commutation_block
    )
    if _detectable(estimate, wrong - sigma, threshold):
        assert _max_abs_z(estimate, wrong) > threshold


# --- C4: batches drawn without replacement ------------------------------------------------


def _without_replacement_check(points, batch, n_batches, rng):
    r"""z-test :math:`\frac{N-B}{B(N-1)} S_N` against random batches; power of :math:`S_N/B`."""
    N, P = points.shape
    centred = points - points.mean(axis=0)
    S = centred.T @ centred / N
    # each row of `permuted` is a uniform permutation, so its first B entries are a uniform
    # B-subset: rng.choice(N, B, replace=False) for every batch at once
    order = rng.permuted(np.tile(np.arange(N), (n_batches, 1)), axis=1)[:, :batch]
    selection = np.zeros((n_batches, N))
    np.put_along_axis(selection, order, 1.0, axis=1)
    estimate = covariance_estimate(selection @ points / batch)
    threshold = z_threshold(FALSE_ALARM, P * P)
    stated = (N - batch) / (batch * (N - 1)) * S
    assert _max_abs_z(estimate, stated) <= threshold
    wrong = S / batch
    return _detectable(estimate, wrong - stated, threshold), _max_abs_z(estimate, wrong) > threshold


@given(case=general_noise_cases(max_depth=3, max_width=3), data=st.data())
@settings(max_examples=6)
def test_batch_without_replacement_factor(case, data):
    teacher, weights, rng = case
    N = data.draw(st.integers(6, 10), label="N")
    batch = data.draw(st.integers(2, N - 1), label="B")
    points = _noise_samples(weights, teacher, N, rng)
    detectable, rejected = _without_replacement_check(points, batch, N_BATCHES, rng)
    event(f"S_N/B: {'detectable' if detectable else 'uninformative'}")
    if detectable:
        assert rejected


def test_batch_without_replacement_rejects_online_factor_at_a_fixed_point():
    teacher, weights, rng = _fixed_point((2, 3, 2), [1.4, 0.5], "full", seed=777)
    points = _noise_samples(weights, teacher, 8, rng)
    detectable, rejected = _without_replacement_check(points, 4, N_BATCHES, rng)
    assert detectable
    assert rejected
