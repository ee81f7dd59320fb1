"""strata.KMeans: scikit-learn's KMeans conventions over libstrata.

The data are handed to libstrata as a borrowed strided view
(strata_dataset_from_strided): float32 and float64 arrays in any order or
stride are read in place, other dtypes are converted once to float32 (what
the engine computes in).  Labels come back into NumPy arrays through
strata_assign_memory, so nothing goes through a file."""
import ctypes
import os
import tempfile

import numpy as np

from ._lib import (Context, StrataInputError, c_double, c_int64, c_void_p, check, lib, names_array)
from ._model import Model, make_params

try:  # scikit-learn's base classes when present (get_params, clone, tags, score conventions)
    from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin
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


def _as_matrix(X, allow_nan):
    """X as a 2-D float32/float64 ndarray, without a copy when it is one
    already (any order, any stride)."""
    if hasattr(X, "toarray") or type(X).__module__.startswith("scipy.sparse"):
        raise TypeError("strata.KMeans does not take sparse matrices; pass a dense array")
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
    if not np.isfinite(a).all():
        if np.isinf(a).any():
            raise ValueError("Input X contains infinity or a value too large for dtype('%s')." % a.dtype)
        if not allow_nan:
            raise ValueError("Input X contains NaN; strata.KMeans(missing='drop'|'mean'|'median') handles it.")
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


class KMeans(ClusterMixin, TransformerMixin, BaseEstimator):
    """k-means (Lloyd) by libstrata, with scikit-learn's conventions.

    Parameters follow sklearn.cluster.KMeans: n_clusters, init ('k-means++',
    'random' or a (n_clusters, n_features) array in the data's units),
    n_init ('auto': 1, or 10 with init='random', as scikit-learn), max_iter,
    tol (relative to the mean feature variance, as scikit-learn's),
    random_state (an int is the seed of `strata fit --seed`).  Strata's own:
    scale ('none' by default, as scikit-learn does not scale; 'zscore' is
    the command's default), missing ('error', 'drop', 'mean', 'median'),
    backend ('auto', a CPU table such as 'ref' or 'avx2', 'opencl:0'),
    n_threads (None: all).  Results are the same bits as `strata fit` with
    the same data, seed and options, for any n_threads.

    cluster_centers_ are in the data's units; inertia_, transform() and
    score() are in the scaled space the clustering ran in (the data's own
    units with scale='none').  k-means++ and random init run on a seeded
    sample of the rows (all rows up to the engine's sample size)."""

    def __init__(self, n_clusters=8, *, init="k-means++", n_init="auto", max_iter=300, tol=1e-4,
                 random_state=None, scale="none", missing="error", backend="auto", n_threads=None):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.scale = scale
        self.missing = missing
        self.backend = backend
        self.n_threads = n_threads

    # -------------------------------------------------------------- helpers
    def _validate(self, X, reset):
        names = _feature_names(X)
        a = _as_matrix(X, self.missing != "error")
        if reset:
            self.n_features_in_ = a.shape[1]
            if names is not None:
                self.feature_names_in_ = names
            elif hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
        else:
            if a.shape[1] != self.n_features_in_:
                raise ValueError("X has %d features, but KMeans is expecting %d features as input."
                                 % (a.shape[1], self.n_features_in_))
            fitted = getattr(self, "feature_names_in_", None)
            if names is not None and fitted is not None and list(names) != list(fitted):
                raise ValueError("The feature names should match those that were passed during fit.")
        return a

    def _check_fitted(self):
        if getattr(self, "_model", None) is None:
            raise NotFittedError("This KMeans instance is not fitted yet. Call 'fit' with appropriate arguments "
                                 "before using this estimator.")

    def _names(self):
        if getattr(self, "feature_names_in_", None) is not None:
            return [str(n) for n in self.feature_names_in_]
        return ["x%d" % j for j in range(self.n_features_in_)]

    def _run_assign(self, a):
        n, k = a.shape[0], self._model_k
        labels = np.empty(n, dtype=np.int32)
        dist = np.empty(n, dtype=np.float32)
        inertia, sizes = c_double(), (c_int64 * k)()
        with Context(self.n_threads, self.backend) as ctx, _Borrowed(a, self._names()) as ds:
            ctx.call(lib.strata_assign_memory, self._model._ptr, ds, 0, labels.ctypes.data_as(c_void_p),
                     dist.ctypes.data_as(c_void_p), ctypes.byref(inertia), sizes)
        return labels, dist, inertia.value

    # -------------------------------------------------------------- API
    def fit(self, X, y=None, sample_weight=None):
        a = self._validate(X, reset=True)
        n, d = a.shape
        if sample_weight is not None:
            w = np.asarray(sample_weight, dtype=np.float64).reshape(-1)
            if w.shape[0] != n:
                raise ValueError("sample_weight.shape == %s, expected (%d,)!" % (w.shape, n))
            if not np.any(w != 0):
                raise ValueError("Sample weights must contain at least one non-zero number.")
            if np.any(w != w[0]) or w[0] < 0:
                raise NotImplementedError("strata.KMeans: libstrata does not weight rows; only uniform positive "
                                          "sample_weight is accepted")
        k = self.n_clusters
        if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
            raise ValueError("n_clusters must be an integer >= 1, got %r" % (k,))
        if k > n:
            raise ValueError("n_samples=%d should be >= n_clusters=%d." % (n, k))
        if not isinstance(self.max_iter, (int, np.integer)) or self.max_iter < 1:
            raise ValueError("max_iter must be an integer >= 1, got %r" % (self.max_iter,))
        if not (float(self.tol) >= 0):
            raise ValueError("tol must be >= 0, got %r" % (self.tol,))
        centers = None
        init = self.init
        if isinstance(init, str):
            if init not in ("k-means++", "random"):
                raise ValueError("init must be 'k-means++', 'random' or an array, got %r" % init)
        else:
            centers = np.ascontiguousarray(np.asarray(init, dtype=np.float64))
            if centers.shape != (k, d):
                raise ValueError("The shape of the initial centers %s does not match the number of clusters %d "
                                 "and features %d." % (centers.shape, k, d))
        n_init = self.n_init
        if isinstance(n_init, str) and n_init == "auto":
            n_init = 10 if isinstance(init, str) and init == "random" else 1
        if centers is not None:
            n_init = 1
        if not isinstance(n_init, (int, np.integer)) or n_init < 1:
            raise ValueError("n_init must be 'auto' or an integer >= 1, got %r" % (self.n_init,))
        p = make_params(k, self.scale, self.missing, init if centers is None else None, n_init, self.max_iter,
                        self.tol, _seed(self.random_state), centers)
        m = c_void_p()
        with Context(self.n_threads, self.backend) as ctx, _Borrowed(a, self._names()) as ds:
            ctx.call(lib.strata_fit, ds, ctypes.byref(p), ctypes.byref(m))
        self._model = Model(m)
        self._set_fitted()
        # The labels of the training rows: assign reproduces fit's labels exactly.
        self.labels_, _, _ = self._run_assign(a)
        return self

    def _set_fitted(self):
        mi = lib.strata_model_get_info(self._model._ptr).contents
        k, d = mi.k, mi.d
        self._model_k = k
        self.cluster_centers_ = np.ctypeslib.as_array(mi.centroids_original, shape=(k * d,)).reshape(k, d).copy()
        self._centers_scaled = np.ctypeslib.as_array(mi.centroids, shape=(k * d,)).reshape(k, d).copy()
        self._shift = np.ctypeslib.as_array(mi.scale_shift, shape=(d,)).copy()
        self._factor = np.ctypeslib.as_array(mi.scale_factor, shape=(d,)).copy()
        self.inertia_ = float(mi.inertia)
        self.n_iter_ = int(mi.iterations)

    def predict(self, X):
        self._check_fitted()
        return self._run_assign(self._validate(X, reset=False))[0]

    def fit_predict(self, X, y=None, sample_weight=None):
        return self.fit(X, sample_weight=sample_weight).labels_

    def transform(self, X):
        """Euclidean distances of each row to every centroid, in the scaled
        space (the data's units with scale='none'), float64."""
        self._check_fitted()
        a = self._validate(X, reset=False)
        z = (a.astype(np.float32).astype(np.float64) - self._shift) / self._factor
        c = self._centers_scaled
        d2 = (z * z).sum(1)[:, None] - 2.0 * z @ c.T + (c * c).sum(1)[None, :]
        return np.sqrt(np.maximum(d2, 0.0))

    def score(self, X, y=None, sample_weight=None):
        """Opposite of the inertia of X against the centroids (scaled units)."""
        self._check_fitted()
        return -self._run_assign(self._validate(X, reset=False))[2]

    @property
    def model_(self):
        """The fitted strata Model (info, save, assign and profile of HDF5 files)."""
        self._check_fitted()
        return self._model

    # -------------------------------------------------------------- pickling
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
        tags.input_tags.allow_nan = self.missing != "error"
        return tags

    def _more_tags(self):  # scikit-learn < 1.6
        return {"allow_nan": self.missing != "error"}


_ = StrataInputError
