"""Models and the out-of-core route: fit_h5, open_model, Model.assign and
Model.profile run the engine of the `strata` command on HDF5 files; only
the results (a model, counts, a profile table) come back to Python."""
import ctypes
import os
import warnings

import numpy as np

from ._lib import (Context, FeatureChoice, FitParams, Profile, StrataInputError, StrataRuntimeError, _s, c_double, c_int64, c_void_p, check,
                   fit_params, lib, names_array)

_SCALE = {"zscore": 0, "minmax": 1, "none": 2, "robust": 3}
_MISSING = {"error": 0, "drop": 1, "mean": 2, "median": 3}
_INIT = {"k-means++": 0, "random": 1, "k-means||": 3}


def _enum(table, what, value):
    if value not in table:
        raise StrataInputError("unknown %s '%s' (expected one of %s)" % (what, value, ", ".join(table)), 1,
                               "STRATA_ERR_USAGE", 2)
    return table[value]


def _fspath(p):
    return None if p is None else os.fsencode(p)


def _arr(ptr, n, dtype=np.float64):
    if not ptr or n == 0:
        return None if not ptr else np.empty(0, dtype)
    return np.ctypeslib.as_array(ptr, shape=(n,)).astype(dtype, copy=True)


def _strings(ptr, n):
    return [_s(ptr[i]) for i in range(n)] if ptr else []


class Model:
    """A fitted segmentation model (strata_model).  `info` is a dict of
    everything the model records (strata_model_info); arrays are copies."""

    def __init__(self, ptr, path=None):
        self._ptr = ptr
        self.path = None if path is None else os.fspath(path)  # the file it was loaded from or saved to

    def __del__(self):
        if getattr(self, "_ptr", None):
            lib.strata_model_free(self._ptr)
            self._ptr = None

    @property
    def info(self):
        mi = lib.strata_model_get_info(self._ptr).contents
        k, d = mi.k, mi.d
        out = {f: getattr(mi, f) for f in ("k", "d", "inertia", "iterations", "converged", "n_init",
                                            "best_init", "seed", "tol", "max_iter", "n_categorical",
                                            "categorical_weight", "rows", "rows_dropped", "seconds")}
        for f in ("init", "scale", "missing", "backend", "backend_reason", "mode", "input_file", "input_location",
                  "version", "created", "parent_path", "parent_created", "estimator", "refine"):
            out[f] = _s(getattr(mi, f))
        out["batch_rows"] = mi.batch_rows
        out["weight_column"] = _s(mi.weight_column) if mi.weight_column else None
        out["converged"] = bool(out["converged"])
        out["features"] = _strings(mi.features, d)
        out["categorical"] = _strings(mi.categorical, mi.n_categorical)
        out["centroids"] = _arr(mi.centroids, k * d).reshape(k, d)
        out["centroids_original"] = _arr(mi.centroids_original, k * d).reshape(k, d)
        for f in ("scale_shift", "scale_factor", "impute", "train_mean", "train_std"):
            out[f] = _arr(getattr(mi, f), d)
        out["train_mean_distance"] = _arr(mi.train_mean_distance, k)
        out["sizes"] = _arr(mi.sizes, k, np.int64)
        out["inertia_per_iteration"] = np.array([mi.iter_stats[i].inertia for i in range(mi.n_iter_stats)])
        out["seconds_per_iteration"] = np.array([mi.iter_stats[i].seconds for i in range(mi.n_iter_stats)])
        # each method's own fields (strata_model_info)
        if mi.weights:
            ctype = _s(mi.covariance_type)
            ncov = {"full": k * d * d, "tied": d * d, "diag": k * d, "spherical": k}[ctype]
            out.update(covariance_type=ctype, weights=_arr(mi.weights, k), covariances=_arr(mi.covariances, ncov),
                       reg_covar=mi.reg_covar, log_likelihood=mi.log_likelihood, bic=mi.bic, aic=mi.aic)
        if mi.merges:
            out.update(merges=_arr(mi.merges, 4 * mi.n_merges).reshape(mi.n_merges, 4),
                       distance_threshold=mi.distance_threshold)
        if mi.core_points:
            out.update(eps=mi.eps, min_samples=mi.min_samples,
                       core_points=_arr(mi.core_points, mi.n_core * d).reshape(mi.n_core, d),
                       core_segment=_arr(mi.core_segment, mi.n_core, np.int32))
        return out

    def save(self, path):
        check(lib.strata_model_save(self._ptr, _fspath(path)))
        self.path = os.fspath(path)

    def report(self, data_path, html_path, labels_path=None, title=None, location=None):
        """The HTML report of `strata report` (it lives in the command, not in
        libstrata): runs the `strata` command ($STRATA_COMMAND, else `strata`
        on PATH) on this model's file (saved to a temporary one if it has
        none).  Raises StrataError with the command's one-line error."""
        import subprocess
        import tempfile
        cmd = os.environ.get("STRATA_COMMAND", "strata")
        with tempfile.TemporaryDirectory() as tmp:
            model = self.path
            if model is None:
                model = os.path.join(tmp, "model.h5")
                check(lib.strata_model_save(self._ptr, _fspath(model)))
            argv = [cmd, "report", model, os.fspath(data_path), "-o", os.fspath(html_path), "-q"]
            if labels_path is not None:
                argv += ["--labels", os.fspath(labels_path)]
            if title is not None:
                argv += ["--title", title]
            if location is not None:
                argv += ["--dataset", location]
            try:
                r = subprocess.run(argv, capture_output=True, text=True)
            except OSError as e:
                raise StrataRuntimeError("cannot run '%s' (set STRATA_COMMAND): %s" % (cmd, e), 10,
                                         "STRATA_ERR_INTERNAL", 1)
        if r.returncode != 0:
            line = (r.stderr.strip().splitlines() or ["strata report failed"])[-1]
            line = line[len("strata: error: "):] if line.startswith("strata: error: ") else line
            cls = StrataInputError if r.returncode == 2 else StrataRuntimeError
            raise cls(line, None, "", r.returncode)
        return os.fspath(html_path)

    def _open(self, data_path, location):
        ds = c_void_p()
        check(lib.strata_model_open_data(self._ptr, _fspath(data_path), _fspath(location), ctypes.byref(ds)))
        return ds

    def assign(self, data_path, labels_path, location=None, n_threads=None, backend=None, chunk_rows=0):
        """Scores the table at data_path into labels_path (an HDF5 labels file,
        as `strata assign`); returns {"inertia", "sizes"}."""
        k = lib.strata_model_get_info(self._ptr).contents.k
        inertia, sizes = c_double(), (c_int64 * k)()
        with Context(n_threads, backend) as ctx:
            ds = self._open(data_path, location)
            try:
                ctx.call(lib.strata_assign, self._ptr, ds, _fspath(labels_path), chunk_rows,
                         ctypes.byref(inertia), sizes)
            finally:
                lib.strata_dataset_free(ds)
        return {"inertia": inertia.value, "sizes": np.array(sizes[:], dtype=np.int64)}

    def profile(self, data_path, labels_path=None, location=None, n_threads=None, chunk_rows=0):
        """Per segment and feature: size, share, mean, std, min, max, median and
        z (standardised difference from the population), as `strata profile`.
        A pandas DataFrame (one row per segment and feature, the population as
        segment -1) when pandas is importable, else a list of dicts."""
        out = c_void_p()
        with Context(n_threads, None) as ctx:
            ds = self._open(data_path, location)
            try:
                ctx.call(lib.strata_profile_compute, self._ptr, ds, _fspath(labels_path), chunk_rows,
                         ctypes.byref(out))
            finally:
                lib.strata_dataset_free(ds)
        try:
            rows = _profile_rows(ctypes.cast(out, ctypes.POINTER(Profile)).contents)
        finally:
            lib.strata_profile_free(out)
        try:
            import pandas as pd
        except ImportError:
            return rows
        return pd.DataFrame(rows)


def _profile_rows(pr):
    names = _strings(pr.features, pr.d)
    rows = []

    def add(seg, size, share, desc, feats):
        for j in range(pr.d):
            f = feats[j]
            rows.append({"segment": seg, "size": size, "share": share, "description": desc, "feature": names[j],
                         "count": f.count, "mean": f.mean, "std": f.std, "min": f.min, "max": f.max,
                         "median": f.median, "z": f.z})

    add(-1, int(pr.rows), 1.0, "all rows", pr.population)
    for s in range(pr.k):
        sp = pr.segments[s]
        add(s, sp.size, sp.share, _s(sp.description), sp.features)
    return rows


def open_model(path):
    """Loads a model file written by `strata fit` (or Model.save)."""
    m = c_void_p()
    check(lib.strata_model_load(_fspath(path), ctypes.byref(m)))
    return Model(m, path)


def make_params(k, scale, missing, init, n_init, max_iter, tol, seed, init_centroids=None):
    p = fit_params()
    p.k = int(k)
    p.scale = _enum(_SCALE, "scale", scale)
    p.missing = _enum(_MISSING, "missing-value rule", missing)
    if init_centroids is not None:
        p.init = 2  # STRATA_INIT_GIVEN
        p.init_centroids = init_centroids.ctypes.data_as(ctypes.POINTER(c_double))
    else:
        p.init = _enum(_INIT, "init", init)
    p.n_init, p.max_iter, p.tol, p.seed = int(n_init), int(max_iter), float(tol), int(seed)
    return p


def _choose_features(path, location, features, exclude, n_threads):
    """strata_choose_features: the command's feature choice.  Returns the
    chosen names, the age-days transforms of chosen dates ("" when none)
    and [(column, reason)] for the columns the default set leaves out."""
    out = ctypes.POINTER(FeatureChoice)()
    feats = names_array(list(features)) if features else None
    excl = names_array(list(exclude)) if exclude else None
    with Context(n_threads, None) as ctx:
        check(lib.strata_choose_features(ctx.ptr, _fspath(path), _fspath(location), feats,
                                         len(features) if features else 0, excl, len(exclude) if exclude else 0,
                                         ctypes.byref(out)))
    try:
        c = out.contents
        chosen = [_s(c.features[i]) for i in range(c.n)]
        left = [(_s(c.left_out[i]), _s(c.reasons[i])) for i in range(c.n_left_out)]
        transforms = _s(c.transforms) if c.transforms else ""
    finally:
        lib.strata_feature_choice_free(out)
    return chosen, transforms, left


def fit_h5(path, k, features=None, location=None, categorical=None, scale="zscore", missing="error",
           init="k-means++", n_init=1, max_iter=300, tol=1e-4, seed=0, model_path=None, labels_path=None,
           n_threads=None, backend=None, chunk_rows=0, streaming=False, exclude=None, transforms=None,
           weights=None):
    """`strata fit` from Python: streams the HDF5 table at path (group or 2-D
    dataset `location`, columns `features`, `categorical` one-hot) through
    libstrata.  The defaults are the command's (z-score scaling), the
    feature choice too: without `features`, identifier-like, boolean,
    date, sentinel-dominated and text columns are left out, each with a
    UserWarning saying why (`features` overrides; `exclude` removes
    columns either way); a chosen date is used as its age in days.
    `transforms` is the command's --transform ("income:log1p,...");
    `weights` the command's --weights (a column of the table weighing each
    row, left out of the features).  Writes model_path/labels_path when
    given; returns the Model."""
    if isinstance(features, str):
        features = [features]
    if isinstance(categorical, str):
        categorical = [categorical]
    if isinstance(exclude, str):
        exclude = [exclude]
    if weights and not features:
        exclude = list(exclude or []) + ([weights] if weights not in (exclude or []) else [])
    chosen, dates, left = _choose_features(path, location, features, exclude, n_threads)
    for name, why in left:
        if (not categorical or name not in categorical) and name != weights:
            warnings.warn("strata: left out '%s': %s" % (name, why), UserWarning, stacklevel=2)
    features = [f for f in chosen if not categorical or f not in categorical]
    spec = ",".join(t for t in (dates, transforms or "") if t)
    p = make_params(k, scale, missing, init, n_init, max_iter, tol, seed)
    p.chunk_rows, p.streaming = int(chunk_rows), int(bool(streaming))
    model_b, labels_b = _fspath(model_path), _fspath(labels_path)
    p.model_path, p.labels_path = model_b, labels_b
    spec_b = spec.encode() if spec else None
    p.transforms = spec_b
    ds = c_void_p()
    feats = names_array(list(features)) if features else None
    check(lib.strata_dataset_open(_fspath(path), _fspath(location), feats, len(features) if features else 0,
                                  ctypes.byref(ds)))
    m = c_void_p()
    try:
        if categorical:
            check(lib.strata_dataset_add_categorical(ds, names_array(list(categorical)), len(categorical), None,
                                                     None))
        if weights:
            wds = c_void_p()
            check(lib.strata_dataset_open(_fspath(path), _fspath(location), names_array([weights]), 1,
                                          ctypes.byref(wds)))
            check(lib.strata_dataset_set_weights(ds, wds))  # ds owns wds from here
        with Context(n_threads, backend) as ctx:
            ctx.call(lib.strata_fit, ds, ctypes.byref(p), ctypes.byref(m))
    finally:
        lib.strata_dataset_free(ds)
    return Model(m, model_path)


__all__ = ["Model", "open_model", "fit_h5", "FitParams"]
