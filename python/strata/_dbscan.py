"""strata.DBSCAN: scikit-learn's DBSCAN conventions over the engine of
`strata fit --algorithm dbscan`."""
import numpy as np

from ._base import BaseEstimator, ClusterMixin, _int_param, _sample_weights, _StrataEstimator
from ._lib import StrataError, StrataRuntimeError
from ._model import make_params


def _rows_as_keys(x):
    """Each row of a C-contiguous 2-D array as one opaque value (its bytes),
    for exact set membership."""
    x = np.ascontiguousarray(x)
    return x.view(np.dtype((np.void, x.dtype.itemsize * x.shape[1]))).reshape(-1)


class DBSCAN(_StrataEstimator, ClusterMixin, BaseEstimator):
    """DBSCAN by libstrata (a k-d tree, neighbour counts on all threads, one
    expansion in row order: scikit-learn's clusters and numbering), with the
    conventions of sklearn.cluster.DBSCAN (Euclidean metric).

    Parameters: eps (the neighbourhood radius, in the scaled space: the
    data's units with scale='none'), min_samples (rows within eps, the row
    itself included, that make a core row; with sample_weight, the weight
    they must sum to).  Strata's own: scale ('none'),
    missing ('error', 'drop', 'mean', 'median'), n_threads.  The same data
    and options give the bits of `strata fit --algorithm dbscan`.  A fit in
    which every row is noise raises StrataError (the engine keeps no model
    of nothing).

    Attributes: labels_ (-1 for noise and for rows missing='drop' leaves
    out), core_sample_indices_, components_ (the core rows, copied from X),
    n_features_in_, feature_names_in_.  predict (Strata's addition) gives new
    rows the segment of the nearest core row within eps, else -1, as
    `strata assign` does."""

    def __init__(self, eps=0.5, *, min_samples=5, scale="none", missing="error", n_threads=None):
        self.eps = eps
        self.min_samples = min_samples
        self.scale = scale
        self.missing = missing
        self.n_threads = n_threads

    def fit(self, X, y=None, sample_weight=None):
        a = self._validate(X, reset=True)
        # A row of weight w counts w times towards min_samples (scikit-learn's rule).
        w = _sample_weights(sample_weight, a.shape[0])
        if w is not None and np.all(w == 1.0):
            w = None
        eps = float(self.eps)
        if not (eps > 0 and np.isfinite(eps)):
            raise ValueError("eps must be a number > 0, got %r" % (self.eps,))
        p = make_params(1, self.scale, self.missing, "k-means++", 1, 300, 1e-4, 0)
        p.algorithm = b"dbscan"
        p.eps = eps
        p.min_samples = _int_param(self.min_samples, "min_samples")
        try:
            self.labels_ = self._fit_engine(a, p, self.n_threads, None, w)
        except StrataError as e:
            # The engine keeps no model of nothing; scikit-learn's answer is
            # every row noise.
            if e.status_name != "STRATA_ERR_DATA" or not e.message.startswith("dbscan found no cluster"):
                raise
            self._model = None
            self._all_noise = True
            self.labels_ = np.full(a.shape[0], -1, dtype=np.int32)
            self.core_sample_indices_ = np.empty(0, dtype=np.intp)
            self.components_ = np.empty((0, a.shape[1]), dtype=a.dtype)
            return self
        self._all_noise = False
        self.core_sample_indices_ = self._core_rows(a)
        self.components_ = a[self.core_sample_indices_].copy()
        return self

    def _core_rows(self, a):
        """Which rows are core.  The model holds the core rows' scaled values
        in row order; a row is core exactly when its scaled values are one of
        them (rows with equal values have equal neighbourhoods), and they are
        scaled here as core/scaler.c does: float64 (x - shift) · (1/factor),
        rounded to float32."""
        mi = self._info()
        d = mi.d
        core = np.ctypeslib.as_array(mi.core_points, shape=(mi.n_core * d,)).reshape(mi.n_core, d)
        shift = np.ctypeslib.as_array(mi.scale_shift, shape=(d,))
        inv = 1.0 / np.ctypeslib.as_array(mi.scale_factor, shape=(d,))
        x = np.asarray(a, dtype=np.float32).astype(np.float64)
        if mi.impute:
            impute = np.ctypeslib.as_array(mi.impute, shape=(d,))
            x = np.where(np.isnan(x), impute, x)
        xs = ((x - shift) * inv).astype(np.float32).astype(np.float64)
        candidates = np.flatnonzero(self.labels_ >= 0)  # noise and dropped rows are never core
        hit = np.isin(_rows_as_keys(xs[candidates]), _rows_as_keys(core))
        rows = candidates[hit]
        if rows.size != mi.n_core:
            raise StrataRuntimeError("strata.DBSCAN: %d rows match the model's %d core points" % (rows.size,
                                                                                                   mi.n_core),
                                     None, "STRATA_ERR_INTERNAL", 1)
        return rows.astype(np.intp)

    def fit_predict(self, X, y=None, sample_weight=None):
        return self.fit(X, sample_weight=sample_weight).labels_

    def _check_fitted(self):
        if not getattr(self, "_all_noise", False):
            super()._check_fitted()

    def predict(self, X):
        """The segment of the nearest core row within eps, else -1."""
        self._check_fitted()
        a = self._validate(X, reset=False)
        if self._all_noise:
            return np.full(a.shape[0], -1, dtype=np.int32)
        return self._assign(a, self.n_threads, None)[0]
