"""Strata from Python: scikit-learn style estimators over libstrata (ctypes,
no compiled extension) and the out-of-core HDF5 route of the command.

    import strata
    km = strata.KMeans(n_clusters=6, random_state=0).fit(df)
    gm = strata.GaussianMixture(n_components=6, random_state=0).fit(df)
    strata.Ward(n_clusters=6).fit(df).labels_, strata.DBSCAN(eps=0.5).fit(df).labels_
    model = strata.fit_h5("customers.h5", 6, model_path="model.h5")
    strata.open_model("model.h5").profile("customers.h5")

See docs/PYTHON.md."""
from ._lib import StrataError, StrataInputError, StrataRuntimeError, StrataWarning, library_path, version
from ._model import Model, fit_h5, open_model
from ._kmeans import KMeans, MiniBatchKMeans
from ._gmm import GaussianMixture
from ._ward import Ward
from ._dbscan import DBSCAN

__version__ = "0.1.0"
__all__ = ["KMeans", "MiniBatchKMeans", "GaussianMixture", "Ward", "DBSCAN", "Model", "fit_h5", "open_model", "StrataError", "StrataInputError", "StrataRuntimeError",
           "StrataWarning", "library_path", "version"]
