"""strata.GaussianMixture: scikit-learn's GaussianMixture conventions over
the engine of `strata fit --algorithm gmm`.  Labels and probabilities come
back into NumPy arrays (strata_fit_memory, strata_assign_memory_soft), so
nothing goes through a file."""
import ctypes

import numpy as np

from ._base import BaseEstimator, DensityMixin, _int_param, _sample_weights, _StrataEstimator, _Borrowed, _seed
from ._lib import Context, c_double, c_int64, c_void_p, lib
from ._model import make_params

_COV = {"full": 0, "tied": 1, "diag": 2, "spherical": 3}


def _cholesky_precisions(cov, ctype):
    """scikit-learn's precisions_cholesky_ and precisions_ of covariances_."""
    if ctype in ("full", "tied"):
        mats = cov[None] if ctype == "tied" else cov
        pc = np.empty_like(mats)
        for i, c in enumerate(mats):
            low = np.linalg.cholesky(c)
            pc[i] = np.linalg.inv(low).T  # upper triangular, as scipy's solve_triangular(...).T
        prec = np.einsum("kij,klj->kil", pc, pc)
        return (pc[0], prec[0]) if ctype == "tied" else (pc, prec)
    pc = 1.0 / np.sqrt(cov)
    return pc, pc * pc


class GaussianMixture(_StrataEstimator, DensityMixin, BaseEstimator):
    """A Gaussian mixture fitted by EM in libstrata, with scikit-learn's
    conventions (sklearn.mixture.GaussianMixture).

    Parameters: n_components, covariance_type ('full', 'tied', 'diag',
    'spherical'), tol (bound on the change of the mean log-likelihood per
    row, as scikit-learn's; default 1e-3 as there), reg_covar, max_iter,
    n_init (restarts; the highest final log-likelihood is kept), init_params
    ('k-means++': means from k-means++ on a seeded sample of the rows, or
    'random': k distinct rows; then weights 1/k and every covariance the
    diagonal of the column variances plus reg_covar — Strata's start, not
    scikit-learn's k-means one), means_init (n_components × n_features in
    the data's units: the start of the means instead), random_state (an int
    is the seed of `strata fit --seed`).  Strata's own: scale ('none' by
    default), missing, backend (the k-means++ kernels; the E-step is plain
    C), n_threads.  The same data, options and seed give the bits of
    `strata fit --algorithm gmm`, for any n_threads.

    Attributes: weights_, means_ (the data's units), covariances_ (shaped as
    scikit-learn's for the covariance_type), precisions_,
    precisions_cholesky_, converged_, n_iter_, lower_bound_ (the mean
    log-likelihood per row at the final parameters), n_features_in_,
    feature_names_in_.  Covariances, precisions, score, bic and aic are in
    the scaled space the mixture was fitted in: the data's own units with
    scale='none'."""

    def __init__(self, n_components=1, *, covariance_type="full", tol=1e-3, reg_covar=1e-6, max_iter=100,
                 n_init=1, init_params="k-means++", means_init=None, random_state=None, scale="none",
                 missing="error", backend="auto", n_threads=None):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.means_init = means_init
        self.random_state = random_state
        self.scale = scale
        self.missing = missing
        self.backend = backend
        self.n_threads = n_threads

    def fit(self, X, y=None, sample_weight=None):
        """sample_weight (Strata's own; scikit-learn's GaussianMixture has
        none): a row of weight w counts w times in every M-step sum, the
        log-likelihood, BIC and AIC, and in the k-means++ or random start,
        as `strata fit --algorithm gmm --weights`."""
        self._fit(X, sample_weight)
        return self

    def fit_predict(self, X, y=None, sample_weight=None):
        """The labels of the training rows at the final parameters (arg max
        of the responsibilities; -1 for a row missing='drop' leaves out)."""
        return self._fit(X, sample_weight)

    def _fit(self, X, sample_weight=None):
        a = self._validate(X, reset=True)
        n, d = a.shape
        w = _sample_weights(sample_weight, n)
        k = _int_param(self.n_components, "n_components")
        if k > n:
            raise ValueError("Expected n_samples >= n_components but got n_components = %d, n_samples = %d"
                             % (k, n))
        if self.covariance_type not in _COV:
            raise ValueError("covariance_type must be one of %s, got %r" % (", ".join(_COV), self.covariance_type))
        _int_param(self.max_iter, "max_iter")
        n_init = _int_param(self.n_init, "n_init")
        if not (float(self.tol) >= 0):
            raise ValueError("tol must be >= 0, got %r" % (self.tol,))
        if not (float(self.reg_covar) >= 0):
            raise ValueError("reg_covar must be >= 0, got %r" % (self.reg_covar,))
        means = None
        if self.means_init is not None:
            means = np.ascontiguousarray(np.asarray(self.means_init, dtype=np.float64))
            if means.shape != (k, d):
                raise ValueError("The parameter 'means' should have the shape of (%d, %d), but got %s"
                                 % (k, d, means.shape))
        elif self.init_params not in ("k-means++", "random"):
            raise ValueError("init_params must be 'k-means++' or 'random' (Strata does not offer scikit-learn's "
                             "'kmeans' or 'random_from_data' starts), got %r" % (self.init_params,))
        p = make_params(k, self.scale, self.missing, None if means is not None else self.init_params, n_init,
                        self.max_iter, self.tol, _seed(self.random_state), means)
        p.algorithm = b"gmm"
        p.covariance_type = _COV[self.covariance_type]
        p.reg_covar = float(self.reg_covar)
        labels = self._fit_engine(a, p, self.n_threads, self.backend, w)
        self._set_fitted()
        return labels

    def _set_fitted(self):
        mi = self._info()
        k, d = mi.k, mi.d
        ctype = mi.covariance_type.decode()
        ncov = {"full": k * d * d, "tied": d * d, "diag": k * d, "spherical": k}[ctype]
        shape = {"full": (k, d, d), "tied": (d, d), "diag": (k, d), "spherical": (k,)}[ctype]
        self.weights_ = np.ctypeslib.as_array(mi.weights, shape=(k,)).copy()
        self.means_ = np.ctypeslib.as_array(mi.centroids_original, shape=(k * d,)).reshape(k, d).copy()
        self.covariances_ = np.ctypeslib.as_array(mi.covariances, shape=(ncov,)).reshape(shape).copy()
        self.precisions_cholesky_, self.precisions_ = _cholesky_precisions(self.covariances_, ctype)
        self.converged_ = bool(mi.converged)
        self.n_iter_ = int(mi.iterations)
        self.lower_bound_ = float(mi.log_likelihood)
        self._ctype = ctype

    def _soft(self, X, want_prob):
        """Labels, probabilities (or None), the mean log-likelihood and the
        rows assigned."""
        self._check_fitted()
        a = self._validate(X, reset=False)
        n, k = a.shape[0], self._info().k
        labels = np.empty(n, dtype=np.int32)
        prob = np.empty((n, k), dtype=np.float32) if want_prob else None
        ll, inertia, sizes = c_double(), c_double(), (c_int64 * k)()
        with Context(self.n_threads, self.backend) as ctx, _Borrowed(a, self._names()) as ds:
            ctx.call(lib.strata_assign_memory_soft, self._model._ptr, ds, 0, labels.ctypes.data_as(c_void_p), None,
                     None if prob is None else prob.ctypes.data_as(c_void_p), ctypes.byref(ll),
                     ctypes.byref(inertia), sizes)
        return labels, prob, ll.value, int(sum(sizes))

    def predict(self, X):
        """The component of each row (arg max of the responsibilities)."""
        return self._soft(X, False)[0]

    def predict_proba(self, X):
        """Each row's probability of each component, float64 (computed in
        float64, stored as float32: the bits of `strata assign --soft`)."""
        return self._soft(X, True)[1].astype(np.float64)

    def score(self, X, y=None):
        """The mean log-likelihood per row of X (scikit-learn's score)."""
        return self._soft(X, False)[2]

    def _n_parameters(self):
        k, d = self.means_.shape
        cov = {"full": k * d * (d + 1) / 2.0, "diag": k * d, "tied": d * (d + 1) / 2.0,
               "spherical": k}[self._ctype]
        return int(cov + k * d + k - 1)

    def bic(self, X):
        """Bayesian information criterion of X (scikit-learn's definition)."""
        _, _, ll, n = self._soft(X, False)
        return -2.0 * ll * n + self._n_parameters() * np.log(n)

    def aic(self, X):
        """Akaike information criterion of X (scikit-learn's definition)."""
        _, _, ll, n = self._soft(X, False)
        return -2.0 * ll * n + 2 * self._n_parameters()
