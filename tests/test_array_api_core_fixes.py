"""Regression tests for core bugs found while running the array API test suite."""

import plugtorch as pt


def test_slice_bounds_may_be_zero_dim_tensors():
    x = pt.tensor([1, 2, 3, 4])
    assert x[pt.tensor(1) : pt.tensor(3)].tolist() == [2, 3]


def test_setitem_on_zero_dim_result_of_a_ufunc():
    # numpy ufuncs return numpy scalars for 0-d input; setitem must still work
    y = pt.tensor(False) | False
    y[()] = True
    assert y.item() is True
