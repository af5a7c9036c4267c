r"""The named matrices of a matrix-level formula and their symbolic shapes (DESIGN.md §3).

A matrix formula (``dlnverify check gradient '-A_l^T Delta B_l^T'``) is written in a fixed
vocabulary, declared here once for both syntaxes and for the shape check: each name has its
SymPy-syntax spelling, its LaTeX spelling and a shape whose dimensions are the symbolic
widths :math:`m, n, h_l, h_{l-1}, h_k, h_{k-1}` (:data:`DIMENSIONS`):

* :math:`W_l` (:math:`h_l \times h_{l-1}`), :math:`A_l = W_L\cdots W_{l+1}`
  (:math:`m \times h_l`), :math:`B_l = W_{l-1}\cdots W_1` (:math:`h_{l-1}\times n`), and the
  same with the second layer index :math:`k`;
* :math:`W = W_L\cdots W_1`, the teacher :math:`W^*` and the gap :math:`\Delta = W^* - W`
  (:math:`m \times n`), the label-noise covariance :math:`\Sigma_\varepsilon`
  (:math:`m\times m`, general symmetric positive definite);
* :math:`K`, the commutation matrix of :math:`h_k \times h_{k-1}` matrices
  (:math:`K\operatorname{vec}X = \operatorname{vec}X^\top`), of size :math:`h_kh_{k-1}`;
* the teacher's singular vectors :math:`u_a, u_b` (:math:`m\times 1`) and :math:`v_a, v_b`
  (:math:`n \times 1`);
* :math:`I`, the identity, whose size comes from its context;
* the scalars :math:`\kappa` and :math:`\sigma_\varepsilon` (:math:`1\times 1`).

A *numbered* layer (:func:`numbered_layer`: ``W_1``, ``W_2``, ``W_L``, ``W_{L-1}``, and
``A_j``, ``B_j``) has the shape :func:`name_entry` gives it, in widths of its own
(:math:`h_1`, :math:`h_{L-1}`, with :math:`h_0 = n` and :math:`h_L = m`): :math:`W_1` is
:math:`h_1 \times n`, :math:`W_L` is :math:`m \times h_{L-1}`, :math:`A_L = I_m`,
:math:`B_1 = I_n`.

A dimension is a monomial in the width symbols (a Kronecker product multiplies them), so two
dimensions agree symbolically exactly when they are the same monomial: ``h_l`` and ``m``
never agree, even at a network where the widths happen to be equal.
"""

from __future__ import annotations

import enum
import re
import types
from collections.abc import Mapping
from dataclasses import dataclass

import sympy as sp

from dlnverify.errors import FormulaError

__all__ = [
    "DIMENSIONS",
    "Index",
    "LATEX_NAMES",
    "MATRIX_NAMES",
    "MatrixName",
    "NumberedLayer",
    "dimension_text",
    "name_entry",
    "numbered_layer",
    "numbered_name",
    "numbered_widths",
]

#: The symbolic widths a shape is made of, by name.
DIMENSIONS: Mapping[str, sp.Symbol] = types.MappingProxyType(
    {
        name: sp.Symbol(name, integer=True, positive=True)
        for name in ("m", "n", "h_l", "h_{l-1}", "h_k", "h_{k-1}")
    }
)

_m, _n = DIMENSIONS["m"], DIMENSIONS["n"]
_h_l, _h_lm1 = DIMENSIONS["h_l"], DIMENSIONS["h_{l-1}"]
_h_k, _h_km1 = DIMENSIONS["h_k"], DIMENSIONS["h_{k-1}"]
_ONE = sp.Integer(1)


class Index(enum.StrEnum):
    """The layer index a name depends on: none, the first layer ``l`` or the second ``k``."""

    NONE = ""
    L = "l"
    K = "k"


@dataclass(frozen=True)
class MatrixName:
    r"""One name of the vocabulary.

    Attributes
    ----------
    name : str
        The SymPy-syntax spelling and the key everywhere else (``"Sigma_eps"``).
    latex : str
        The canonical LaTeX spelling, for messages and ``check --list``.
    rows, cols : sympy.Expr or None
        The symbolic shape; ``None`` for the identity, whose size comes from its context.
    index : Index
        The layer index the name depends on.
    description : str
        What it is, in a few words.
    """

    name: str
    latex: str
    rows: sp.Expr | None
    cols: sp.Expr | None
    index: Index
    description: str

    @property
    def is_scalar(self) -> bool:
        """Whether the name is a scalar (a :math:`1\\times 1` matrix)."""
        return self.rows == _ONE and self.cols == _ONE


def _names(*names: MatrixName) -> Mapping[str, MatrixName]:
    return types.MappingProxyType({entry.name: entry for entry in names})


#: The vocabulary, by SymPy-syntax name.
MATRIX_NAMES: Mapping[str, MatrixName] = _names(
    MatrixName("W_l", "W_l", _h_l, _h_lm1, Index.L, "layer l"),
    MatrixName("A_l", "A_l", _m, _h_l, Index.L, "W_L ... W_{l+1}"),
    MatrixName("B_l", "B_l", _h_lm1, _n, Index.L, "W_{l-1} ... W_1"),
    MatrixName("W_k", "W_k", _h_k, _h_km1, Index.K, "layer k"),
    MatrixName("A_k", "A_k", _m, _h_k, Index.K, "W_L ... W_{k+1}"),
    MatrixName("B_k", "B_k", _h_km1, _n, Index.K, "W_{k-1} ... W_1"),
    MatrixName("W", "W", _m, _n, Index.NONE, "end-to-end map W_L ... W_1"),
    MatrixName("Wstar", "W^*", _m, _n, Index.NONE, "teacher"),
    MatrixName("Delta", r"\Delta", _m, _n, Index.NONE, "gap Wstar - W"),
    MatrixName("Sigma_eps", r"\Sigma_\varepsilon", _m, _m, Index.NONE, "label-noise covariance"),
    MatrixName(
        "K", "K", _h_k * _h_km1, _h_k * _h_km1, Index.K, "commutation matrix of h_k x h_{k-1}"
    ),
    MatrixName("u_a", "u_a", _m, _ONE, Index.NONE, "left singular vector a of Wstar"),
    MatrixName("v_a", "v_a", _n, _ONE, Index.NONE, "right singular vector a of Wstar"),
    MatrixName("u_b", "u_b", _m, _ONE, Index.NONE, "left singular vector b of Wstar"),
    MatrixName("v_b", "v_b", _n, _ONE, Index.NONE, "right singular vector b of Wstar"),
    MatrixName("I", "I", None, None, Index.NONE, "identity (size from its context)"),
    MatrixName("kappa", r"\kappa", _ONE, _ONE, Index.NONE, "eta / B"),
    MatrixName("sigma_eps", r"\sigma_\varepsilon", _ONE, _ONE, Index.NONE, "label-noise scale"),
)

#: LaTeX spellings: ``(letter or Greek letter, subscript)`` -> name, the subscript ``None``
#: when there is none and ``"epsilon"`` for ``\varepsilon``, ``\epsilon`` and ``eps``;
#: ``W^*`` and ``W^\star`` are read by the LaTeX parser as ``W`` with a star.
LATEX_NAMES: Mapping[tuple[str, str | None], str] = types.MappingProxyType(
    {
        ("W", "l"): "W_l",
        ("A", "l"): "A_l",
        ("B", "l"): "B_l",
        ("W", "k"): "W_k",
        ("A", "k"): "A_k",
        ("B", "k"): "B_k",
        ("W", None): "W",
        ("Delta", None): "Delta",
        ("Sigma", "epsilon"): "Sigma_eps",
        ("K", None): "K",
        ("u", "a"): "u_a",
        ("v", "a"): "v_a",
        ("u", "b"): "u_b",
        ("v", "b"): "v_b",
        ("I", None): "I",
        ("kappa", None): "kappa",
        ("sigma", "epsilon"): "sigma_eps",
    }
)


def dimension_text(dimension: sp.Expr) -> str:
    """A dimension as a message writes it: ``h_l h_{l-1}``, ``m``, ``1``."""
    factors = sp.Mul.make_args(dimension)
    return " ".join(sorted(str(factor) for factor in factors))


# --------------------------------------------------------------------------- numbered layers


@dataclass(frozen=True)
class NumberedLayer:
    r"""A layer named by its number, :math:`j` = ``offset`` (``W_1``, ``W_2``) or
    :math:`j = L -` ``offset`` (``W_L``, ``W_{L-1}``), in a network of depth :math:`L`."""

    from_end: bool
    offset: int

    def at(self, depth: int) -> int:
        """The layer's number in a network of depth ``depth``."""
        return depth - self.offset if self.from_end else self.offset

    @property
    def min_depth(self) -> int:
        """The smallest depth at which the layer exists (``W_{L-1}``, ``W_2``: 2)."""
        return self.offset + 1 if self.from_end else self.offset

    def text(self) -> str:
        """``1``, ``L``, ``{L-1}``: the subscript as a name writes it."""
        if not self.from_end:
            return str(self.offset)
        return "L" if self.offset == 0 else f"{{L-{self.offset}}}"

    def width(self, back: int = 0) -> sp.Expr:
        r"""The width :math:`h_{j - back}`: ``n`` for :math:`h_0`, ``m`` for :math:`h_L`,
        else the symbol ``h_1``, ``h_{L-1}``."""
        if self.from_end:
            offset = self.offset + back
            return _m if offset == 0 else _width_symbol(f"h_{{L-{offset}}}")
        number = self.offset - back
        return _n if number == 0 else _width_symbol(f"h_{number}")


def _width_symbol(name: str) -> sp.Symbol:
    return sp.Symbol(name, integer=True, positive=True)


_NUMBERED_NAME = re.compile(r"([WAB])_(?:(\d{1,3})|L|\{L([+-])(\d{1,3})\}|\{(\d{1,3})\})")


def numbered_layer(name: str) -> tuple[str, NumberedLayer] | None:
    """``("W", layer)`` for a numbered layer's name (``W_1``, ``A_L``, ``B_{L-1}``), ``None``
    for any other name.

    Raises
    ------
    FormulaError
        A number that names no layer: ``W_0``, ``W_{L+1}`` (layers are ``1`` to ``L``).
    """
    match = _NUMBERED_NAME.fullmatch(name)
    if match is None:
        return None
    letter, number, sign, offset, braced = match.groups()
    if number is not None or braced is not None:
        value = int(number if number is not None else braced)
        if value == 0:
            raise FormulaError(f"{name} names no layer: the layers are W_1 to W_L")
        return letter, NumberedLayer(False, value)
    if sign == "+":
        raise FormulaError(f"{name} names no layer: the layers are W_1 to W_L")
    value = 0 if offset is None else int(offset)
    return letter, NumberedLayer(True, value)


def numbered_name(letter: str, layer: NumberedLayer) -> str:
    """The canonical name of ``letter`` at ``layer``: ``W_1``, ``A_L``, ``B_{L-1}``."""
    return f"{letter}_{layer.text()}"


def name_entry(name: str) -> MatrixName:
    r"""The vocabulary's entry for ``name``, a numbered layer's included: ``W_1`` is
    :math:`h_1 \times n`, ``W_L`` :math:`m \times h_{L-1}`, ``A_j`` :math:`m \times h_j`,
    ``B_j`` :math:`h_{j-1} \times n` (DESIGN.md §3; ``A_L`` and ``B_1`` are identities of
    sizes :math:`m` and :math:`n`)."""
    entry = MATRIX_NAMES.get(name)
    if entry is not None:
        return entry
    numbered = numbered_layer(name)
    if numbered is None:
        raise FormulaError(f"{name} is not a name of a matrix formula")
    letter, layer = numbered
    rows, cols = {
        "W": (layer.width(), layer.width(1)),
        "A": (_m, layer.width()),
        "B": (layer.width(1), _n),
    }[letter]
    return MatrixName(name, name, rows, cols, Index.NONE, f"{letter}_l at layer {layer.text()}")


def numbered_widths(widths: tuple[int, ...]) -> dict[sp.Expr, int]:
    r"""The numbered widths (``h_1``, ``h_{L-1}``, ...) of the network :math:`(h_0, \dots,
    h_L)`, by symbol."""
    depth = len(widths) - 1
    sizes: dict[sp.Expr, int] = {}
    for j in range(1, depth + 1):  # h_1 = m at depth 1, h_{L-1} = n
        sizes[_width_symbol(f"h_{j}")] = widths[j]
        sizes[_width_symbol(f"h_{{L-{j}}}")] = widths[depth - j]
    return sizes
