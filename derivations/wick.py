r"""Wick/Isserlis engine: exact expectations of polynomials in centred Gaussian vectors.

This is the machinery behind every moment the claims need (the population loss of C1, the
fourth moments of the gradient-noise covariance C3, ...); it lives apart from the claims
that use it, in the way SymPy separates ``stats/crv.py`` from ``crv_types.py``.

A polynomial is converted to a sparse polynomial of SymPy's ``polys.rings`` over
:math:`\mathbb{Q}`, whose generators are the Gaussian variables followed by every other
symbol (weights, teacher entries, covariance entries).  Its expectation is computed term by
term: the Gaussian part of a monomial is replaced by its moment, the rest is a coefficient.
Monomial moments come from the Gaussian integration-by-parts (Stein) recursion

.. math:: \mathbb{E}[z_i f(z)] = \sum_j C_{ij}\, \mathbb{E}[\partial_j f(z)],
   \qquad z \sim N(0, C),

memoised on the exponent vector, which is Isserlis' theorem
:math:`\mathbb{E}[z_{i_1}\cdots z_{i_{2k}}] = \sum_{\text{pairings}} \prod C_{i_a i_b}`.
Independent vectors (:math:`x \sim N(0, I_n)` and :math:`\varepsilon \sim N(0,
\Sigma_\varepsilon)` in DESIGN.md §3) factorise; for an identity covariance the moment is the
product of double factorials :math:`(a_i - 1)!!` of even exponents.  Coefficients that are not
polynomials over :math:`\mathbb{Q}` (``sqrt(2)``, ``1/sigma``) fall back to SymPy's ``EX``
domain, which is general but slower.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sympy as sp
from sympy.polys.rings import PolyElement, PolyRing, ring

from dlnverify.errors import InvalidParameter

__all__ = [
    "GaussianVector",
    "WickEngine",
    "gaussian_expectation",
    "gaussian_moment",
]


@dataclass(frozen=True)
class GaussianVector:
    r"""A centred Gaussian vector :math:`z \sim N(0, C)`, independent of every other one.

    Attributes
    ----------
    variables : tuple[sympy.Symbol, ...]
        The coordinates :math:`z_1, \dots, z_k` as SymPy symbols (distinct).
    covariance : sympy.ImmutableMatrix or None
        The :math:`k \times k` symmetric covariance :math:`C` (entries may be numbers or
        polynomials in other symbols); ``None`` means the identity :math:`I_k`.
    """

    variables: tuple[sp.Symbol, ...]
    covariance: sp.ImmutableMatrix | None = None

    def __post_init__(self) -> None:
        variables = tuple(self.variables)
        if not variables or not all(isinstance(v, sp.Symbol) for v in variables):
            raise InvalidParameter(
                f"Got variables={self.variables!r}, but variables must be a non-empty sequence "
                "of sympy Symbols."
            )
        if len(set(variables)) != len(variables):
            raise InvalidParameter(
                f"Got variables={variables!r}, but the Gaussian variables must be distinct."
            )
        object.__setattr__(self, "variables", variables)
        if self.covariance is None:
            return
        cov = sp.ImmutableMatrix(self.covariance)
        k = len(variables)
        if cov.shape != (k, k):
            raise InvalidParameter(
                f"Got covariance of shape {cov.shape}, but it must be {(k, k)} for {k} variables."
            )
        if any(sp.expand(cov[i, j] - cov[j, i]) != 0 for i in range(k) for j in range(i)):
            raise InvalidParameter("Got a non-symmetric covariance, but C must equal C^T.")
        if cov.free_symbols & set(variables):
            raise InvalidParameter(
                "Got a covariance depending on its own Gaussian variables; it must not."
            )
        object.__setattr__(self, "covariance", cov)

    @property
    def size(self) -> int:
        """Number of coordinates :math:`k`."""
        return len(self.variables)


def _double_factorial_moment(exponent: int) -> int:
    r"""Moment :math:`\mathbb{E} z^a` of a standard normal: :math:`(a-1)!!`, zero for odd a."""
    if exponent % 2:
        return 0
    out = 1
    for factor in range(exponent - 1, 0, -2):
        out *= factor
    return out


class WickEngine:
    r"""Expectations of polynomials in independent centred Gaussian vectors.

    The engine owns one sparse polynomial ring over :math:`\mathbb{Q}` with generators
    ``gaussian variables + parameters``: every polynomial handed to it is an element of that
    ring (use :meth:`element` to convert a SymPy expression), and expectations, derivatives
    (``p.diff(gen)``) and products stay in the ring, so that exact identities between large
    polynomials are checked by expanding a difference to zero.

    Parameters
    ----------
    vectors : sequence of GaussianVector
        Mutually independent centred Gaussian vectors.
    parameters : iterable of sympy.Symbol
        The non-random symbols the polynomials may contain (weights, teacher entries, ...).
        Symbols of the covariance entries are added automatically.
    domain : {"QQ", "EX"}
        ``"QQ"``: generators are the Gaussian variables and the parameters, coefficients
        rational (fast). ``"EX"``: generators are the Gaussian variables only, coefficients
        arbitrary SymPy expressions (general, slow).

    Raises
    ------
    InvalidParameter
        When a covariance entry is not a polynomial over :math:`\mathbb{Q}` in the parameters
        (use ``domain="EX"``), or a parameter is also a Gaussian variable.
    """

    def __init__(
        self,
        vectors: Sequence[GaussianVector],
        parameters: Iterable[sp.Symbol] = (),
        *,
        domain: str = "QQ",
    ) -> None:
        vectors = tuple(vectors)
        if not vectors or not all(isinstance(v, GaussianVector) for v in vectors):
            raise InvalidParameter(
                f"Got vectors={vectors!r}, but vectors must be a non-empty sequence of "
                "GaussianVector."
            )
        if domain not in ("QQ", "EX"):
            raise InvalidParameter(f"Got {domain=}, but domain must be 'QQ' or 'EX'.")
        gaussians = [v for vec in vectors for v in vec.variables]
        if len(set(gaussians)) != len(gaussians):
            raise InvalidParameter("Got Gaussian vectors sharing a variable; they must not.")
        self.vectors = vectors
        self.gaussians: tuple[sp.Symbol, ...] = tuple(gaussians)
        self.domain = domain
        params = list(dict.fromkeys(parameters))
        if set(params) & set(gaussians):
            raise InvalidParameter("Got a parameter that is also a Gaussian variable.")
        if domain == "QQ":
            cov_symbols: set[sp.Symbol] = set()
            for vec in vectors:
                if vec.covariance is not None:
                    cov_symbols |= vec.covariance.free_symbols
            params += sorted(cov_symbols - set(params), key=str)
            self.parameters: tuple[sp.Symbol, ...] = tuple(params)
            self.ring: PolyRing = ring(list(gaussians) + params, sp.QQ)[0]
        else:
            self.parameters = ()
            self.ring = ring(list(gaussians), sp.EX)[0]
        self._k = len(gaussians)
        self._slices: list[tuple[int, int]] = []
        start = 0
        for vec in vectors:
            self._slices.append((start, start + vec.size))
            start += vec.size
        self._covariances: list[list[list[PolyElement]] | None] = []
        for vec in vectors:
            if vec.covariance is None:
                self._covariances.append(None)
            else:
                cov = vec.covariance
                self._covariances.append(
                    [[self.element(cov[i, j]) for j in range(vec.size)] for i in range(vec.size)]
                )
        self._memo: list[dict[tuple[int, ...], PolyElement]] = [{} for _ in vectors]

    # -- conversion ---------------------------------------------------------------------
    def element(self, expr: Any) -> PolyElement:
        """Convert a SymPy expression (polynomial in the Gaussians) to a ring element."""
        try:
            p = self.ring.from_expr(sp.sympify(expr))
        except (ValueError, TypeError, sp.PolynomialError) as e:
            raise InvalidParameter(
                f"Got {expr!r}, but it must be a polynomial in the Gaussian variables with "
                f"coefficients in {self.ring.domain} (parameters {self.parameters})."
            ) from e
        if self.domain == "EX":
            gaussians = set(self.gaussians)
            for coeff in p.values():
                if coeff.ex.free_symbols & gaussians:
                    raise InvalidParameter(
                        f"Got {expr!r}, but it must be a polynomial in the Gaussian variables."
                    )
        return p

    def generator(self, symbol: sp.Symbol) -> PolyElement:
        """The ring generator of a Gaussian variable or parameter."""
        return self.ring.gens[self.ring.symbols.index(symbol)]

    def to_expr(self, p: PolyElement) -> sp.Expr:
        """Convert a ring element back to a SymPy expression."""
        return p.as_expr()

    # -- moments ------------------------------------------------------------------------
    def _group_moment(self, g: int, exps: tuple[int, ...]) -> PolyElement:
        """Moment :math:`\\mathbb{E}\\prod z_i^{a_i}` of one vector, by Stein's recursion."""
        total = sum(exps)
        if total % 2:
            return self.ring.zero
        cov = self._covariances[g]
        if cov is None:
            value = 1
            for a in exps:
                value *= _double_factorial_moment(a)
            return self.ring(value)
        if total == 0:
            return self.ring.one
        memo = self._memo[g]
        cached = memo.get(exps)
        if cached is not None:
            return cached
        i = next(idx for idx, a in enumerate(exps) if a)
        rest = list(exps)
        rest[i] -= 1
        out = self.ring.zero
        for j, a in enumerate(rest):
            if a and cov[i][j]:
                lowered = list(rest)
                lowered[j] -= 1
                out += cov[i][j] * a * self._group_moment(g, tuple(lowered))
        memo[exps] = out
        return out

    def moment(self, exponents: Sequence[int]) -> PolyElement:
        r"""Moment :math:`\mathbb{E}\prod_i z_i^{a_i}` over all Gaussian variables.

        ``exponents`` lists :math:`a_i` in the engine's variable order
        (:attr:`gaussians`); independent vectors factorise.
        """
        exps = tuple(int(a) for a in exponents)
        if len(exps) != self._k or any(a < 0 for a in exps):
            raise InvalidParameter(
                f"Got exponents={exponents!r}, but they must be {self._k} integers >= 0."
            )
        out = self.ring.one
        for g, (lo, hi) in enumerate(self._slices):
            factor = self._group_moment(g, exps[lo:hi])
            if not factor:
                return self.ring.zero
            out *= factor
        return out

    def _split(self, p: PolyElement) -> dict[tuple[int, ...], PolyElement]:
        """Group a polynomial by its Gaussian monomial: ``{gaussian exponents: coefficient}``."""
        k = self._k
        zeros = (0,) * k
        groups: dict[tuple[int, ...], dict[tuple[int, ...], Any]] = {}
        for monom, coeff in p.items():
            groups.setdefault(monom[:k], {})[zeros + monom[k:]] = coeff
        return {g: self.ring(terms) for g, terms in groups.items()}

    def expectation(self, p: PolyElement) -> PolyElement:
        r""":math:`\mathbb{E}\,p`: every Gaussian monomial replaced by its moment."""
        out = self.ring.zero
        for gexp, coeff in self._split(p).items():
            mom = self.moment(gexp)
            if mom:
                out += coeff * mom
        return out

    def second_moments(
        self, fs: Sequence[PolyElement], gs: Sequence[PolyElement] | None = None
    ) -> list[list[PolyElement]]:
        r"""The matrix :math:`\mathbb{E}[f_p g_q]` of a pair of polynomial vectors.

        Written bilinearly: with :math:`f_p = \sum_\mu c_{p\mu}\,\mu` over Gaussian monomials
        :math:`\mu`, :math:`\mathbb{E}[f_p g_q] = \sum_{\mu\nu} c_{p\mu} M_{\mu\nu}
        d_{q\nu}` with the moment matrix :math:`M_{\mu\nu} = \mathbb{E}[\mu\nu]`, which is the
        same Wick expectation as expanding each product, at a fraction of the cost.
        ``gs=None`` means ``gs = fs`` (the result is then symmetric and computed once).
        """
        symmetric = gs is None
        fdec = [self._split(f) for f in fs]
        gdec = fdec if symmetric else [self._split(g) for g in gs]  # type: ignore[union-attr]
        fmons = sorted({m for d in fdec for m in d})
        gmons = sorted({m for d in gdec for m in d})
        moments: dict[tuple[int, ...], list[tuple[tuple[int, ...], PolyElement]]] = {}
        for a in fmons:
            row = []
            for b in gmons:
                mom = self.moment(tuple(u + v for u, v in zip(a, b, strict=True)))
                if mom:
                    row.append((b, mom))
            moments[a] = row
        # h_{p nu} = sum_mu c_{p mu} M_{mu nu}
        hs: list[dict[tuple[int, ...], PolyElement]] = []
        for d in fdec:
            h: dict[tuple[int, ...], PolyElement] = {}
            for a, coeff in d.items():
                for b, mom in moments[a]:
                    h[b] = h.get(b, self.ring.zero) + coeff * mom
            hs.append(h)
        out = [[self.ring.zero] * len(gdec) for _ in fdec]
        for p, h in enumerate(hs):
            for q in range(p if symmetric else 0, len(gdec)):
                dq = gdec[q]
                acc = self.ring.zero
                for b, hv in h.items():
                    c = dq.get(b)
                    if c is not None:
                        acc += hv * c
                out[p][q] = acc
                if symmetric:
                    out[q][p] = acc
        return out


def gaussian_moment(exponents: Sequence[int], covariance: sp.Matrix) -> sp.Expr:
    r"""Isserlis moment :math:`\mathbb{E}\prod_i z_i^{a_i}` of :math:`z \sim N(0, C)`.

    Parameters
    ----------
    exponents : sequence of int
        The exponents :math:`a_i \ge 0`.
    covariance : sympy.Matrix
        The symmetric covariance :math:`C` (numbers or polynomial entries).

    Returns
    -------
    sympy.Expr
        The moment, e.g. :math:`3C_{11}^2` for ``(4,)``; zero when :math:`\sum a_i` is odd.
    """
    cov = sp.Matrix(covariance)
    variables = tuple(sp.Dummy(f"z{i}") for i in range(cov.rows))
    vector = GaussianVector(variables, sp.ImmutableMatrix(cov))
    try:
        engine = WickEngine([vector])
    except InvalidParameter:
        engine = WickEngine([vector], domain="EX")
    return engine.to_expr(engine.moment(exponents))


def gaussian_expectation(expr: Any, vectors: Sequence[GaussianVector]) -> Any:
    r"""Expectation of a polynomial (or a matrix of polynomials) in Gaussian vectors.

    .. math:: \mathbb{E}\Bigl[\sum_\alpha c_\alpha \prod_i z_i^{\alpha_i}\Bigr]
       = \sum_\alpha c_\alpha\, \mathbb{E}\prod_i z_i^{\alpha_i},

    each monomial moment by Isserlis' theorem (see :class:`WickEngine`).

    Parameters
    ----------
    expr : sympy.Expr or sympy.Matrix
        Polynomial in the Gaussian variables; coefficients may contain any other symbols.
    vectors : sequence of GaussianVector
        Mutually independent centred Gaussian vectors.

    Returns
    -------
    sympy.Expr or sympy.Matrix
        The expectation, expanded (a matrix for a matrix input).

    Raises
    ------
    InvalidParameter
        When ``expr`` is not a polynomial in the Gaussian variables.

    Examples
    --------
    >>> import sympy as sp
    >>> x, s = sp.symbols("x s")
    >>> gaussian_expectation(x**4, [GaussianVector((x,), sp.ImmutableMatrix([[s**2]]))])
    3*s**4
    """
    is_matrix = isinstance(expr, sp.MatrixBase)
    entries = list(expr) if is_matrix else [sp.sympify(expr)]
    gaussians = {v for vec in vectors for v in vec.variables}
    params = sorted(
        set().union(*(sp.sympify(e).free_symbols for e in entries)) - gaussians, key=str
    )
    try:
        engine = WickEngine(vectors, params)
        polys = [engine.element(e) for e in entries]
    except InvalidParameter:
        engine = WickEngine(vectors, domain="EX")
        polys = [engine.element(e) for e in entries]
    values = [engine.to_expr(engine.expectation(p)) for p in polys]
    if is_matrix:
        return sp.Matrix(expr.rows, expr.cols, values)
    return values[0]
