"""strata.Ward: scikit-learn's AgglomerativeClustering(linkage='ward')
conventions over the engine of `strata fit --algorithm ward`."""
import numpy as np

from ._base import BaseEstimator, ClusterMixin, _int_param, _StrataEstimator
from ._model import make_params


class Ward(_StrataEstimator, ClusterMixin, BaseEstimator):
    """Ward's agglomerative clustering by libstrata (the nearest-neighbour
    chain on cluster centroids: memory O(n·d), time O(n²·d)), with the
    conventions of sklearn.cluster.AgglomerativeClustering(linkage='ward').

    Parameters: n_clusters (cut the tree into that many segments) or
    distance_threshold (make every merge of height <= it; exactly one of the
    two is None, as in scikit-learn — which merges below the threshold
    only, a difference at exact ties alone).  Strata's own: scale ('none'),
    missing ('error', 'drop', 'mean', 'median'), n_threads.  The same data
    and options give the bits of `strata fit --algorithm ward`.

    Attributes: labels_ (segments numbered by their first row; -1 for rows
    missing='drop' leaves out), n_clusters_, children_ and distances_ (the
    merges in scikit-learn's convention: leaves 0..n_leaves_-1 are the kept
    rows in order, merge i makes node n_leaves_ + i; heights in the scaled
    space, the data's units with scale='none'), n_leaves_,
    n_connected_components_ (1), n_features_in_, feature_names_in_.
    predict (Strata's addition) gives new rows the segment of the nearest
    segment centroid, as `strata assign` does."""

    def __init__(self, n_clusters=2, *, distance_threshold=None, scale="none", missing="error", n_threads=None):
        self.n_clusters = n_clusters
        self.distance_threshold = distance_threshold
        self.scale = scale
        self.missing = missing
        self.n_threads = n_threads

    def fit(self, X, y=None):
        a = self._validate(X, reset=True)
        n = a.shape[0]
        if (self.n_clusters is None) == (self.distance_threshold is None):
            raise ValueError("Exactly one of n_clusters and distance_threshold has to be set, and the other "
                             "needs to be None.")
        if self.distance_threshold is not None:
            t = float(self.distance_threshold)
            if not t >= 0:
                raise ValueError("distance_threshold must be >= 0, got %r" % (self.distance_threshold,))
            # a threshold of 0 makes no merge of a positive height: n segments
            k, threshold = (n, 0.0) if t == 0 else (1, t)
        else:
            k, threshold = _int_param(self.n_clusters, "n_clusters"), 0.0
            if k > n:
                raise ValueError("Cannot extract more clusters than samples: %d clusters were given for a tree "
                                 "with %d leaves." % (k, n))
        p = make_params(k, self.scale, self.missing, "k-means++", 1, 300, 1e-4, 0)
        p.algorithm = b"ward"
        p.distance_threshold = threshold
        self.labels_ = self._fit_engine(a, p, self.n_threads, None)
        mi = self._info()
        merges = np.ctypeslib.as_array(mi.merges, shape=(mi.n_merges * 4,)).reshape(mi.n_merges, 4) \
            if mi.n_merges else np.empty((0, 4))
        self.children_ = merges[:, :2].astype(np.intp)
        self.distances_ = merges[:, 2].copy()
        self.n_leaves_ = int(mi.n_merges) + 1
        self.n_clusters_ = int(mi.k)
        self.n_connected_components_ = 1
        return self

    def fit_predict(self, X, y=None):
        return self.fit(X).labels_

    def predict(self, X):
        """The segment of the nearest segment centroid (scaled space)."""
        self._check_fitted()
        return self._assign(self._validate(X, reset=False), self.n_threads, None)[0]
