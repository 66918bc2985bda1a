"""Sampling and ordering on tensors: ``sort argsort msort topk kthvalue searchsorted cumsum
cumprod bincount histc unique unique_consecutive multinomial``, as functions and methods.

Expectations are PyTorch's documented values and semantics written out (the examples of
PyTorch's documentation where it has them); every backend; gradients by central differences.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import plugtorch as pt
from plugtorch.autograd import gradcheck, gradgradcheck

NAN = float("nan")


def t(values, backend, dtype=None):
    return pt.tensor(values, dtype=dtype, backend=backend)


def listed(tensor):
    return tensor.tolist()


# --- sort, argsort, msort ---------------------------------------------------------------------


def test_argsort_matches_pytorchs_documented_example(backend_name):
    a = t(
        [[0.0785, 1.5267, -0.8521, 0.4065], [0.1598, 0.0788, -0.0745, -1.2700],
         [1.2208, 1.0722, -0.7064, 1.2564], [0.0669, -0.2318, -0.8229, -0.9280]],
        backend_name,
    )  # fmt: skip
    expected = [[2, 0, 3, 1], [3, 2, 1, 0], [2, 1, 0, 3], [3, 2, 1, 0]]
    assert listed(pt.argsort(a, dim=1)) == expected
    assert listed(a.argsort(1)) == expected


def test_stable_sort_keeps_ties_in_input_order(backend_name):
    x = t([0, 1] * 9, backend_name)
    values, indices = x.sort(stable=True)
    assert listed(values) == [0] * 9 + [1] * 9
    assert listed(indices) == list(range(0, 18, 2)) + list(range(1, 18, 2))
    values, indices = pt.sort(x, descending=True, stable=True)
    assert listed(values) == [1] * 9 + [0] * 9
    assert listed(indices) == list(range(1, 18, 2)) + list(range(0, 18, 2))


def test_nan_sorts_as_the_largest_value(backend_name):
    x = t([2.0, NAN, -math.inf, 1.0, NAN, math.inf], backend_name)
    ascending = pt.sort(x)
    assert listed(ascending.indices) == [2, 3, 0, 5, 1, 4]
    assert np.array_equal(
        ascending.values.numpy(), [-math.inf, 1.0, 2.0, math.inf, NAN, NAN], equal_nan=True
    )
    descending = pt.sort(x, descending=True)
    assert listed(descending.indices) == [1, 4, 5, 0, 3, 2]
    assert listed(pt.topk(x, 2).indices) == [1, 4]
    assert listed(pt.topk(x, 2, largest=False).indices) == [2, 3]


def test_negative_zero_equals_zero_in_sorting(backend_name):
    x = t([0.0, -0.0, -1.0, 0.0, -0.0], backend_name)
    assert listed(pt.argsort(x)) == [2, 0, 1, 3, 4]
    assert listed(pt.argsort(x, descending=True)) == [0, 1, 3, 4, 2]


def test_sort_along_each_dim_and_of_every_dtype(backend_name):
    rng = np.random.default_rng(0)
    host = rng.integers(-5, 5, size=(3, 4, 5))
    for dtype in (pt.int32, pt.int64, pt.float32, pt.float64):
        x = t(host, backend_name, dtype)
        for dim in (0, 1, -1):
            values, indices = pt.sort(x, dim)
            assert np.array_equal(values.numpy(), np.sort(host, axis=dim, kind="stable"))
            assert np.array_equal(indices.numpy(), np.argsort(host, axis=dim, kind="stable"))
            assert values.dtype is dtype and indices.dtype is pt.int64
    flags = t([True, False, True], backend_name)
    assert listed(pt.sort(flags).values) == [False, True, True]


def test_sorts_of_zero_dim_and_empty_tensors(backend_name):
    scalar = t(3.5, backend_name)
    values, indices = pt.sort(scalar, dim=-1)
    assert values.shape == () and values.item() == 3.5 and indices.item() == 0
    assert pt.argsort(scalar).shape == () and pt.argsort(scalar, 0).item() == 0
    assert pt.topk(scalar, 1).values.item() == 3.5
    assert pt.kthvalue(scalar, 1).indices.item() == 0
    empty = pt.zeros(2, 0, backend=backend_name)
    assert pt.sort(empty, dim=1).values.shape == (2, 0)
    assert pt.argsort(empty, dim=0).shape == (2, 0)
    assert pt.topk(empty, 0).values.shape == (2, 0)


def test_msort_sorts_the_first_dimension(backend_name):
    x = t([[3, 0], [1, 2], [2, 1]], backend_name)
    assert listed(pt.msort(x)) == [[1, 0], [2, 1], [3, 2]]
    assert listed(x.msort()) == [[1, 0], [2, 1], [3, 2]]


# --- topk, kthvalue ---------------------------------------------------------------------------


def test_topk_matches_pytorchs_documented_examples(backend_name):
    result = pt.topk(pt.arange(1.0, 6.0, backend=backend_name), 3)
    assert isinstance(result, pt.return_types.topk) and isinstance(result, tuple)
    assert listed(result.values) == [5.0, 4.0, 3.0] and listed(result.indices) == [4, 3, 2]
    x = pt.arange(12, backend=backend_name).reshape(2, 6)
    values, indices = x.topk(3)
    assert listed(values) == [[5, 4, 3], [11, 10, 9]]
    assert listed(indices) == [[5, 4, 3], [5, 4, 3]]


def test_topk_smallest_along_a_dim_and_ties(backend_name):
    x = t([[4.0, 1.0, 1.0], [0.0, 7.0, 0.0]], backend_name)
    values, indices = pt.topk(x, 2, dim=0, largest=False)
    assert listed(values) == [[0.0, 1.0, 0.0], [4.0, 7.0, 1.0]]
    assert listed(indices) == [[1, 0, 1], [0, 1, 0]]
    assert listed(x.topk(2, largest=False, sorted=False).indices) == [[1, 2], [0, 2]]
    assert listed(pt.topk(x, 0).values) == [[], []]


def test_kthvalue_matches_pytorchs_documented_examples(backend_name):
    result = pt.kthvalue(pt.arange(1.0, 6.0, backend=backend_name), 4)
    assert isinstance(result, pt.return_types.kthvalue)
    assert result.values.shape == () and result.values.item() == 4.0
    assert result.indices.item() == 3
    x = pt.arange(1.0, 7.0, backend=backend_name).reshape(2, 3)
    values, indices = pt.kthvalue(x, 2, 0, True)
    assert listed(values) == [[4.0, 5.0, 6.0]] and listed(indices) == [[1, 1, 1]]
    assert x.kthvalue(1, dim=1).values.shape == (2,)


def test_kthvalue_counts_nan_as_largest(backend_name):
    x = t([NAN, 3.0, 1.0, 2.0], backend_name)
    assert pt.kthvalue(x, 3).values.item() == 3.0
    assert math.isnan(pt.kthvalue(x, 4).values.item())


def test_return_types_unpack_and_print_as_pytorchs(backend_name):
    values, indices = pt.sort(t([2.0, 1.0], backend_name))
    assert listed(values) == [1.0, 2.0] and listed(indices) == [1, 0]
    text = repr(pt.kthvalue(t([2.0, 1.0], backend_name), 1))
    head, values, indices = text.split("\n")
    assert head == "plugtorch.return_types.kthvalue("
    assert values.startswith("values=tensor(1.") and indices.startswith("indices=tensor(1")


def test_max_and_min_with_dim_return_pytorchs_named_types(backend_name):
    # torch.max(x, dim) is a torch.return_types.max (values, indices); Tensor.min likewise
    x = t([[1.0, 5.0], [3.0, 2.0]], backend_name)
    result = pt.max(x, dim=1)
    assert isinstance(result, pt.return_types.max) and isinstance(result, tuple)
    assert listed(result.values) == [5.0, 3.0] and listed(result.indices) == [1, 0]
    low = x.min(0, keepdim=True)
    assert isinstance(low, pt.return_types.min) and low.values.shape == (1, 2)
    assert listed(low.indices) == [[0, 1]]
    assert repr(result).split("\n")[0] == "plugtorch.return_types.max("


# --- gradients of the values: scattered back to the indices -----------------------------------


def _distinct(shape, backend, seed=0):
    rng = np.random.default_rng(seed)
    values = rng.permutation(int(np.prod(shape))).reshape(shape) * 0.1 + 0.01
    return pt.tensor(values, dtype=pt.float64, backend=backend, requires_grad=True)


def test_sort_topk_kthvalue_gradients(backend_name):
    x = _distinct((3, 5), backend_name)
    assert gradcheck(lambda a: pt.sort(a, dim=1, descending=True).values, (x,))
    assert gradcheck(lambda a: pt.sort(a, dim=0).values, (x,))
    assert gradcheck(lambda a: pt.topk(a, 2, dim=1).values, (x,))
    assert gradcheck(lambda a: pt.topk(a, 2, dim=0, largest=False).values, (x,))
    assert gradcheck(lambda a: pt.kthvalue(a, 3, dim=1).values, (x,))
    assert gradcheck(lambda a: pt.msort(a), (x,))


def test_sort_gradient_lands_where_each_value_came_from(backend_name):
    x = pt.tensor([3.0, 1.0, 2.0], backend=backend_name, requires_grad=True)
    values = pt.sort(x).values  # [1, 2, 3] from positions [1, 2, 0]
    (values * t([10.0, 20.0, 30.0], backend_name)).sum().backward()
    assert listed(x.grad) == [30.0, 10.0, 20.0]
    y = pt.tensor([5.0, 9.0, 7.0], backend=backend_name, requires_grad=True)
    pt.topk(y, 1).values.sum().backward()
    assert listed(y.grad) == [0.0, 1.0, 0.0]
    assert not pt.sort(x).indices.requires_grad


# --- cumsum, cumprod --------------------------------------------------------------------------


def test_cumsum_matches_pytorchs_documented_example(backend_name):
    a = t([13, 7, 3, 10, 13, 3, 15, 10, 9, 10], backend_name)
    expected = [13, 20, 23, 33, 46, 49, 64, 74, 83, 93]
    assert listed(pt.cumsum(a, dim=0)) == expected
    assert listed(a.cumsum(0)) == expected


def test_cumprod_matches_pytorchs_documented_example(backend_name):
    a = t([0.6001, 0.2069, -0.1919, 0.9792, 0.6727, 1.0062, 0.4126, -0.2129, -0.4206, 0.1968],
          backend_name)  # fmt: skip
    expected = [0.6001, 0.1241, -0.0238, -0.0233, -0.0157, -0.0158, -0.0065, 0.0014, -0.0006,
                -0.0001]  # fmt: skip
    np.testing.assert_allclose(pt.cumprod(a, dim=0).numpy(), expected, atol=1e-4)
    a[5] = 0.0
    got = pt.cumprod(a, dim=0).numpy()
    np.testing.assert_allclose(got[:5], expected[:5], atol=1e-4)
    assert np.all(got[5:] == 0.0)


def test_cumulative_dtypes_follow_pytorch(backend_name):
    small = t([1, 2, 3], backend_name, pt.int32)
    assert pt.cumsum(small, 0).dtype is pt.int64
    assert pt.cumprod(t([True, True, False], backend_name), 0).dtype is pt.int64
    assert listed(pt.cumsum(t([True, True, False], backend_name), 0)) == [1, 2, 2]
    assert pt.cumsum(small, 0, dtype=pt.float64).dtype is pt.float64
    assert pt.cumsum(t([1.0, 2.0], backend_name, pt.float32), 0).dtype is pt.float32
    scalar = t(4.0, backend_name)
    assert pt.cumsum(scalar, 0).item() == 4.0 and pt.cumprod(scalar, -1).shape == ()
    assert pt.cumsum(pt.zeros(2, 0, backend=backend_name), 1).shape == (2, 0)


def test_cumsum_along_each_dim(backend_name):
    host = np.arange(24.0).reshape(2, 3, 4) - 7
    x = t(host, backend_name, pt.float64)
    for dim in range(-3, 3):
        np.testing.assert_allclose(pt.cumsum(x, dim).numpy(), np.cumsum(host, axis=dim))
        np.testing.assert_allclose(pt.cumprod(x, dim).numpy(), np.cumprod(host, axis=dim))


def test_inplace_cumsum_and_cumprod(backend_name):
    x = t([1.0, 2.0, 3.0], backend_name)
    same = x.cumsum_(0)
    assert same is x and listed(x) == [1.0, 3.0, 6.0]
    assert listed(x.cumprod_(0)) == [1.0, 3.0, 18.0]
    counts = t([1, 2, 3], backend_name, pt.int32)
    counts.cumsum_(0)
    assert counts.dtype is pt.int32 and listed(counts) == [1, 3, 6]


def test_cumsum_gradient_is_the_reversed_running_sum(backend_name):
    x = pt.tensor([1.0, 2.0, 3.0, 4.0], backend=backend_name, requires_grad=True)
    pt.cumsum(x, 0).backward(t([1.0, 10.0, 100.0, 1000.0], backend_name))
    assert listed(x.grad) == [1111.0, 1110.0, 1100.0, 1000.0]
    y = _distinct((2, 3, 4), backend_name)
    assert gradcheck(lambda a: pt.cumsum(a, 1), (y,))
    assert gradgradcheck(lambda a: pt.cumsum(a, -1) ** 2, (y,))


@pytest.mark.parametrize(
    "values",
    [
        [0.5, -1.5, 2.0, 0.7],  # no zero
        [2.0, 0.0, 3.0, 0.5],  # one zero
        [0.0, 2.0, 0.0, 4.0, 1.5],  # two zeros, one first
        [1.5, 2.0, 3.0, 0.0],  # zero last
        [0.0, 0.0, 0.0],
    ],
)
def test_cumprod_gradient_is_exact_with_zeros(backend_name, values):
    x = pt.tensor(values, dtype=pt.float64, backend=backend_name, requires_grad=True)
    assert gradcheck(lambda a: pt.cumprod(a, 0), (x,))
    assert gradgradcheck(lambda a: pt.cumprod(a, 0), (x,))


def test_cumprod_gradient_with_zeros_in_several_rows(backend_name):
    host = np.array([[2.0, 0.0, 3.0], [0.5, 1.5, 2.5], [0.0, 4.0, 0.0], [1.0, 2.0, 0.0]])
    x = pt.tensor(host, dtype=pt.float64, backend=backend_name, requires_grad=True)
    assert gradcheck(lambda a: pt.cumprod(a, 1), (x,))
    assert gradcheck(lambda a: pt.cumprod(a, 0), (x,))
    assert gradgradcheck(lambda a: pt.cumprod(a, 1), (x,))
    # PyTorch's documented values: d/dx of sum(cumprod([2, 0, 3])) = [1, 2 + 6, 0]
    row = pt.tensor([2.0, 0.0, 3.0], backend=backend_name, requires_grad=True)
    pt.cumprod(row, 0).sum().backward()
    assert listed(row.grad) == [1.0, 8.0, 0.0]


# --- searchsorted -----------------------------------------------------------------------------


def test_searchsorted_matches_pytorchs_documented_examples(backend_name):
    boundaries = t([[1, 3, 5, 7, 9], [2, 4, 6, 8, 10]], backend_name)
    values = t([[3, 6, 9], [3, 6, 9]], backend_name)
    assert listed(pt.searchsorted(boundaries, values)) == [[1, 3, 4], [1, 2, 4]]
    assert listed(pt.searchsorted(boundaries, values, side="right")) == [[2, 3, 5], [1, 3, 4]]
    assert listed(pt.searchsorted(boundaries, values, right=True)) == [[2, 3, 5], [1, 3, 4]]
    one_row = t([1, 3, 5, 7, 9], backend_name)
    assert listed(pt.searchsorted(one_row, values)) == [[1, 3, 4], [1, 3, 4]]


def test_searchsorted_with_a_sorter_scalars_and_int32(backend_name):
    unsorted = t([9.0, 1.0, 5.0, 3.0, 7.0], backend_name)
    order = pt.argsort(unsorted)
    found = pt.searchsorted(unsorted, t([3.0, 6.0, 9.0, 10.0], backend_name), sorter=order)
    assert listed(found) == [1, 3, 4, 5]
    assert pt.searchsorted(t([1.0, 2.0, 3.0], backend_name), 2.5).item() == 2
    assert pt.searchsorted(t([1.0, 2.0, 3.0], backend_name), 2, right=True).item() == 2
    small = pt.searchsorted(t([1, 2], backend_name), t([0, 5], backend_name), out_int32=True)
    assert small.dtype is pt.int32 and listed(small) == [0, 2]
    mixed = pt.searchsorted(t([1, 2, 3], backend_name), t([1.5, 2.5], backend_name))
    assert listed(mixed) == [1, 2]


def test_searchsorted_puts_nan_at_the_end_and_handles_empty(backend_name):
    boundaries = t([1.0, 2.0, 3.0], backend_name)
    assert listed(pt.searchsorted(boundaries, t([NAN, -math.inf, math.inf], backend_name))) == [
        3, 0, 3,
    ]  # fmt: skip
    assert listed(pt.searchsorted(pt.zeros(0, backend=backend_name), t([1.0], backend_name))) == [0]
    assert pt.searchsorted(boundaries, pt.zeros(2, 0, backend=backend_name)).shape == (2, 0)


def test_searchsorted_agrees_with_numpy_on_random_rows(backend_name):
    rng = np.random.default_rng(3)
    for n in (1, 2, 3, 7, 8, 33):
        boundaries = np.sort(rng.integers(0, 10, size=(4, n)), axis=1).astype(np.float64)
        values = rng.integers(-1, 11, size=(4, 6)).astype(np.float64)
        for side in ("left", "right"):
            got = pt.searchsorted(t(boundaries, backend_name), t(values, backend_name), side=side)
            expected = [np.searchsorted(b, v, side=side) for b, v in zip(boundaries, values)]
            assert np.array_equal(got.numpy(), expected), (n, side)


# --- bincount, histc --------------------------------------------------------------------------


def test_bincount_matches_pytorchs_documented_example(backend_name):
    x = t([4, 3, 6, 3, 4], backend_name)
    weights = pt.linspace(0, 1, steps=5, backend=backend_name)
    counts = pt.bincount(x)
    assert listed(counts) == [0, 0, 0, 2, 2, 0, 1] and counts.dtype is pt.int64
    weighted = x.bincount(weights)
    np.testing.assert_allclose(weighted.numpy(), [0, 0, 0, 1.0, 1.0, 0, 0.5])
    assert weighted.dtype is pt.float32


def test_bincount_minlength_weights_dtype_and_empty(backend_name):
    x = t([0, 1, 1, 2, 2, 2], backend_name)
    weights = t([0.3, 0.5, 0.2, 0.7, 1.0, -0.6], backend_name, pt.float64)
    got = pt.bincount(x, weights=weights, minlength=5)
    np.testing.assert_allclose(got.numpy(), [0.3, 0.7, 1.1, 0.0, 0.0])
    assert got.dtype is pt.float64
    assert pt.bincount(x, t([1, 2, 3, 4, 5, 6], backend_name)).dtype is pt.float64
    assert listed(pt.bincount(x, minlength=2)) == [1, 2, 3]
    empty = pt.bincount(t([], backend_name, pt.int64), minlength=3)
    assert listed(empty) == [0, 0, 0] and pt.bincount(t([], backend_name, pt.int64)).shape == (0,)
    assert listed(pt.bincount(t([2, 0], backend_name, pt.uint8))) == [1, 0, 1]


def test_histc_matches_pytorchs_documented_example(backend_name):
    got = pt.histc(t([1.0, 2.0, 1.0], backend_name), bins=4, min=0, max=3)
    assert listed(got) == [0.0, 2.0, 1.0, 0.0] and got.dtype is pt.float32


def test_histc_range_edges_and_ignored_values(backend_name):
    data = t([1.0, 1, 2, 2, 2, 5, 8], backend_name)
    assert listed(pt.histc(data, bins=5, min=0, max=9)) == [2.0, 3.0, 1.0, 0.0, 1.0]
    # min == max: the data's range; the last bin includes the maximum
    assert listed(data.histc(bins=7)) == [2.0, 3.0, 0.0, 0.0, 1.0, 0.0, 1.0]
    outside = t([-1.0, 0.0, 0.5, 1.0, 1.5, NAN], backend_name, pt.float64)
    got = pt.histc(outside, bins=2, min=0, max=1)
    assert listed(got) == [1.0, 2.0] and got.dtype is pt.float64
    # one distinct value: the range widens to [v - 1, v + 1]
    assert listed(pt.histc(t([3.0, 3.0], backend_name), bins=4)) == [0.0, 0.0, 2.0, 0.0]
    assert listed(pt.histc(t([], backend_name), bins=3)) == [0.0, 0.0, 0.0]
    assert pt.histc(data).shape == (100,)


# --- unique, unique_consecutive ---------------------------------------------------------------


def test_unique_matches_pytorchs_documented_examples(backend_name):
    assert listed(pt.unique(t([1, 3, 2, 3], backend_name))) == [1, 2, 3]
    output, inverse = pt.unique(t([1, 3, 2, 3], backend_name), sorted=True, return_inverse=True)
    assert listed(output) == [1, 2, 3] and listed(inverse) == [0, 2, 1, 2]
    output, inverse = t([[1, 3], [2, 3]], backend_name).unique(return_inverse=True)
    assert listed(output) == [1, 2, 3] and listed(inverse) == [[0, 2], [1, 2]]
    a = t(
        [[[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1]],
         [[0, 0, 1, 1], [0, 0, 1, 1], [1, 1, 1, 1]],
         [[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1]]],
        backend_name,
    )  # fmt: skip
    assert listed(pt.unique(a, dim=0)) == [
        [[0, 0, 1, 1], [0, 0, 1, 1], [1, 1, 1, 1]],
        [[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1]],
    ]
    assert listed(pt.unique(a, dim=1)) == [
        [[0, 0, 1, 1], [1, 1, 0, 0]],
        [[1, 1, 1, 1], [0, 0, 1, 1]],
        [[0, 0, 1, 1], [1, 1, 0, 0]],
    ]
    assert listed(pt.unique(a, dim=2)) == [
        [[0, 1], [0, 1], [1, 0]],
        [[1, 0], [1, 0], [1, 1]],
        [[0, 1], [0, 1], [1, 0]],
    ]


def test_unique_counts_inverse_along_a_dim_and_nan(backend_name):
    rows = t([[1, 3], [2, 3], [1, 3]], backend_name)
    output, inverse, counts = pt.unique(rows, return_inverse=True, return_counts=True, dim=0)
    assert listed(output) == [[1, 3], [2, 3]]
    assert listed(inverse) == [0, 1, 0] and listed(counts) == [2, 1]
    values, counts = pt.unique(t([2.0, NAN, -0.0, 0.0, NAN, 2.0], backend_name), return_counts=True)
    assert values.numel() == 4 and math.isnan(values[2].item()) and math.isnan(values[3].item())
    assert listed(values[:2]) == [0.0, 2.0] and listed(counts) == [2, 2, 1, 1]
    empty = pt.unique(pt.zeros(0, 3, backend=backend_name), dim=0, return_counts=True)
    assert empty[0].shape == (0, 3) and empty[1].shape == (0,)
    scalar, inverse = pt.unique(t(7, backend_name), return_inverse=True)
    assert listed(scalar) == [7] and inverse.shape == ()


def test_unique_consecutive_matches_pytorchs_documented_example(backend_name):
    x = t([1, 1, 2, 2, 3, 1, 1, 2], backend_name)
    assert listed(pt.unique_consecutive(x)) == [1, 2, 3, 1, 2]
    output, inverse = pt.unique_consecutive(x, return_inverse=True)
    assert listed(output) == [1, 2, 3, 1, 2] and listed(inverse) == [0, 0, 1, 1, 2, 3, 3, 4]
    output, counts = x.unique_consecutive(return_counts=True)
    assert listed(counts) == [2, 2, 1, 2, 1]
    rows = t([[1, 2], [1, 2], [0, 1], [1, 2]], backend_name)
    assert listed(pt.unique_consecutive(rows, dim=0)) == [[1, 2], [0, 1], [1, 2]]


def test_array_api_unique_functions_return_sorted_values(backend_name):
    import plugtorch.array_api as xp

    data = [3, 1, 2, 3, 1, 5, 0, -1, 10, 7] * 3  # numpy >= 2.3's unique_values: hash order
    x = pt.tensor(data, backend=backend_name)
    expected = sorted(set(data))
    assert listed(xp.unique_values(x)) == expected
    assert listed(xp.unique_counts(x).values) == expected
    found = xp.unique_all(x)
    assert listed(found.values) == expected
    assert listed(found.indices) == [data.index(v) for v in expected]
    assert [expected[i] for i in listed(found.inverse_indices)] == data


# --- multinomial ------------------------------------------------------------------------------


def test_multinomial_matches_pytorchs_documented_example(backend_name):
    weights = t([0.0, 10.0, 3.0, 0.0], backend_name)
    drawn = pt.multinomial(weights, 2)
    assert sorted(listed(drawn)) == [1, 2] and drawn.dtype is pt.int64
    with pytest.raises(ValueError, match="not enough non-negative category"):
        pt.multinomial(weights, 4)
    assert set(listed(weights.multinomial(4, replacement=True))) <= {1, 2}


def test_multinomial_frequencies_follow_the_weights(backend_name):
    weights = t([[1.0, 2.0, 0.0, 5.0], [0.0, 0.0, 3.0, 1.0]], backend_name)
    drawn = pt.multinomial(
        weights, 20000, replacement=True, generator=pt.Generator().manual_seed(1)
    )
    assert drawn.shape == (2, 20000)
    first = np.bincount(drawn[0].numpy(), minlength=4) / 20000
    second = np.bincount(drawn[1].numpy(), minlength=4) / 20000
    np.testing.assert_allclose(first, [1 / 8, 2 / 8, 0.0, 5 / 8], atol=0.015)
    np.testing.assert_allclose(second, [0.0, 0.0, 0.75, 0.25], atol=0.015)
    # without replacement, the first draw has the same law and every row is a permutation
    rows = pt.multinomial(weights[:1].expand(5000, 4), 3, generator=pt.Generator().manual_seed(2))
    host = rows.numpy()
    assert all(sorted(r) == [0, 1, 3] for r in host.tolist())
    first_draws = np.bincount(host[:, 0], minlength=4) / 5000
    np.testing.assert_allclose(first_draws, [1 / 8, 2 / 8, 0, 5 / 8], atol=0.02)


def test_multinomial_is_seeded_and_the_same_on_every_backend(backend_name):
    weights = [0.1, 0.2, 0.3, 0.4]
    ours = pt.multinomial(
        t(weights, backend_name), 8, True, generator=pt.Generator().manual_seed(5)
    )
    reference = pt.multinomial(
        t(weights, "numpy"), 8, True, generator=pt.Generator().manual_seed(5)
    )
    assert listed(ours) == listed(reference)
    pt.manual_seed(9)
    first = pt.multinomial(t(weights, backend_name), 3)
    pt.manual_seed(9)
    assert listed(pt.multinomial(t(weights, backend_name), 3)) == listed(first)
    assert pt.multinomial(pt.ones(0, 3, backend=backend_name), 2).shape == (0, 2)


# --- bad arguments: PyTorch's checks, with the exception types of docs/errors.md ---------------


def test_sorting_argument_errors(backend_name):
    x = pt.ones(2, 3, backend=backend_name)
    with pytest.raises(IndexError):
        pt.sort(x, dim=2)
    with pytest.raises(IndexError, match="selected index k out of range"):
        pt.topk(x, 4)
    with pytest.raises(IndexError, match="selected index k out of range"):
        x.topk(-1)
    with pytest.raises(IndexError, match="kthvalue"):
        pt.kthvalue(x, 0)
    with pytest.raises(IndexError, match="kthvalue"):
        pt.kthvalue(pt.ones(0, backend=backend_name), 1)
    with pytest.raises(TypeError):
        pt.topk(x, 1.5)
    with pytest.raises(TypeError):
        pt.argsort(x, descending="yes")
    with pytest.raises(TypeError):
        pt.sort([3, 1])


def test_cumulative_argument_errors(backend_name):
    x = pt.ones(2, 3, backend=backend_name)
    with pytest.raises(IndexError):
        pt.cumsum(x, 2)
    with pytest.raises(TypeError):
        pt.cumprod(x, None)
    with pytest.raises(TypeError):
        pt.cumsum(x)  # dim is required, as in PyTorch


def test_searchsorted_argument_errors(backend_name):
    boundaries = t([[1.0, 2.0], [3.0, 4.0]], backend_name)
    with pytest.raises(ValueError, match="first N-1 dimensions"):
        pt.searchsorted(boundaries, t([[1.0], [2.0], [3.0]], backend_name))
    with pytest.raises(ValueError, match="scalar only when boundaries tensor dimension is 1"):
        pt.searchsorted(boundaries, 1.0)
    with pytest.raises(ValueError, match="positive dimension"):
        pt.searchsorted(t(1.0, backend_name), t([1.0], backend_name))
    with pytest.raises(ValueError, match="side can only be"):
        pt.searchsorted(boundaries, boundaries, side="middle")
    with pytest.raises(ValueError, match="opposites"):
        pt.searchsorted(boundaries, boundaries, side="left", right=True)
    with pytest.raises(ValueError, match="same size"):
        pt.searchsorted(boundaries, boundaries, sorter=t([0, 1], backend_name))
    with pytest.raises(TypeError, match="long dtype"):
        pt.searchsorted(boundaries, boundaries, sorter=boundaries)
    with pytest.raises(IndexError, match="sorter index out of range"):
        pt.searchsorted(boundaries, boundaries, sorter=t([[0, 2], [1, 0]], backend_name))
    other = "numpy" if backend_name != "numpy" else "conformance-other"
    if other in [info.name for info in pt.list_backends()]:
        with pytest.raises(RuntimeError, match="one backend"):
            pt.searchsorted(boundaries, boundaries.to(other))


def test_bincount_histc_unique_argument_errors(backend_name):
    with pytest.raises(ValueError, match="non-negative"):
        pt.bincount(t([1, -1], backend_name))
    with pytest.raises(ValueError, match="1-d"):
        pt.bincount(t([[1, 2]], backend_name))
    with pytest.raises(TypeError, match="integral"):
        pt.bincount(t([1.0, 2.0], backend_name))
    with pytest.raises(ValueError, match="minlength"):
        pt.bincount(t([1, 2], backend_name), minlength=-1)
    with pytest.raises(ValueError, match="same length"):
        pt.bincount(t([1, 2], backend_name), t([1.0], backend_name))
    with pytest.raises(ValueError, match="bins must be > 0"):
        pt.histc(t([1.0], backend_name), bins=0)
    with pytest.raises(ValueError, match="max must be larger than min"):
        pt.histc(t([1.0], backend_name), min=2, max=1)
    with pytest.raises(ValueError, match="not finite"):
        pt.histc(t([1.0, NAN], backend_name))
    with pytest.raises(ValueError, match="not finite"):
        pt.histc(t([1.0], backend_name), min=0, max=math.inf)
    with pytest.raises(TypeError, match="floating"):
        pt.histc(t([1, 2], backend_name))
    with pytest.raises(IndexError):
        pt.unique(t([[1, 2]], backend_name), dim=2)
    with pytest.raises(ValueError, match="0 sized dimensions"):
        pt.unique(pt.zeros(2, 0, backend=backend_name), dim=0)
    with pytest.raises(ValueError, match="more than one"):
        pt.unique(pt.zeros(0, 0, backend=backend_name), dim=0)


@pytest.mark.parametrize(
    "weights, kwargs, message",
    [
        ([0.5, -0.1], {}, "element < 0"),
        ([0.5, math.inf], {}, "`inf`, `nan`"),
        ([0.5, NAN], {}, "`inf`, `nan`"),
        ([0.0, 0.0], {}, "sum of probabilities <= 0"),
        ([[1.0, 1.0], [0.0, 0.0]], {"replacement": True}, "sum of probabilities <= 0"),
        ([1.0, 1.0], {"num_samples": 3}, "without replacement"),
        ([1.0, 1.0], {"num_samples": 0}, "n_sample <= 0"),
        ([[[1.0]]], {}, "1 or 2 dim"),
    ],
)
def test_multinomial_argument_errors(backend_name, weights, kwargs, message):
    kwargs = {"num_samples": 1, **kwargs}
    with pytest.raises(ValueError, match=message):
        pt.multinomial(t(weights, backend_name), **kwargs)


def test_multinomial_type_errors(backend_name):
    with pytest.raises(TypeError, match="floating-point"):
        pt.multinomial(t([1, 2], backend_name), 1)
    with pytest.raises(TypeError):
        pt.multinomial(t([1.0, 2.0], backend_name), 1.5)
    with pytest.raises(TypeError, match="generator"):
        pt.multinomial(t([1.0, 2.0], backend_name), 1, generator=3)
