"""What every estimator of the package shares: scikit-learn's base classes
(or a minimal stand-in without scikit-learn), input validation, the
borrowed dataset over a NumPy array, seeds, the fitted-model plumbing and
pickling.  The data are handed to libstrata as a borrowed strided view
(strata_dataset_from_strided): float32 and float64 arrays in any order or
stride are read in place, other dtypes are converted once to float32 (what
the engine computes in)."""
import ctypes
import os
import tempfile

import numpy as np

from ._lib import Context, c_void_p, check, lib, names_array
from ._model import Model

try:  # scikit-learn's base classes when present (get_params, clone, tags, score conventions)
    from sklearn.base import BaseEstimator, ClusterMixin, DensityMixin, TransformerMixin
    _HAVE_SKLEARN = True
except ImportError:  # pragma: no cover - exercised by the no-sklearn test
    _HAVE_SKLEARN = False

    class BaseEstimator:
        """The part of sklearn.base.BaseEstimator the package uses: parameters
        are the constructor's keyword arguments."""

        @classmethod
        def _get_param_names(cls):
            import inspect
            sig = inspect.signature(cls.__init__)
            return sorted(p for p in sig.parameters if p != "self")

        def get_params(self, deep=True):
            return {k: getattr(self, k) for k in self._get_param_names()}

        def set_params(self, **params):
            valid = self._get_param_names()
            for k, v in params.items():
                if k not in valid:
                    raise ValueError("Invalid parameter %r for estimator %s" % (k, type(self).__name__))
                setattr(self, k, v)
            return self

        def __repr__(self):
            return "%s(%s)" % (type(self).__name__,
                               ", ".join("%s=%r" % kv for kv in sorted(self.get_params().items())))

    class ClusterMixin:
        _estimator_type = "clusterer"

        def fit_predict(self, X, y=None, **kw):
            self.fit(X, **kw)
            return self.labels_

    class TransformerMixin:
        def fit_transform(self, X, y=None, **kw):
            return self.fit(X, **kw).transform(X)

    class DensityMixin:
        _estimator_type = "DensityEstimator"


class NotFittedError(ValueError, AttributeError):
    pass


try:
    from sklearn.exceptions import NotFittedError  # noqa: F811  (the one scikit-learn's checks expect)
except ImportError:  # pragma: no cover
    pass

_ELEM = {np.dtype(np.float32): 0, np.dtype(np.float64): 1}


def _feature_names(X):
    cols = getattr(X, "columns", None)
    if cols is None:
        return None
    names = [c for c in cols]
    if names and all(isinstance(c, str) for c in names):
        return np.asarray(names, dtype=object)
    return None


_ROWS = 1 << 16  # rows per block of a check: its temporary stays small whatever the array


def _any_rows(a, test):
    return any(test(a[i:i + _ROWS]).any() for i in range(0, a.shape[0], _ROWS))


def _all_finite(a):
    """Whether a holds neither NaN nor Inf, without a temporary the size of
    a: a float64 sum is finite exactly then (NaN and Inf propagate; float32
    values cannot overflow it), else, as a float64 sum may overflow, the
    test by blocks of rows."""
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(a.sum(dtype=np.float64)):
            return True
    return not _any_rows(a, lambda b: ~np.isfinite(b))


def _as_matrix(X, allow_nan):
    """X as a 2-D float32/float64 ndarray, without a copy when it is one
    already (any order, any stride)."""
    if hasattr(X, "toarray") or type(X).__module__.startswith("scipy.sparse"):
        raise TypeError("strata estimators do not take sparse matrices; pass a dense array")
    if hasattr(X, "columns") and hasattr(X, "to_numpy"):
        dts = set(np.dtype(t) for t in getattr(X, "dtypes", []))
        X = X.to_numpy(dtype=dts.pop() if len(dts) == 1 and next(iter(dts)) in _ELEM else np.float32)
    a = np.asarray(X)
    if a.dtype.kind == "c":
        raise ValueError("Complex data not supported")
    if a.dtype.kind in "OUS":
        a = a.astype(np.float32)  # TypeError/ValueError from NumPy name what cannot be converted
    if a.ndim != 2:
        raise ValueError("Expected 2D array, got %dD array instead: Reshape your data with array.reshape(-1, 1) "
                         "for a single feature or array.reshape(1, -1) for a single sample." % a.ndim)
    if a.dtype not in _ELEM:
        a = a.astype(np.float32)
    if a.shape[0] < 1:
        raise ValueError("Found array with 0 sample(s) (shape=%s) while a minimum of 1 is required." % (a.shape,))
    if a.shape[1] < 1:
        raise ValueError("Found array with 0 feature(s) (shape=%s) while a minimum of 1 is required." % (a.shape,))
    if any(s % a.itemsize for s in a.strides):
        a = np.ascontiguousarray(a)
    if not _all_finite(a):
        if _any_rows(a, np.isinf):
            raise ValueError("Input X contains infinity or a value too large for dtype('%s')." % a.dtype)
        if not allow_nan:
            raise ValueError("Input X contains NaN; missing='drop'|'mean'|'median' handles it.")
    return a


class _Borrowed:
    """A strata_dataset over the array a (kept referenced until freed)."""

    def __init__(self, a, names):
        self.a = a
        self.ptr = c_void_p()
        rs, cs = (s // a.itemsize for s in a.strides)
        check(lib.strata_dataset_from_strided(a.ctypes.data_as(c_void_p), _ELEM[a.dtype], a.shape[0], a.shape[1],
                                              rs, cs, names_array(list(names)), ctypes.byref(self.ptr)))

    def __enter__(self):
        return self.ptr

    def __exit__(self, *exc):
        lib.strata_dataset_free(self.ptr)
        return False


def _seed(random_state):
    if random_state is None or isinstance(random_state, np.random.RandomState):
        rs = random_state if random_state is not None else np.random.mtrand._rand
        return int(rs.randint(np.iinfo(np.int32).max))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(np.iinfo(np.int32).max))
    seed = int(random_state)
    if seed < 0:
        raise ValueError("random_state must be a non-negative integer, a RandomState or None; got %r" % random_state)
    return seed



def _sample_weights(sample_weight, n):
    """sample_weight as a float64 vector of n finite weights >= 0, not all 0
    (scikit-learn's checks), or None when not given."""
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.ndim == 0:
        w = np.full(n, float(w))
    w = np.ascontiguousarray(w.reshape(-1))
    if w.shape[0] != n:
        raise ValueError("sample_weight.shape == %s, expected (%d,)!" % (w.shape, n))
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("sample_weight must be finite and >= 0")
    if not np.any(w != 0):
        raise ValueError("Sample weights must contain at least one non-zero number.")
    return w


def _int_param(value, name, low=1):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low:
        raise ValueError("%s must be an integer >= %d, got %r" % (name, low, value))
    return int(value)


class _StrataEstimator:
    """Validation, the fit into NumPy arrays and the assignment of rows, the
    model_ property and pickling, for every estimator of the package.
    Subclasses set self.missing (the engine's missing-value rule)."""

    def _validate(self, X, reset):
        names = _feature_names(X)
        a = _as_matrix(X, getattr(self, "missing", "error") != "error")
        if reset:
            self.n_features_in_ = a.shape[1]
            if names is not None:
                self.feature_names_in_ = names
            elif hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
        else:
            if a.shape[1] != self.n_features_in_:
                raise ValueError("X has %d features, but %s is expecting %d features as input."
                                 % (a.shape[1], type(self).__name__, self.n_features_in_))
            fitted = getattr(self, "feature_names_in_", None)
            if names is not None and fitted is not None and list(names) != list(fitted):
                raise ValueError("The feature names should match those that were passed during fit.")
        return a

    def _check_fitted(self):
        if getattr(self, "_model", None) is None:
            raise NotFittedError("This %s instance is not fitted yet. Call 'fit' with appropriate arguments "
                                 "before using this estimator." % type(self).__name__)

    def _names(self):
        if getattr(self, "feature_names_in_", None) is not None:
            return [str(n) for n in self.feature_names_in_]
        return ["x%d" % j for j in range(self.n_features_in_)]

    def _fit_engine(self, a, p, n_threads, backend, weights=None):
        """strata_fit_memory on the borrowed array a with parameters p (and
        the row weights, a float64 vector, borrowed too): the model into
        self._model; returns the labels of the rows (int32, -1 for dropped
        rows and noise), the ones `strata fit --labels` writes."""
        labels = np.empty(a.shape[0], dtype=np.int32)
        m = c_void_p()
        with Context(n_threads, backend) as ctx, _Borrowed(a, self._names()) as ds:
            if weights is not None:
                wds = c_void_p()
                check(lib.strata_dataset_from_strided(weights.ctypes.data_as(c_void_p), _ELEM[weights.dtype],
                                                      weights.shape[0], 1, weights.strides[0] // weights.itemsize,
                                                      1, names_array(["sample_weight"]), ctypes.byref(wds)))
                check(lib.strata_dataset_set_weights(ds, wds))  # ds owns wds from here
            ctx.call(lib.strata_fit_memory, ds, ctypes.byref(p), labels.ctypes.data_as(c_void_p), None,
                     ctypes.byref(m))
        self._model = Model(m)
        return labels

    def _info(self):
        return lib.strata_model_get_info(self._model._ptr).contents

    def _assign(self, a, n_threads, backend, distance=False):
        """strata_assign_memory of the rows of a: labels, distances (or
        None) and the inertia."""
        n, k = a.shape[0], self._info().k
        labels = np.empty(n, dtype=np.int32)
        dist = np.empty(n, dtype=np.float32) if distance else None
        inertia, sizes = ctypes.c_double(), (ctypes.c_int64 * k)()
        with Context(n_threads, backend) as ctx, _Borrowed(a, self._names()) as ds:
            ctx.call(lib.strata_assign_memory, self._model._ptr, ds, 0, labels.ctypes.data_as(c_void_p),
                     None if dist is None else dist.ctypes.data_as(c_void_p), ctypes.byref(inertia), sizes)
        return labels, dist, inertia.value

    @property
    def model_(self):
        """The fitted strata Model (info, save, assign and profile of HDF5 files)."""
        _StrataEstimator._check_fitted(self)
        return self._model

    # pickling: the model travels as the bytes of its file
    def __getstate__(self):
        state = dict(self.__dict__)
        model = state.pop("_model", None)
        if model is not None:
            with tempfile.TemporaryDirectory() as tmp:
                path = os.path.join(tmp, "model.h5")
                model.save(path)
                with open(path, "rb") as f:
                    state["_model_bytes"] = f.read()
        return state

    def __setstate__(self, state):
        blob = state.pop("_model_bytes", None)
        self.__dict__.update(state)
        if blob is not None:
            from ._model import open_model
            with tempfile.TemporaryDirectory() as tmp:
                path = os.path.join(tmp, "model.h5")
                with open(path, "wb") as f:
                    f.write(blob)
                self._model = open_model(path)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = getattr(self, "missing", "error") != "error"
        return tags

    def _more_tags(self):  # scikit-learn < 1.6
        return {"allow_nan": getattr(self, "missing", "error") != "error"}
