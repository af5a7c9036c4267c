r"""Symbolic deep linear networks: weight matrices of entry symbols and their algebra.

Every claim that works "at concrete small dimensions" (C1-C3, C5-C7, C13, C14) builds its
network here, so the entry symbols, the input validation of widths, the (partial) products
:math:`A_l, B_l`, the NTK operator and the column-major ``vec`` / Kronecker / commutation
conventions of DESIGN.md §3 are written once.

The matrix helpers accept SymPy matrices and, for speed, ``DomainMatrix`` objects over a
polynomial ring (see :class:`derivations.wick.WickEngine`): the large exact identities of C3
are expanded in the ring, never as SymPy expression trees.

* :math:`W_l` is :math:`h_l \times h_{l-1}` with entries ``w{l}_{i}_{j}``, 1-based for
  C1-C3 (:func:`weight_matrices`), 0-based for the modewise claims
  (``weight_matrices(widths, index_base=0)``, like every :func:`symbolic_matrix`);
* :math:`A_l = W_L \cdots W_{l+1}` (:math:`m \times h_l`), :math:`B_l = W_{l-1} \cdots W_1`
  (:math:`h_{l-1} \times n`), an empty product being the identity;
* :math:`\operatorname{vec}` stacks columns; :math:`K_{r,c}` is the commutation matrix with
  :math:`K_{r,c}\operatorname{vec}X = \operatorname{vec}X^\top` for :math:`X` of shape
  :math:`r \times c`; :math:`\operatorname{vec}(AXB) = (B^\top \otimes A)\operatorname{vec}X`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sympy as sp
from sympy.polys.matrices import DomainMatrix
from sympy.polys.rings import PolyRing

from dlnverify.errors import InvalidParameter

__all__ = [
    "chain",
    "check_shapes",
    "check_widths",
    "commutation_matrix",
    "end_to_end",
    "gap_matrix",
    "kronecker",
    "label_noise_covariance",
    "layer_parameters",
    "network_widths",
    "ntk_operator",
    "partial_products",
    "ring_matrix",
    "symbolic_matrix",
    "teacher_matrix",
    "unvec",
    "vec",
    "weight_matrices",
]


def check_widths(widths: Sequence[int], *, int_entries: bool = False) -> tuple[int, ...]:
    r"""Validate network widths :math:`(h_0 = n, h_1, \dots, h_L = m)`.

    Parameters
    ----------
    widths : sequence of int
        At least two widths (depth :math:`L \ge 1`), every one :math:`\ge 1`.
    int_entries : bool
        Also require every entry to be a Python ``int`` (not a ``bool``): rejects integral
        floats such as ``2.0`` and NumPy integers, which are accepted (as ``int``) otherwise.
        The modewise claims (C5, C6, C13, C14) validate this way.

    Returns
    -------
    tuple of int

    Raises
    ------
    InvalidParameter
        If ``widths`` is not such a sequence.
    """
    try:
        out = tuple(int(h) for h in widths)
    except (TypeError, ValueError) as e:
        raise InvalidParameter(
            f"Got {widths=}, but widths must be a sequence of integers >= 1."
        ) from e
    if (
        len(out) < 2
        or any(h < 1 for h in out)
        or any(h != w for h, w in zip(out, widths, strict=True))
    ):
        raise InvalidParameter(
            f"Got {widths=}, but widths must be (h_0, ..., h_L) with L >= 1 and every h >= 1."
        )
    if int_entries and not all(isinstance(h, int) and not isinstance(h, bool) for h in widths):
        raise InvalidParameter(f"Got {widths=}, but every width must be a Python int.")
    return out


def check_shapes(
    shapes: Sequence[Sequence[int]], *, int_entries: bool = False
) -> tuple[tuple[int, ...], ...]:
    """Validate a non-empty sequence of width tuples, each by :func:`check_widths`."""
    try:
        out = tuple(check_widths(w, int_entries=int_entries) for w in shapes)
    except TypeError as e:
        raise InvalidParameter(
            f"Got {shapes=}, but shapes must be a sequence of width tuples."
        ) from e
    if not out:
        raise InvalidParameter(f"Got {shapes=}, but at least one shape is needed.")
    return out


def symbolic_matrix(name: str, rows: int, cols: int, *, index_base: int = 0) -> sp.Matrix:
    """A ``rows x cols`` matrix of independent real symbols ``{name}_{i}_{j}``.

    The indices ``i, j`` count from ``index_base``: 0 for the modewise claims, 1 for C1-C3.
    """
    return sp.Matrix(
        rows,
        cols,
        lambda i, j: sp.Symbol(f"{name}_{i + index_base}_{j + index_base}", real=True),
    )


def weight_matrices(widths: Sequence[int], *, index_base: int = 1) -> tuple[sp.Matrix, ...]:
    r"""Weight matrices :math:`W_1, \dots, W_L` of distinct real entry symbols.

    Parameters
    ----------
    widths : sequence of int
        :math:`(h_0 = n, h_1, \dots, h_L = m)`; :math:`W_l` is :math:`h_l \times h_{l-1}`.
    index_base : int
        First row/column index in the entry names: 1 (C1-C3) or 0 (the modewise claims).

    Returns
    -------
    tuple of sympy.Matrix
        :math:`(W_1, \dots, W_L)`, entry :math:`(i, j)` of :math:`W_l` (0-based) named
        ``w{l}_{i + index_base}_{j + index_base}``.
    """
    h = check_widths(widths)
    return tuple(
        symbolic_matrix(f"w{l}", h[l], h[l - 1], index_base=index_base) for l in range(1, len(h))
    )


def _shape_iv(shape: Sequence[int], name: str) -> tuple[int, int]:
    try:
        rows, cols = (int(v) for v in shape)
    except (TypeError, ValueError) as e:
        raise InvalidParameter(
            f"Got {name}={shape!r}, but it must be a pair of integers >= 1."
        ) from e
    if rows < 1 or cols < 1:
        raise InvalidParameter(f"Got {name}={shape!r}, but it must be a pair of integers >= 1.")
    return rows, cols


def teacher_matrix(shape: Sequence[int]) -> sp.Matrix:
    r"""Teacher :math:`W^*` (:math:`m \times n`) with free entries ``wstar_{i}_{j}``."""
    return symbolic_matrix("wstar", *_shape_iv(shape, "shape"), index_base=1)


def gap_matrix(shape: Sequence[int]) -> sp.Matrix:
    r"""A free :math:`m \times n` matrix ``Delta_{i}_{j}``, the gap :math:`\Delta = W^* - W`.

    Used as a coordinate: the map :math:`(\theta, W^*) \mapsto (\theta, \Delta)` with
    :math:`\Delta = W^* - W(\theta)` is an invertible polynomial change of variables, so an
    identity between polynomials holds in one set of coordinates iff it holds in the other.
    """
    return symbolic_matrix("Delta", *_shape_iv(shape, "shape"), index_base=1)


def label_noise_covariance(size: int) -> sp.Matrix:
    r"""General symmetric :math:`\Sigma_\varepsilon` (:math:`m \times m`), entries ``Sigma_eps_{i}_{j}``, :math:`i \le j`."""
    if int(size) != size or size < 1:
        raise InvalidParameter(f"Got {size=}, but size must be an integer >= 1.")
    return sp.Matrix(
        size,
        size,
        lambda i, j: sp.Symbol(f"Sigma_eps_{min(i, j) + 1}_{max(i, j) + 1}", real=True),
    )


def _shape(M: Any) -> tuple[int, int]:
    return tuple(M.shape)  # type: ignore[return-value]


def network_widths(weights: Sequence[Any]) -> tuple[int, ...]:
    r"""Widths :math:`(h_0, \dots, h_L)` of a chain of weight matrices (checked)."""
    weights = tuple(weights)
    if not weights:
        raise InvalidParameter("Got weights=(), but a network needs at least one layer.")
    widths = [_shape(weights[0])[1]]
    for l, W in enumerate(weights, start=1):
        rows, cols = _shape(W)
        if cols != widths[-1]:
            raise InvalidParameter(
                f"Got W_{l} of shape {(rows, cols)}, but it must have {widths[-1]} columns "
                f"(h_{l - 1} = {widths[-1]})."
            )
        widths.append(rows)
    return tuple(widths)


def _identity_like(M: Any, size: int) -> Any:
    if isinstance(M, DomainMatrix):
        return DomainMatrix.eye(size, M.domain)
    return sp.eye(size)


def _product(factors: Sequence[Any]) -> Any:
    out = factors[0]
    for F in factors[1:]:
        out = out * F
    return out


def chain(weights: Sequence[Any], first: int, last: int) -> Any:
    r"""The product :math:`W_{last} \cdots W_{first}` (1-based, inclusive).

    For ``first = last + 1`` it is the empty product, the identity of size :math:`h_{last}`
    (so ``chain(weights, l + 1, k - 1)`` is :math:`M_{kl} = W_{k-1}\cdots W_{l+1}` for any
    :math:`l < k`).  The factors are multiplied from the left,
    :math:`(W_{last}W_{last-1})\cdots W_{first}`.
    """
    weights = tuple(weights)
    widths = network_widths(weights)
    if not 1 <= first <= last + 1 <= len(weights) + 1:
        raise InvalidParameter(
            f"Got first={first}, last={last}, but 1 <= first <= last + 1 <= L + 1 "
            f"= {len(weights) + 1} is required."
        )
    factors = weights[first - 1 : last][::-1]
    return _product(factors) if factors else _identity_like(weights[0], widths[last])


def end_to_end(weights: Sequence[Any]) -> Any:
    r"""End-to-end map :math:`W = W_L \cdots W_1`."""
    weights = tuple(weights)
    return chain(weights, 1, len(weights))


def partial_products(weights: Sequence[Any]) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    r"""Partial products :math:`(A_1, \dots, A_L)` and :math:`(B_1, \dots, B_L)` (Prop. 3.1).

    :math:`A_l = W_L \cdots W_{l+1}` (:math:`m \times h_l`), :math:`B_l = W_{l-1}\cdots W_1`
    (:math:`h_{l-1} \times n`), each a :func:`chain`; the empty product is the identity, so
    :math:`W = A_l W_l B_l`.
    """
    weights = tuple(weights)
    depth = len(weights)
    As = tuple(chain(weights, l + 1, depth) for l in range(1, depth + 1))
    Bs = tuple(chain(weights, 1, l - 1) for l in range(1, depth + 1))
    return As, Bs


def ntk_operator(weights: Sequence[sp.Matrix], matrix: sp.Matrix) -> sp.Matrix:
    r"""The NTK operator of a DLN with whitened inputs (paper Prop. 3.3),

    .. math:: \Theta(M) = \sum_{l=1}^L A_l A_l^\top M B_l^\top B_l,

    the image under :math:`\sum_l A_l(\cdot)B_l` of the layerwise gradient
    :math:`A_l^\top M B_l^\top`.
    """
    a_list, b_list = partial_products(weights)
    return sp.Add(*[a * a.T * matrix * b.T * b for a, b in zip(a_list, b_list, strict=True)])


def layer_parameters(weights: Sequence[sp.Matrix]) -> tuple[sp.Symbol, ...]:
    r"""All weight entries in the order of :math:`\theta = (\operatorname{vec}W_1, \dots, \operatorname{vec}W_L)`."""
    return tuple(e for W in weights for e in vec(W))


def vec(M: Any) -> Any:
    r"""Column-major vectorisation :math:`\operatorname{vec}M` (a column)."""
    rows, cols = _shape(M)
    if isinstance(M, DomainMatrix):
        entries = M.to_list()
        return DomainMatrix(
            [[entries[i][j]] for j in range(cols) for i in range(rows)], (rows * cols, 1), M.domain
        )
    return sp.Matrix([M[i, j] for j in range(cols) for i in range(rows)])


def unvec(v: Any, shape: Sequence[int]) -> sp.Matrix:
    r"""Inverse of :func:`vec`: the :math:`r \times c` matrix whose ``vec`` is ``v``."""
    rows, cols = _shape_iv(shape, "shape")
    entries = list(v)
    if len(entries) != rows * cols:
        raise InvalidParameter(
            f"Got a vector of length {len(entries)}, but shape {(rows, cols)} needs {rows * cols}."
        )
    return sp.Matrix(rows, cols, lambda i, j: entries[j * rows + i])


def kronecker(A: Any, B: Any) -> Any:
    r"""Kronecker product :math:`A \otimes B` (block :math:`(i, j)` is :math:`a_{ij}B`)."""
    if isinstance(A, DomainMatrix):
        (ra, ca), (rb, cb) = _shape(A), _shape(B)
        a, b = A.to_list(), B.to_list()
        rows = [
            [a[i][j] * b[k][q] for j in range(ca) for q in range(cb)]
            for i in range(ra)
            for k in range(rb)
        ]
        return DomainMatrix(rows, (ra * rb, ca * cb), A.domain)
    return sp.kronecker_product(sp.Matrix(A), sp.Matrix(B))


def commutation_matrix(rows: int, cols: int, *, ring: PolyRing | None = None) -> Any:
    r"""Commutation matrix :math:`K_{r,c}`: :math:`K_{r,c}\operatorname{vec}X = \operatorname{vec}X^\top`.

    Parameters
    ----------
    rows, cols : int
        The shape :math:`r \times c` of :math:`X`; :math:`K_{r,c}` is :math:`rc \times rc`.
    ring : PolyRing, optional
        Return a ``DomainMatrix`` over this ring instead of a SymPy matrix.
    """
    rows, cols = _shape_iv((rows, cols), "(rows, cols)")
    size = rows * cols
    # vec X has X[i, j] at j*rows + i; vec X^T (X^T is cols x rows) has X[i, j] at i*cols + j.
    ones = {(i * cols + j, j * rows + i) for i in range(rows) for j in range(cols)}
    if ring is None:
        return sp.Matrix(size, size, lambda p, q: 1 if (p, q) in ones else 0)
    # sparse storage: multiplying by K is then a column permutation, not a dense product
    return DomainMatrix({p: {q: ring.one} for p, q in ones}, (size, size), ring.to_domain())


def ring_matrix(M: sp.Matrix, ring: PolyRing) -> DomainMatrix:
    """A SymPy matrix of polynomials as a ``DomainMatrix`` over ``ring``."""
    M = sp.Matrix(M)
    return DomainMatrix(
        [[ring.from_expr(M[i, j]) for j in range(M.cols)] for i in range(M.rows)],
        M.shape,
        ring.to_domain(),
    )
