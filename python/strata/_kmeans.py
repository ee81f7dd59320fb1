"""strata.KMeans: scikit-learn's KMeans conventions over libstrata.

The array is borrowed, not copied (_base.py); the training rows' labels
come back from the fit itself (strata_fit_memory) and predict's through
strata_assign_memory, so nothing goes through a file."""
import numpy as np

from ._base import BaseEstimator, ClusterMixin, TransformerMixin, _sample_weights, _StrataEstimator, _seed
from ._model import make_params


class KMeans(_StrataEstimator, ClusterMixin, TransformerMixin, BaseEstimator):
    """k-means (Lloyd) by libstrata, with scikit-learn's conventions.

    Parameters follow sklearn.cluster.KMeans: n_clusters, init ('k-means++',
    'random' or a (n_clusters, n_features) array in the data's units; also
    'k-means||', `strata fit --init k-means||`),
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

    def _run_assign(self, a):
        return self._assign(a, self.n_threads, self.backend)

    # -------------------------------------------------------------- API
    def fit(self, X, y=None, sample_weight=None):
        a = self._validate(X, reset=True)
        n, d = a.shape
        w = _sample_weights(sample_weight, n)
        if w is not None:
            if np.all(w == w[0]):
                w = None  # uniform weights: the unweighted fit, bit for bit (k-means is scale-free in them)
            elif type(self) not in (KMeans, MiniBatchKMeans):
                raise NotImplementedError("%s: libstrata weights rows for KMeans and MiniBatchKMeans only so far"
                                          % type(self).__name__)
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
            if init not in ("k-means++", "k-means||", "random"):
                raise ValueError("init must be 'k-means++', 'k-means||', 'random' or an array, got %r" % init)
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
        self._more_params(p)
        # The fit hands back the training rows' labels (its final assignment).
        self.labels_ = self._fit_engine(a, p, self.n_threads, self.backend, w)
        self._set_fitted()
        return self

    def _more_params(self, p):
        """What a subclass sets in the fit parameters beyond KMeans'."""

    def _set_fitted(self):
        mi = self._info()
        k, d = mi.k, mi.d
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


class MiniBatchKMeans(KMeans):
    """Mini-batch k-means by libstrata (`strata fit --algorithm minibatch`).

    Parameters as KMeans, plus batch_size: rows per batch, rounded up to
    whole blocks of 4096 rows (the batches are seeded draws of whole
    blocks; scikit-learn's default of 1024 becomes one block).  max_iter
    counts batches (scikit-learn's counts passes over the data); the run
    also stops when the batch inertia's moving average has not improved
    for 10 batches (scikit-learn's max_no_improvement).  tol is not used.
    Results are the same bits as the command with the same data, seed and
    --batch-rows, for any n_threads."""

    def __init__(self, n_clusters=8, *, init="k-means++", max_iter=300, batch_size=16384, n_init="auto", tol=1e-4,
                 random_state=None, scale="none", missing="error", backend="auto", n_threads=None):
        super().__init__(n_clusters, init=init, n_init=n_init, max_iter=max_iter, tol=tol, random_state=random_state,
                         scale=scale, missing=missing, backend=backend, n_threads=n_threads)
        self.batch_size = batch_size

    def _more_params(self, p):
        if not isinstance(self.batch_size, (int, np.integer)) or isinstance(self.batch_size, bool) or \
                self.batch_size < 1:
            raise ValueError("batch_size must be an integer >= 1, got %r" % (self.batch_size,))
        self._algorithm = b"minibatch"  # kept alive for the call
        p.algorithm = self._algorithm
        p.batch_rows = int(self.batch_size)

