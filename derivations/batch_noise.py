r"""C4 [Sec. 2.2, App. A, App. G]: covariance of the batch-gradient noise.

Two sampling schemes, both derived by combinatorics with symbolic sizes:

* **online** (App. A): a batch is :math:`B` i.i.d. draws with one-sample noise covariance
  :math:`\Sigma`; the batch mean has covariance
  :math:`B^{-2}\sum_{i,j=1}^{B}\delta_{ij}\Sigma = \Sigma/B` (the sum of the Kronecker delta
  is evaluated by SymPy);
* **without replacement** from :math:`N` points :math:`g_1..g_N` (App. G, Eq. 32): with
  inclusion indicators :math:`I_n`, :math:`\bar g_{\mathcal B} - \bar g = B^{-1}\sum_n I_n d_n`,
  :math:`d_n = g_n - \bar g`, :math:`\sum_n d_n = 0`; the inclusion probabilities
  :math:`P(n\in\mathcal B) = \binom{N-1}{B-1}/\binom{N}{B}` and
  :math:`P(n, n'\in\mathcal B) = \binom{N-2}{B-2}/\binom{N}{B}` are simplified by SymPy to
  :math:`B/N` and :math:`B(B-1)/(N(N-1))`, giving

  .. math:: \operatorname{Cov}(\bar g_{\mathcal B}) = \frac{N-B}{B(N-1)}\,S,\qquad
     S = \frac1N\sum_n d_n d_n^\top

  (the empirical covariance with the :math:`1/N` normalisation).
"""

from __future__ import annotations

import sympy as sp

from derivations.conventions import B
from derivations.result import DerivationResult, Step

__all__ = [
    "N",
    "batch_inclusion_probabilities",
    "batch_noise_claim",
    "finite_population_factor",
    "online_batch_factor",
]

#: Dataset size for batches drawn without replacement (integer, :math:`N \ge B`).
N = sp.Symbol("N", integer=True, positive=True)


def batch_inclusion_probabilities() -> tuple[sp.Expr, sp.Expr]:
    r"""Inclusion probabilities of a uniform size-:math:`B` subset of :math:`N` points.

    Counting subsets: :math:`P(n\in\mathcal B) = \binom{N-1}{B-1}/\binom{N}{B}`,
    :math:`P(n,n'\in\mathcal B) = \binom{N-2}{B-2}/\binom{N}{B}` for :math:`n \ne n'`,
    simplified by ``combsimp``.

    Returns
    -------
    tuple of sympy.Expr
        :math:`(B/N,\ B(B-1)/(N(N-1)))` as derived.
    """
    total = sp.binomial(N, B)
    single = sp.combsimp(sp.binomial(N - 1, B - 1) / total)
    pair = sp.combsimp(sp.binomial(N - 2, B - 2) / total)
    return sp.factor(single), sp.factor(pair)


def online_batch_factor() -> sp.Expr:
    r"""Factor :math:`c` in :math:`\operatorname{Cov}(\bar\xi_B) = c\,\Sigma` for :math:`B` i.i.d. samples.

    .. math:: \operatorname{Cov}\Bigl(\frac1B\sum_{i=1}^B\xi_i\Bigr)
       = \frac1{B^2}\sum_{i=1}^{B}\sum_{j=1}^{B}\operatorname{Cov}(\xi_i,\xi_j)
       = \frac{\Sigma}{B^2}\sum_{i,j}\delta_{ij} = \frac{\Sigma}{B}.
    """
    i, j = sp.symbols("i j", integer=True, positive=True)
    inner = sp.summation(sp.KroneckerDelta(i, j), (j, 1, B))
    inner = sp.refine(inner, sp.Q.le(i, B))  # i ranges over 1..B in the outer sum
    return sp.simplify(sp.summation(inner, (i, 1, B)) / B**2)


def finite_population_factor() -> sp.Expr:
    r"""Factor :math:`c` in :math:`\operatorname{Cov}(\bar g_{\mathcal B}) = c\,S` without replacement.

    .. math:: \operatorname{Cov}(\bar g_{\mathcal B})
       = \frac1{B^2}\Bigl(p_1\sum_n d_nd_n^\top + p_2\sum_{n\ne n'}d_nd_{n'}^\top\Bigr),
       \quad \sum_{n\ne n'}d_nd_{n'}^\top = \Bigl(\sum_n d_n\Bigr)\Bigl(\sum_n d_n\Bigr)^\top
       - \sum_n d_nd_n^\top = -NS,

    with :math:`(p_1, p_2)` from :func:`batch_inclusion_probabilities`; simplifies to
    :math:`(N-B)/(B(N-1))` (App. G, :math:`S` normalised by :math:`1/N`).
    """
    p1, p2 = batch_inclusion_probabilities()
    S, Q, T = sp.symbols("S Q T")  # Q = sum_n d_n d_n^T, T = (sum_n d_n)(sum_n d_n)^T
    covariance = (p1 * Q + p2 * (T - Q)) / B**2  # pairs n != n': T - Q
    covariance = covariance.subs({T: 0, Q: N * S})  # centred: sum d = 0; Q = N S by definition
    return sp.factor(sp.simplify(covariance / S))


def batch_noise_claim() -> DerivationResult:
    r"""C4 [App. A, App. G]: batch covariance :math:`\Sigma/B` online; :math:`\frac{N-B}{B(N-1)}S` without replacement.

    Both factors are derived with symbolic :math:`B` and :math:`N`
    (:func:`online_batch_factor`, :func:`finite_population_factor`) and compared with the
    statements by ``simplify(derived - stated) == 0``.  Consistency facts, also proven: the
    finite-population factor tends to :math:`1/B` as :math:`N \to \infty` (online limit), is
    :math:`1` at :math:`B = 1` and :math:`0` at :math:`B = N`.

    Returns
    -------
    DerivationResult
        ``claim="C4"``; ``derived``/``stated`` map ``"online"`` and ``"without_replacement"``
        to the factor multiplying :math:`\Sigma` resp. :math:`S`.
    """
    online = online_batch_factor()
    finite = finite_population_factor()
    p1, p2 = batch_inclusion_probabilities()
    stated = {"online": 1 / B, "without_replacement": (N - B) / (B * (N - 1))}
    derived = {"online": online, "without_replacement": finite}
    holds = all(sp.simplify(derived[k] - stated[k]) == 0 for k in stated)
    limit = sp.limit(finite, N, sp.oo)
    holds &= sp.simplify(limit - online) == 0
    holds &= sp.simplify(finite.subs(B, 1) - 1) == 0 and sp.simplify(finite.subs(B, N)) == 0
    Sigma = sp.Symbol("Sigma")
    S = sp.Symbol("S")
    i, j = sp.symbols("i j", integer=True, positive=True)
    steps = (
        Step(
            "online: covariance of the mean of B iid one-sample noises",
            sp.Symbol(r"\operatorname{Cov}(\bar\xi_B)"),
            Sigma / B**2 * sp.Sum(sp.KroneckerDelta(i, j), (j, 1, B), (i, 1, B)),
        ),
        Step(
            "online: the double sum evaluated",
            sp.Symbol(r"\operatorname{Cov}(\bar\xi_B)"),
            online * Sigma,
        ),
        Step(
            "without replacement: single-inclusion probability by counting batches",
            sp.binomial(N - 1, B - 1) / sp.binomial(N, B),
            p1,
        ),
        Step(
            "without replacement: pair-inclusion probability by counting batches",
            sp.binomial(N - 2, B - 2) / sp.binomial(N, B),
            p2,
        ),
        Step(
            "without replacement: Cov = (p1 sum_n d_n d_n^T + p2 sum_{n != n'} d_n d_n'^T)/B^2 "
            "with sum_n d_n = 0",
            sp.Symbol(r"\operatorname{Cov}(\bar g_{\mathcal B})"),
            finite * S,
        ),
        Step("online limit of the finite-population factor", sp.Limit(finite, N, sp.oo), limit),
    )
    return DerivationResult(
        claim="C4",
        derived=derived,
        stated=stated,
        holds=bool(holds),
        steps=steps,
        cases=("symbolic B (online)", "symbolic N, B (without replacement)"),
        findings=(
            "The factor (N-B)/(B(N-1)) holds for the empirical covariance normalised by 1/N; "
            "with the unbiased 1/(N-1) normalisation it is (N-B)/(B N).",
        ),
    )
