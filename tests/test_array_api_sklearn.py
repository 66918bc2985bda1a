"""scikit-learn runs on plugtorch tensors through the array API (``array_api_dispatch``).

scikit-learn's array API support needs SciPy's, switched on by ``SCIPY_ARRAY_API=1`` *before*
SciPy is first imported. Loading backends (numba) imports SciPy early, so each check runs in a
fresh interpreter: this file is also a script, ``python test_array_api_sklearn.py BACKEND``.
Outputs must come back as plugtorch tensors on the same backend and match numpy's results.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytest.importorskip("sklearn")
pytest.importorskip("scipy")


def check_estimators(backend_name: str) -> None:
    import numpy as np
    import sklearn
    from sklearn.datasets import load_iris
    from sklearn.decomposition import PCA
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from sklearn.naive_bayes import GaussianNB
    from sklearn.preprocessing import StandardScaler

    import plugtorch as pt

    X, y = load_iris(return_X_y=True)

    def on_backend(values: np.ndarray, dtype: pt.DType) -> pt.Tensor:
        return pt.tensor(values, dtype=dtype, backend=backend_name)

    def check(out: object) -> np.ndarray:
        assert isinstance(out, pt.Tensor), type(out)
        assert out.backend.name == backend_name
        return np.asarray(out)

    for estimator in (StandardScaler(), PCA(n_components=2, svd_solver="full")):
        expected = sklearn.base.clone(estimator).fit_transform(X)
        with sklearn.config_context(array_api_dispatch=True):
            got = sklearn.base.clone(estimator).fit_transform(on_backend(X, pt.float64))
        np.testing.assert_allclose(check(got), expected, rtol=1e-10, atol=1e-12)

    reference = LinearDiscriminantAnalysis().fit(X, y)
    with sklearn.config_context(array_api_dispatch=True):
        model = LinearDiscriminantAnalysis().fit(on_backend(X, pt.float64), on_backend(y, pt.int64))
        predicted = model.predict(on_backend(X, pt.float64))
        transformed = model.transform(on_backend(X, pt.float64))
        probabilities = model.predict_proba(on_backend(X, pt.float64))
    np.testing.assert_array_equal(check(predicted), reference.predict(X))
    np.testing.assert_allclose(check(transformed), reference.transform(X), atol=1e-10)
    np.testing.assert_allclose(check(probabilities), reference.predict_proba(X), atol=1e-10)

    # GaussianNB takes its classes from xp.unique_values and relies on them being sorted
    # (numpy >= 2.3's unique_values returns [7, 10, 1] for these labels)
    labels = np.array([10, 1, 7])[y]
    reference_nb = GaussianNB().fit(X, labels)
    with sklearn.config_context(array_api_dispatch=True):
        nb = GaussianNB().fit(on_backend(X, pt.float64), on_backend(labels, pt.int64))
        predicted = nb.predict(on_backend(X, pt.float64))
    np.testing.assert_array_equal(check(nb.classes_), [1, 7, 10])
    np.testing.assert_array_equal(check(predicted), reference_nb.predict(X))


def test_standard_scaler_pca_lda_and_naive_bayes_match_numpy(backend_name):
    env = dict(os.environ, SCIPY_ARRAY_API="1", PYTHONWARNINGS="ignore")
    done = subprocess.run(
        [sys.executable, __file__, backend_name], env=env, capture_output=True, text=True,
        timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


if __name__ == "__main__":
    check_estimators(sys.argv[1])
    print("ok")
