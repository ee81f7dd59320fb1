"""Loads libstrata and declares the C functions the package calls.

ctypes in ABI mode: nothing is compiled, so the package installs anywhere
the shared library runs.  Struct layouts mirror include/strata/strata.h;
the parameters struct is checked against the library's own size on every
call (see fit_params)."""
import ctypes
import ctypes.util
import os
import signal
import threading
import warnings

c_int, c_size_t, c_double, c_char_p, c_void_p = (ctypes.c_int, ctypes.c_size_t, ctypes.c_double,
                                                 ctypes.c_char_p, ctypes.c_void_p)
c_int64, c_uint64, c_int32, c_float = ctypes.c_int64, ctypes.c_uint64, ctypes.c_int32, ctypes.c_float
P = ctypes.POINTER


class StrataError(Exception):
    """A failed libstrata call: `message` is Strata's one-line detail (what the
    command prints after "strata: error: "), `status` the strata_status code,
    `status_name` its name ("STRATA_ERR_COLUMN") and `exit_code` what the
    command would exit with (2 bad input, 1 runtime failure)."""

    def __init__(self, message, status, status_name="", exit_code=1):
        super().__init__(message)
        self.message = message
        self.status = status
        self.status_name = status_name
        self.exit_code = exit_code


class StrataInputError(StrataError, ValueError):
    """Bad input or usage (exit code 2): also a ValueError, as scikit-learn expects."""


class StrataRuntimeError(StrataError, RuntimeError):
    """A runtime failure (exit code 1): writing, reading, memory, a backend."""


class StrataWarning(UserWarning):
    """A warning libstrata logged ("column 'x' is constant; kept unscaled")."""


# ------------------------------------------------------------------ structs

class FitParams(ctypes.Structure):
    _fields_ = [("size", c_size_t), ("k", c_int), ("scale", c_int), ("missing", c_int), ("init", c_int),
                ("init_centroids", P(c_double)), ("n_init", c_int), ("max_iter", c_int), ("tol", c_double),
                ("seed", c_uint64), ("chunk_rows", c_size_t), ("init_sample", c_size_t),
                ("categorical_weight", c_double), ("labels_path", c_char_p), ("model_path", c_char_p),
                ("mem_limit", c_uint64), ("streaming", c_int), ("progress", c_void_p),
                ("progress_user", c_void_p), ("parent", c_void_p), ("parent_path", c_char_p),
                ("warm_start", c_int), ("algorithm", c_char_p), ("covariance_type", c_int),
                ("reg_covar", c_double), ("soft", c_int), ("distance_threshold", c_double),
                ("eps", c_double), ("min_samples", c_int), ("ward_mode", c_int), ("ward_micro", c_int),
                ("eps_auto", c_int), ("eps_sample", c_size_t),
                ("checkpoint_path", c_char_p), ("checkpoint_every", c_int), ("resume_path", c_char_p),
                ("transforms", c_char_p), ("refine", c_int), ("batch_rows", c_size_t)]


class IterStats(ctypes.Structure):
    _fields_ = [("inertia", c_double), ("shift", c_double), ("relocations", c_int64), ("seconds", c_double),
                ("rows_per_second", c_double)]


class ModelInfo(ctypes.Structure):
    _fields_ = [("k", c_int), ("d", c_int), ("features", P(c_char_p)), ("centroids", P(c_double)),
                ("centroids_original", P(c_double)), ("scale_shift", P(c_double)), ("scale_factor", P(c_double)),
                ("impute", P(c_double)), ("sizes", P(c_int64)), ("inertia", c_double), ("iterations", c_int),
                ("converged", c_int), ("n_init", c_int), ("best_init", c_int), ("seed", c_uint64),
                ("tol", c_double), ("max_iter", c_int), ("init", c_char_p), ("scale", c_char_p),
                ("missing", c_char_p), ("backend", c_char_p), ("backend_reason", c_char_p), ("mode", c_char_p),
                ("input_file", c_char_p), ("input_location", c_char_p), ("n_categorical", c_int),
                ("categorical", P(c_char_p)), ("feature_group", P(c_int)), ("categorical_weight", c_double),
                ("rows", c_uint64), ("rows_dropped", c_uint64), ("version", c_char_p), ("created", c_char_p),
                ("seconds", c_double), ("n_iter_stats", c_int), ("iter_stats", P(IterStats)),
                ("parent_path", c_char_p), ("parent_created", c_char_p), ("parent_segment", P(c_int)),
                ("parent_distance", P(c_double)), ("train_mean", P(c_double)), ("train_std", P(c_double)),
                ("train_mean_distance", P(c_double)), ("estimator", c_char_p),
                # a Gaussian mixture
                ("covariance_type", c_char_p), ("weights", P(c_double)), ("covariances", P(c_double)),
                ("reg_covar", c_double), ("log_likelihood", c_double), ("bic", c_double), ("aic", c_double),
                # Ward
                ("n_merges", c_int), ("merges", P(c_double)), ("distance_threshold", c_double),
                # DBSCAN
                ("eps", c_double), ("min_samples", c_int), ("n_core", c_int), ("core_points", P(c_double)),
                ("core_segment", P(c_int32)),
                # two-step Ward, eps auto, resume, transforms, refinement, mini-batch
                ("n_micro", c_int), ("micro_centroids", P(c_double)), ("micro_sizes", P(c_int64)),
                ("n_kdist", c_int), ("kdist", P(c_double)), ("kdist_sample", c_uint64),
                ("resumed_run", c_int), ("resumed_iteration", c_int), ("transform_kind", P(c_int)),
                ("transform_param", P(c_double)), ("refine", c_char_p), ("refine_trials", c_int),
                ("refine_swaps", c_int), ("batch_rows", c_uint64),
                # row weights
                ("weight_column", c_char_p)]


class FeatureProfile(ctypes.Structure):
    _fields_ = [("count", c_uint64), ("mean", c_double), ("std", c_double), ("min", c_double), ("max", c_double),
                ("median", c_double), ("z", c_double)]


class SegmentProfile(ctypes.Structure):
    _fields_ = [("size", c_int64), ("share", c_double), ("features", P(FeatureProfile)), ("ntop", c_int),
                ("top", c_int * 3), ("description", c_char_p)]


class Profile(ctypes.Structure):
    _fields_ = [("k", c_int), ("d", c_int), ("features", P(c_char_p)), ("feature_group", P(c_int)),
                ("n_categorical", c_int), ("categorical", P(c_char_p)), ("population", P(FeatureProfile)),
                ("segments", P(SegmentProfile)), ("rows", c_uint64), ("rows_dropped", c_uint64),
                ("medians_exact", c_int), ("median_rank_error", c_double), ("labels", c_char_p)]


class FeatureChoice(ctypes.Structure):
    _fields_ = [("n", c_size_t), ("features", P(c_char_p)), ("n_left_out", c_size_t), ("left_out", P(c_char_p)),
                ("reasons", P(c_char_p)), ("marked", P(c_int)), ("transforms", c_char_p)]


LOG_FN = ctypes.CFUNCTYPE(None, c_int, c_char_p, c_void_p)

# ------------------------------------------------------------------ loading

_SIGNATURES = {
    "strata_status_name": (c_char_p, [c_int]),
    "strata_status_exit_code": (c_int, [c_int]),
    "strata_last_error": (c_char_p, []),
    "strata_version": (c_char_p, []),
    "strata_ctx_new": (c_void_p, []),
    "strata_ctx_free": (None, [c_void_p]),
    "strata_ctx_set_threads": (c_int, [c_void_p, c_int]),
    "strata_ctx_set_backend": (c_int, [c_void_p, c_char_p]),
    "strata_ctx_set_log": (None, [c_void_p, LOG_FN, c_void_p, c_int]),
    "strata_ctx_cancel": (None, [c_void_p]),
    "strata_dataset_open": (c_int, [c_char_p, c_char_p, P(c_char_p), c_size_t, P(c_void_p)]),
    "strata_dataset_add_categorical": (c_int, [c_void_p, P(c_char_p), c_size_t, c_void_p, c_void_p]),
    "strata_dataset_from_strided": (c_int, [c_void_p, c_int, c_size_t, c_size_t, ctypes.c_ssize_t,
                                            ctypes.c_ssize_t, P(c_char_p), P(c_void_p)]),
    "strata_dataset_free": (None, [c_void_p]),
    "strata_dataset_set_weights": (c_int, [c_void_p, c_void_p]),
    "strata_dataset_rows": (c_size_t, [c_void_p]),
    "strata_dataset_cols": (c_size_t, [c_void_p]),
    "strata_fit_params_init": (None, [c_void_p]),
    "strata_fit": (c_int, [c_void_p, c_void_p, P(FitParams), P(c_void_p)]),
    "strata_assign": (c_int, [c_void_p, c_void_p, c_void_p, c_char_p, c_size_t, P(c_double), P(c_int64)]),
    "strata_assign_memory": (c_int, [c_void_p, c_void_p, c_void_p, c_size_t, c_void_p, c_void_p, P(c_double),
                                     P(c_int64)]),
    "strata_assign_memory_soft": (c_int, [c_void_p, c_void_p, c_void_p, c_size_t, c_void_p, c_void_p, c_void_p,
                                          P(c_double), P(c_double), P(c_int64)]),
    "strata_fit_memory": (c_int, [c_void_p, c_void_p, P(FitParams), c_void_p, c_void_p, P(c_void_p)]),
    "strata_model_open_data": (c_int, [c_void_p, c_char_p, c_char_p, P(c_void_p)]),
    "strata_model_save": (c_int, [c_void_p, c_char_p]),
    "strata_model_load": (c_int, [c_char_p, P(c_void_p)]),
    "strata_model_free": (None, [c_void_p]),
    "strata_model_get_info": (P(ModelInfo), [c_void_p]),
    "strata_profile_compute": (c_int, [c_void_p, c_void_p, c_void_p, c_char_p, c_size_t, P(c_void_p)]),
    "strata_profile_free": (None, [c_void_p]),
    "strata_choose_features": (c_int, [c_void_p, c_char_p, c_char_p, P(c_char_p), c_size_t, P(c_char_p), c_size_t,
                                       P(P(FeatureChoice))]),
    "strata_feature_choice_free": (None, [P(FeatureChoice)]),
}


def _candidates():
    env = os.environ.get("STRATA_LIBRARY")
    if env:
        # Named on purpose: no silent fallback to another copy.
        return [env]
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib")
    out = [os.path.join(here, n) for n in ("libstrata.so.0", "libstrata.so") if os.path.exists(os.path.join(here, n))]
    found = ctypes.util.find_library("strata")
    return out + ["libstrata.so.0"] + ([found] if found else [])


def _load():
    # libgomp reads its wait policy once, as it loads: idle OpenMP workers
    # then sleep instead of spinning, which on a shared server takes the
    # cores from the chunk reader and from other jobs (as the CLI does,
    # cli/main.c), unless the user chose.  A libgomp already loaded by
    # another package keeps its own setting.
    if "OMP_WAIT_POLICY" not in os.environ and "GOMP_SPINCOUNT" not in os.environ:
        os.environ["OMP_WAIT_POLICY"] = "passive"
    errors = []
    for cand in _candidates():
        try:
            lib = ctypes.CDLL(cand)
        except OSError as e:
            errors.append("%s: %s" % (cand, e))
            continue
        for name, (res, args) in _SIGNATURES.items():
            fn = getattr(lib, name)
            fn.restype, fn.argtypes = res, args
        return lib, cand
    raise ImportError("strata: cannot load libstrata (set STRATA_LIBRARY to its path): " + "; ".join(errors))


lib, library_path = _load()


def _s(b):
    return b.decode("utf-8", "replace") if b is not None else None


def check(status, detail=None):
    """Raises the StrataError of a failed call.  The detail is thread-local in
    libstrata: read here when the call ran on this thread, else passed in."""
    if status == 0:
        return
    msg = _s(detail if detail is not None else lib.strata_last_error()) or _s(lib.strata_status_name(status))
    code = lib.strata_status_exit_code(status)
    cls = StrataInputError if code == 2 else StrataRuntimeError
    raise cls(msg, status, _s(lib.strata_status_name(status)), code)


def fit_params():
    """A strata_fit_params from strata_fit_params_init.  init writes the
    library's sizeof: a buffer with room to spare, then the size compared,
    so a library whose struct grew is refused instead of overrun."""
    buf = ctypes.create_string_buffer(ctypes.sizeof(FitParams) + 1024)
    lib.strata_fit_params_init(buf)
    p = FitParams.from_buffer_copy(buf)
    if p.size != ctypes.sizeof(FitParams):
        raise ImportError("strata: libstrata's strata_fit_params is %d bytes, this package knows %d: "
                          "the library and the package differ in version" % (p.size, ctypes.sizeof(FitParams)))
    return p


class Context:
    """A strata_ctx for one call: threads, backend, and a log sink whose
    messages become StrataWarning once the call returns (libstrata may log
    from worker threads; warnings are raised on the caller's)."""

    def __init__(self, n_threads=None, backend=None):
        self.ptr = lib.strata_ctx_new()
        if not self.ptr:
            raise MemoryError("strata_ctx_new")
        self._lock = threading.Lock()
        self._messages = []

        def sink(level, msg, user):
            with self._lock:
                self._messages.append(_s(msg))

        self._sink = LOG_FN(sink)  # kept alive as long as the ctx
        lib.strata_ctx_set_log(self.ptr, self._sink, None, 1)  # up to STRATA_LOG_WARN
        if n_threads is not None:
            check(lib.strata_ctx_set_threads(self.ptr, int(n_threads)))
        if backend is not None:
            check(lib.strata_ctx_set_backend(self.ptr, backend.encode()))

    def call(self, fn, *args):
        """fn(self.ptr, *args), a long libstrata call.  From the main thread
        under Python's default SIGINT handler, the call runs on a worker
        thread while a handler of ours turns Ctrl-C into strata_ctx_cancel
        (the call stops at its next chunk and removes its outputs), then
        raises KeyboardInterrupt once the call has ended: the arrays and
        handles it uses are freed only after that.  Elsewhere (another thread,
        a custom SIGINT handler) it simply runs here.  Raises the StrataError
        of a failed call."""
        if (threading.current_thread() is not threading.main_thread()
                or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
            check(fn(self.ptr, *args))
            return
        out = {}
        interrupted = []

        def work():
            st = fn(self.ptr, *args)
            out["status"] = st
            if st:
                out["detail"] = lib.strata_last_error()

        def on_sigint(signum, frame):
            interrupted.append(signum)
            lib.strata_ctx_cancel(self.ptr)

        old = signal.signal(signal.SIGINT, on_sigint)
        try:
            t = threading.Thread(target=work, name="strata-call", daemon=True)
            t.start()
            while t.is_alive():
                t.join(0.05)
        finally:
            signal.signal(signal.SIGINT, old)
        if interrupted:
            raise KeyboardInterrupt
        check(out["status"], out.get("detail"))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        lib.strata_ctx_free(self.ptr)
        self.ptr = None
        with self._lock:
            msgs, self._messages = self._messages, []
        for m in msgs:
            warnings.warn(m, StrataWarning, stacklevel=3)
        return False


def names_array(names):
    arr = (c_char_p * len(names))(*[n.encode("utf-8") for n in names])
    return arr


def version():
    return _s(lib.strata_version())
