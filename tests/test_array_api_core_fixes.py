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


def test_dtype_kind_is_numpys_letter():
    # scikit-learn's check_array tests `dtype.kind in "USV"`
    assert [d.kind for d in (pt.bool, pt.int8, pt.uint8, pt.float32)] == ["b", "i", "u", "f"]
