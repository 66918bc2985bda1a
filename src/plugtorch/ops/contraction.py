"""``einsum``: Einstein summation over any number of operands, in the core's own ops.

The equation is parsed and checked here (subscripts in ``[a-zA-Z]``, one ``...`` per operand,
subscript counts against dimensions, sizes that agree or broadcast). Then each operand's
repeated subscripts become a ``diagonal``, subscripts used nowhere else are summed at once, and
operands are contracted left to right, each pair as one batched ``matmul`` after ``permute``
and ``reshape``. Every step is a differentiable op that every backend has, so ``einsum`` runs
and differentiates (to any order) everywhere, with no rule of its own.
"""

from __future__ import annotations

from typing import Any, Sequence

from plugtorch.ops.linalg import matmul
from plugtorch.ops.reduction import sum as sum_
from plugtorch.ops.shape import expand, permute, reshape
from plugtorch.ops.views import diagonal
from plugtorch.tensor import Tensor

__all__ = ["einsum"]

# A subscript is a letter's code point; the dimensions an ellipsis stands for are -1, -2, ...
# (right-aligned, so operands with fewer of them broadcast as in PyTorch).
Label = int


def _sublist_letter(item: Any) -> str:
    if item is Ellipsis:
        return "..."
    if not isinstance(item, int) or isinstance(item, bool) or not 0 <= item < 52:
        raise ValueError(
            f"einsum(): subscript in subscript list is not within the valid range [0, 52), "
            f"got {item!r}"
        )
    return chr(ord("A") + item) if item < 26 else chr(ord("a") + item - 26)


def _equation_and_operands(args: tuple[Any, ...]) -> tuple[str, list[Tensor]]:
    """``(equation, operands)`` from ``einsum(eq, *ops)``, ``einsum(eq, [ops])`` or the
    sublist form ``einsum(op0, sub0, op1, sub1, ..., [sub_out])``."""
    if not args:
        raise TypeError(
            "einsum(): must specify the equation string and at least one operand, or at "
            "least one operand and its subscripts list"
        )
    if isinstance(args[0], str):
        given = list(args[1:])
        if len(given) == 1 and isinstance(given[0], (list, tuple)):
            given = list(given[0])
        return args[0], given
    pairs = list(args)
    output = pairs.pop() if len(pairs) % 2 else None
    operands: list[Tensor] = pairs[0::2]
    terms = ["".join(_sublist_letter(i) for i in sub) for sub in pairs[1::2]]
    equation = ",".join(terms)
    if output is not None:
        equation += "->" + "".join(_sublist_letter(i) for i in output)
    return equation, operands


def _labels(term: str, where: str) -> list[str | None]:
    """Subscripts of one term, ``None`` marking the ellipsis; checks the characters."""
    labels: list[str | None] = []
    position = 0
    while position < len(term):
        char = term[position]
        if term.startswith("...", position):
            if None in labels:
                raise ValueError(f"einsum(): found '.' for {where} but an ellipsis (...) was "
                                 "already found")  # fmt: skip
            labels.append(None)
            position += 3
            continue
        if char == ".":
            raise ValueError(f"einsum(): found '.' for {where} that is not part of any ellipsis")
        if not ("a" <= char <= "z" or "A" <= char <= "Z"):
            raise ValueError(
                f"einsum(): invalid subscript {char!r} given in the equation string for {where}, "
                "subscripts must be in [a-zA-Z]"
            )
        labels.append(char)
        position += 1
    return labels


def _operand_labels(labels: list[str | None], operand: Tensor, number: int) -> list[Label]:
    """One label per dimension of ``operand``: letters, and -k for its ellipsis dimensions."""
    letters = [label for label in labels if label is not None]
    if None not in labels:
        if len(letters) != operand.ndim:
            raise ValueError(
                f"einsum(): the number of subscripts in the equation ({len(letters)}) does not "
                f"match the number of dimensions ({operand.ndim}) for operand {number} and no "
                "ellipsis was given"
            )
        return [ord(c) for c in letters]
    covered = operand.ndim - len(letters)
    if covered < 0:
        raise ValueError(
            f"einsum(): the number of subscripts in the equation ({len(letters)}) is more than "
            f"the number of dimensions ({operand.ndim}) for operand {number}"
        )
    result: list[Label] = []
    for label in labels:
        if label is None:
            result += list(range(-covered, 0))
        else:
            result.append(ord(label))
    return result


def einsum(*args: Any) -> Tensor:
    """Einstein summation: ``einsum("ij,jk->ik", a, b)`` is ``a @ b``; subscripts repeated
    across operands are multiplied, those missing from the output summed. ``...`` stands for
    the dimensions not named (they broadcast); without ``->`` the output is ``...`` then the
    subscripts used once, in alphabetical order. Also ``einsum(eq, [a, b])`` and the sublist
    form ``einsum(a, [0, 1], b, [1, 2], [0, 2])``. Differentiable (built from ``diagonal``,
    ``sum``, ``permute``, ``reshape`` and ``matmul``).

    >>> import plugtorch as pt
    >>> a, b = pt.arange(6.).reshape(2, 3), pt.arange(3.)
    >>> pt.einsum("ij,j->i", a, b)
    tensor([ 5., 14.])
    >>> pt.einsum("ii", pt.eye(3))
    tensor(3.)
    >>> pt.einsum("...ij->...ji", pt.ones(4, 2, 3)).shape
    (4, 3, 2)
    """
    equation, operands = _equation_and_operands(args)
    for number, operand in enumerate(operands):
        if not isinstance(operand, Tensor):
            raise TypeError(
                f"einsum(): operand {number} must be a Tensor, got {type(operand).__name__}"
            )
    equation = equation.replace(" ", "")
    inputs, arrow, output_term = equation.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(operands):
        fewer = "fewer" if len(operands) < len(terms) else "more"
        raise ValueError(
            f"einsum(): {fewer} operands were provided than specified in the equation "
            f"({len(terms)} terms, {len(operands)} operands)"
        )
    parsed = [_labels(term, f"operand {n}") for n, term in enumerate(terms)]
    ellipsis_dims = 0
    for labels, operand in zip(parsed, operands):
        if None in labels:
            ellipsis_dims = max(ellipsis_dims, operand.ndim - (len(labels) - 1))
    per_operand = [
        _operand_labels(labels, operand, n)
        for n, (labels, operand) in enumerate(zip(parsed, operands))
    ]
    output = _output_labels(arrow, output_term, parsed, ellipsis_dims)
    sizes = _sizes(per_operand, operands)
    return _contract(list(operands), per_operand, output, sizes)


def _output_labels(
    arrow: str, term: str, parsed: list[list[str | None]], ellipsis_dims: int
) -> list[Label]:
    """The output's labels: as written after ``->``, else ``...`` then the letters used once."""
    ellipsis = list(range(-ellipsis_dims, 0))
    counts: dict[str, int] = {}
    for labels in parsed:
        for label in labels:
            if label is not None:
                counts[label] = counts.get(label, 0) + 1
    if not arrow:
        return ellipsis + [ord(c) for c in sorted(c for c, n in counts.items() if n == 1)]
    written = _labels(term, "output")
    result: list[Label] = []
    for label in written:
        if label is None:
            result += ellipsis
            continue
        if label not in counts:
            raise ValueError(
                f"einsum(): output subscript {label} does not appear in the equation for any "
                "input operand"
            )
        if ord(label) in result:
            raise ValueError(f"einsum(): output subscript {label} appears more than once in the "
                             "output")  # fmt: skip
        result.append(ord(label))
    return result


def _describe(label: Label) -> str:
    return chr(label) if label >= 0 else f"... (dimension {label})"


def _sizes(per_operand: list[list[Label]], operands: Sequence[Tensor]) -> dict[Label, int]:
    """The size of each label; sizes 1 broadcast, other disagreements raise (a repeated
    subscript within one operand must match exactly: it takes a diagonal)."""
    sizes: dict[Label, int] = {}
    for number, (labels, operand) in enumerate(zip(per_operand, operands)):
        own: dict[Label, int] = {}
        for label, size in zip(labels, operand.shape):
            if label in own and own[label] != size:
                raise ValueError(
                    f"einsum(): subscript {_describe(label)} is repeated for operand {number} "
                    f"but the sizes don't match, {own[label]} != {size}"
                )
            own[label] = size
        for label, size in own.items():
            seen = sizes.get(label, 1)
            if size != seen and 1 not in (size, seen):
                raise ValueError(
                    f"einsum(): operands do not broadcast: subscript {_describe(label)} has size "
                    f"{size} for operand {number} but size {seen} elsewhere"
                )
            sizes[label] = max(seen, size) if 0 not in (seen, size) else 0
    return sizes


def _take_diagonals(operand: Tensor, labels: list[Label]) -> tuple[Tensor, list[Label]]:
    """Repeated labels of one operand become one dimension: its diagonal."""
    labels = list(labels)
    while len(set(labels)) != len(labels):
        first = next(i for i, label in enumerate(labels) if labels.count(label) > 1)
        second = labels.index(labels[first], first + 1)
        operand = diagonal(operand, 0, first, second)
        label = labels[first]
        labels = [x for i, x in enumerate(labels) if i not in (first, second)] + [label]
    return operand, labels


def _sum_out(operand: Tensor, labels: list[Label], keep: set[Label]) -> tuple[Tensor, list[Label]]:
    """Sum the dimensions whose labels are not in ``keep``."""
    dims = [i for i, label in enumerate(labels) if label not in keep]
    if not dims:
        return operand, labels
    return sum_(operand, dim=tuple(dims)), [x for x in labels if x in keep]


def _arrange(
    operand: Tensor, labels: list[Label], order: list[Label], sizes: dict[Label, int]
) -> Tensor:
    """``operand`` permuted to ``order`` with each dimension at its full (broadcast) size."""
    moved = operand if order == labels else permute(operand, tuple(map(labels.index, order)))
    full = tuple(sizes[label] for label in order)
    return moved if tuple(moved.shape) == full else expand(moved, full)


def _as_matrices(
    operand: Tensor,
    labels: list[Label],
    batch: list[Label],
    kept: list[Label],
    summed: list[Label],
    sizes: dict[Label, int],
) -> Tensor:
    """``operand`` as a stack of (kept, summed) matrices: ``(batch, kept, summed)`` merged into
    three dimensions. When its dimensions already come as ``(batch, summed, kept)`` it is the
    transpose of that layout instead, so nothing is copied (``matmul`` takes the view)."""
    nb, nk, ns = (_product(sizes, part) for part in (batch, kept, summed))
    if labels == batch + summed + kept and labels != batch + kept + summed:
        return reshape(_arrange(operand, labels, labels, sizes), (nb, ns, nk)).mT
    return reshape(_arrange(operand, labels, batch + kept + summed, sizes), (nb, nk, ns))


def _product(sizes: dict[Label, int], labels: list[Label]) -> int:
    total = 1
    for label in labels:
        total *= sizes[label]
    return total


def _contract(
    operands: list[Tensor],
    per_operand: list[list[Label]],
    output: list[Label],
    sizes: dict[Label, int],
) -> Tensor:
    """Diagonals, early sums, then left-to-right pairwise contraction by batched matmul."""
    prepared = []
    for number, (operand, labels) in enumerate(zip(operands, per_operand)):
        operand, labels = _take_diagonals(operand, labels)
        elsewhere = set(output).union(*(per_operand[:number] + per_operand[number + 1 :]))
        prepared.append(_sum_out(operand, labels, elsewhere))
    result, labels = prepared[0]
    for position in range(1, len(prepared)):
        other, other_labels = prepared[position]
        later = set(output).union(*(lbl for _, lbl in prepared[position + 1 :]))
        result, labels = _sum_out(result, labels, later | set(other_labels))
        other, other_labels = _sum_out(other, other_labels, later | set(labels))
        shared = [label for label in labels if label in other_labels]
        batch = [label for label in shared if label in later]
        summed = [label for label in shared if label not in later]
        left = [label for label in labels if label not in shared]
        right = [label for label in other_labels if label not in shared]
        a = _as_matrices(result, labels, batch, left, summed, sizes)
        b = _as_matrices(other, other_labels, batch, right, summed, sizes).mT
        product = matmul(a, b)
        labels = batch + left + right
        result = reshape(product, tuple(sizes[label] for label in labels))
    result, labels = _sum_out(result, labels, set(output))
    return _arrange(result, labels, output, sizes)
