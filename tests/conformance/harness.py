"""Run PyTorch's own OpInfo database against ember.

For every OpInfo that runs on CPU in float32, each sample (input, args, kwargs) is converted to
ember, the ember function of the same name is called, and outputs are compared with torch's; where
torch differentiates the op, input gradients under a random cotangent are compared too. The op
passes forward (resp. gradient) only when every sample passes, in float32 and in float64.

    python -m tests.conformance.harness            # pass rates per namespace
    python -m tests.conformance.harness add linalg.svd   # detail for some ops
    python -m tests.conformance.harness --complex        # also the complex-dtype pass rates
    python -m tests.conformance.harness --write-known    # regenerate known_failures.py

Random ops are not compared by value: their outputs must match torch's in shape and dtype, and
two calls after the same ``ember.manual_seed`` must agree (seeding works)."""
import collections
import sys
import types
import warnings

import numpy as np
import torch

import ember

DTYPES = (torch.float32, torch.float64)
COMPLEX = (torch.complex64, torch.complex128)
TOL = {torch.float32: dict(fwd=(1e-4, 1e-5), grad=(1e-3, 1e-4)),
       torch.float64: dict(fwd=(1e-7, 1e-9), grad=(1e-6, 1e-8)),
       torch.complex64: dict(fwd=(1e-4, 1e-5), grad=(1e-3, 1e-4)),
       torch.complex128: dict(fwd=(1e-7, 1e-9), grad=(1e-6, 1e-8))}
MAX_SAMPLES = 64
GAUGE = {"svd", "linalg.svd", "linalg.eig", "linalg.eigh"}   # a few OpInfos generate hundreds of samples; the first 64 cover every kind

# Ops whose outputs are random (or uninitialised): checked for shape, dtype and seeding only.
RANDOM = {
    "bernoulli", "normal", "multinomial", "uniform", "exponential", "cauchy", "geometric",
    "log_normal", "rand_like", "randn_like", "randint_like", "randint", "randn", "rand",
    "nn.functional.dropout", "nn.functional.dropout2d", "nn.functional.dropout3d",
    "nn.functional.alpha_dropout", "nn.functional.feature_alpha_dropout",
    "nn.functional.rrelu", "empty", "empty_like", "empty_strided", "empty_permuted",
    "new_empty", "new_empty_strided", "svd_lowrank", "pca_lowrank", "randperm",
    "nn.functional.gumbel_softmax", "nn.functional.fractional_max_pool2d",
    "nn.functional.fractional_max_pool3d",
}


def full_name(op):
    return op.name + ("." + op.variant_test_name if op.variant_test_name else "")


def namespace(op):
    head = op.name.split(".")[0]
    if head == "nn":
        return "nn.functional"
    return head if head in ("linalg", "fft", "special", "masked", "signal", "sparse") else "torch"


def load_op_db():
    from torch.testing._internal.common_methods_invocations import op_db
    return [op for op in op_db if torch.float32 in op.supported_dtypes("cpu")]


# --- converting torch values to ember --------------------------------------------------------

_DT = {getattr(torch, n): getattr(ember, n) for n in (
    "bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
    "float64", "complex64", "complex128")}


def to_ember(x, leaves):
    """Convert a torch sample value; tensors requiring grad become ember leaves recorded in
    ``leaves`` as (torch tensor, ember tensor) pairs."""
    if isinstance(x, torch.Tensor):
        t = x.detach().resolve_conj().resolve_neg()
        if t.dtype == torch.bfloat16:
            arr = t.float().numpy().astype(ember.bfloat16._np if hasattr(ember.bfloat16, "_np")
                                          else np.float32)
        else:
            arr = t.numpy().copy()
        e = ember.tensor(arr, requires_grad=bool(x.requires_grad))
        if x.requires_grad:
            leaves.append((x, e))
        return e
    if isinstance(x, torch.dtype):
        return _DT.get(x, x)
    if isinstance(x, torch.Size):
        return tuple(x)
    if isinstance(x, torch.device):
        return str(x)
    if isinstance(x, (torch.memory_format, torch.layout)):
        return getattr(ember, str(x).split(".")[-1])
    if isinstance(x, torch.Generator):
        return None
    if isinstance(x, torch.nn.PairwiseDistance):   # the one module an OpInfo passes as argument
        return ember.nn.PairwiseDistance(p=x.norm, eps=x.eps, keepdim=x.keepdim)
    if isinstance(x, (list, tuple)) and not hasattr(x, "_fields"):
        return type(x)(to_ember(v, leaves) for v in x)
    if isinstance(x, dict):
        return {k: to_ember(v, leaves) for k, v in x.items()}
    if callable(x) and not isinstance(x, type):
        return _rebind(x)
    return x


# --- resolving the ember callable ------------------------------------------------------------

def _lookup(path, root=ember):
    obj = root
    for part in path.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def _rebind(fn):
    """A test-suite lambda such as ``lambda x, *a: x.expand(*a)`` or one that calls
    ``torch.foo`` from its module globals: the same code with ``torch`` meaning ember."""
    if isinstance(fn, types.FunctionType) and fn.__module__.startswith("torch.testing"):
        g = dict(fn.__globals__)
        g["torch"] = ember
        if "F" in g:
            g["F"] = ember.nn.functional
        cells = None
        if fn.__closure__:
            cells = tuple(types.CellType(_map_value(c.cell_contents)) for c in fn.__closure__)
        return types.FunctionType(fn.__code__, g, fn.__name__, fn.__defaults__, cells)
    return _map_value(fn)


def _map_value(v):
    if isinstance(v, types.FunctionType) and v.__module__.startswith("torch.testing"):
        return _rebind(v)
    mod = getattr(v, "__module__", None) or ""
    name = getattr(v, "__name__", None)
    if not mod and name and getattr(torch.nn.functional, name, None) is v:
        mod = "torch.nn.functional"   # C builtins such as pairwise_distance carry no module
    if callable(v) and name and (mod.startswith("torch") or mod == "torch._C"):
        qual = getattr(v, "__qualname__", name)
        if "Tensor" in qual or "TensorBase" in qual:
            return _method_caller(name)
        for prefix, ns in (("torch.nn.functional", "nn.functional"), ("torch._C._linalg", "linalg"),
                           ("torch.linalg", "linalg"), ("torch._C._fft", "fft"),
                           ("torch.fft", "fft"), ("torch._C._special", "special"),
                           ("torch.special", "special"), ("torch._C._nn", "nn.functional")):
            if mod.startswith(prefix):
                short = name[len("linalg_"):] if name.startswith("linalg_") else name
                short = short[len("fft_"):] if short.startswith("fft_") else short
                short = short[len("special_"):] if short.startswith("special_") else short
                found = _lookup(f"{ns}.{short}")
                return found if found is not None else _missing(f"{ns}.{short}")
        found = _lookup(name)
        return found if found is not None else _missing(name)
    if v is torch:
        return ember
    return v


def _missing(name):
    def fn(*a, **k):
        raise AttributeError(f"ember has no {name}")
    return fn


def _method_caller(name):
    def call(self, *args, **kwargs):
        meth = getattr(self, name, None)
        if meth is None:
            raise AttributeError(f"ember.Tensor has no method {name}")
        return meth(*args, **kwargs)
    return call


def ember_callable(op):
    """The ember function for an OpInfo, or None."""
    fn = op.op
    if isinstance(fn, types.FunctionType) and fn.__module__.startswith("torch.testing"):
        return _rebind(fn)
    found = _lookup(op.name)
    if found is not None and callable(found) and not isinstance(found, type(ember.float32)):
        return found
    if op.method_variant is not None and op.name.split(".")[-1] in dir(ember.Tensor):
        return _method_caller(op.name)
    if op.name.startswith("__") or isinstance(fn, (types.MethodDescriptorType,
                                                   types.WrapperDescriptorType)):
        return _method_caller(getattr(fn, "__name__", op.name))
    return None


# --- comparing -------------------------------------------------------------------------------

class Mismatch(Exception):
    pass


def _flatten(x):
    if isinstance(x, (tuple, list)):
        out = []
        for v in x:
            out.extend(_flatten(v))
        return out
    return [x]


def compare(e, t, rtol, atol, what="output"):
    if isinstance(t, (tuple, list)):
        if not isinstance(e, (tuple, list)):
            raise Mismatch(f"{what}: torch gave {type(t).__name__}, ember {type(e).__name__}")
        if len(e) != len(t):
            raise Mismatch(f"{what}: {len(t)} results from torch, {len(e)} from ember")
        for i, (ee, tt) in enumerate(zip(e, t)):
            compare(ee, tt, rtol, atol, f"{what}[{i}]")
        return
    if isinstance(t, torch.Tensor):
        if not isinstance(e, ember.Tensor):
            raise Mismatch(f"{what}: torch gave a Tensor, ember {type(e).__name__}")
        if tuple(e.shape) != tuple(t.shape):
            raise Mismatch(f"{what}: shape {tuple(e.shape)}, torch {tuple(t.shape)}")
        if str(e.dtype) != str(t.dtype):
            raise Mismatch(f"{what}: dtype {e.dtype}, torch {t.dtype}")
        tt = t.detach().resolve_conj().resolve_neg()
        ta = (tt.float() if tt.dtype == torch.bfloat16 else tt).numpy(force=True)
        ea = np.asarray(e.detach()._array)
        if ea.dtype != ta.dtype:
            ea = ea.astype(ta.dtype)
        _close(ea, ta, rtol, atol, what)
        return
    if isinstance(t, (bool, int, float, complex)):
        if isinstance(e, ember.Tensor) or not isinstance(e, (bool, int, float, complex)):
            raise Mismatch(f"{what}: torch gave {type(t).__name__}, ember {type(e).__name__}")
        _close(np.asarray(e), np.asarray(t), rtol, atol, what)
        return
    if isinstance(t, torch.Size):
        if tuple(e) != tuple(t):
            raise Mismatch(f"{what}: {tuple(e)} vs torch {tuple(t)}")
        return
    if isinstance(t, torch.dtype):
        if str(e) != str(t):
            raise Mismatch(f"{what}: {e} vs torch {t}")
        return
    if t is None:
        if e is not None:
            raise Mismatch(f"{what}: torch gave None, ember {type(e).__name__}")
        return
    if e != t:
        raise Mismatch(f"{what}: {e!r} vs torch {t!r}")


def _close(ea, ta, rtol, atol, what):
    if ta.dtype.kind in "biu" or ta.dtype == np.bool_:
        if not np.array_equal(ea, ta):
            raise Mismatch(f"{what}: values differ (integer/bool)")
        return
    with np.errstate(all="ignore"):
        ok = np.isclose(ea, ta, rtol=rtol, atol=atol, equal_nan=True)
    if not ok.all():
        bad = np.argwhere(~ok)
        i = tuple(bad[0])
        raise Mismatch(f"{what}: {int((~ok).sum())}/{ok.size} values differ, e.g. at {i}: "
                       f"ember {ea[i]!r} vs torch {ta[i]!r}")


# --- running one OpInfo ----------------------------------------------------------------------

Result = collections.namedtuple("Result", "name namespace fwd grad reason samples")


def _short(exc):
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {msg}"[:200]


def _diff_outputs(out):
    return [o for o in _flatten(out) if isinstance(o, torch.Tensor) and o.requires_grad
            and (o.is_floating_point() or o.is_complex())]


def run_sample(op, fn, sample, dtype, rng, check_grad):
    """Compare one sample. Returns (fwd_ok, grad_ok, reason); raises nothing."""
    # attention with dropout in training draws a random mask: only shapes can match torch's
    is_random = (full_name(op) in RANDOM or op.name in RANDOM
                 or (sample.kwargs.get("dropout_p", 0) and sample.kwargs.get("training", True))
                 or (op.name == "nn.functional.multi_head_attention_forward"
                     and sample.kwargs.get("training")))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_out = op(sample.input, *sample.args, **sample.kwargs)
    except Exception:
        return None   # torch refuses this sample: nothing to compare
    leaves = []
    try:
        e_in = to_ember(sample.input, leaves)
        e_args = to_ember(sample.args, leaves)
        e_kwargs = to_ember(sample.kwargs, leaves)
    except Exception as exc:
        return False, False, "convert: " + _short(exc)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if is_random:
                ember.manual_seed(0)
            e_out = fn(e_in, *e_args, **e_kwargs)
            if is_random:
                ember.manual_seed(0)
                e_again = fn(to_ember(sample.input, []), *to_ember(sample.args, []),
                             **to_ember(sample.kwargs, []))
    except Exception as exc:
        return False, False, "fwd raised " + _short(exc)
    rtol, atol = TOL[dtype]["fwd"]
    try:
        if is_random:
            _same_meta(e_out, t_out)
            if not op.name.startswith(("empty", "new_empty")):
                for a, b in zip(_flatten(e_again), _flatten(e_out)):
                    if isinstance(a, ember.Tensor) and not np.array_equal(
                            np.asarray(a._array), np.asarray(b._array), equal_nan=True):
                        raise Mismatch("two calls after the same manual_seed differ")
            return True, True, ""
        if op.name in GAUGE:
            # singular/eigen vectors are defined up to sign or phase, and LAPACK builds choose
            # differently: compare the gauge-invariant values the OpInfo itself differentiates
            compare(_process_like(sample.output_process_fn_grad, e_out),
                    sample.output_process_fn_grad(t_out), rtol, atol)
        else:
            compare(e_out, t_out, rtol, atol)
    except Mismatch as exc:
        if not (dtype in _REFEREED and _f64_referee(op, sample, None, t_out, e_out, "fwd")):
            return False, False, "fwd " + str(exc)[:200]
    except Exception as exc:
        return False, False, "fwd compare " + _short(exc)
    if not check_grad or not leaves:
        return True, True, ""
    # gradients: same random cotangent for each differentiable output
    try:
        t_proc = sample.output_process_fn_grad(t_out)
        e_proc = _process_like(sample.output_process_fn_grad, e_out)
    except Exception as exc:
        return True, False, "grad output_process " + _short(exc)
    t_outs = _diff_outputs(t_proc)
    if not t_outs:
        return True, True, ""
    e_flat = [o for o in _flatten(e_proc)]
    t_flat = _flatten(t_proc)
    try:
        e_outs = []
        for o in t_outs:
            k = next(i for i, v in enumerate(t_flat) if v is o)
            e_outs.append(e_flat[k])
        cots = []
        for o in t_outs:
            c = rng.standard_normal(tuple(o.shape))
            if o.is_complex():
                c = c + 1j * rng.standard_normal(tuple(o.shape))
            cots.append(c)
        t_leaves = [t for t, _ in leaves]
        t_grads = torch.autograd.grad(
            t_outs, t_leaves, [torch.tensor(c, dtype=o.dtype) for c, o in zip(cots, t_outs)],
            allow_unused=True)
    except Exception:
        return True, True, ""   # torch itself cannot differentiate this sample
    try:
        for eo in e_outs:
            if not isinstance(eo, ember.Tensor) or not eo.requires_grad:
                raise Mismatch("output does not require grad in ember")
        e_grads = ember.autograd.grad(
            e_outs, [e for _, e in leaves],
            [ember.tensor(c.astype(_np_dtype(o))) for c, o in zip(cots, t_outs)],
            allow_unused=True)
    except Mismatch as exc:
        return True, False, "grad " + str(exc)
    except Exception as exc:
        return True, False, "grad raised " + _short(exc)
    rtol, atol = TOL[dtype]["grad"]
    try:
        for i, (eg, tg) in enumerate(zip(e_grads, t_grads)):
            if tg is None:
                if eg is not None and np.any(np.asarray(eg._array) != 0):
                    raise Mismatch(f"grad[{i}]: torch None, ember nonzero")
                continue
            if eg is None:
                if torch.any(tg != 0):
                    raise Mismatch(f"grad[{i}]: ember None, torch nonzero")
                continue
            compare(eg, tg, rtol, atol, f"grad[{i}]")
    except Mismatch as exc:
        if dtype in _REFEREED and _f64_referee(op, sample, cots, t_grads, e_grads, "grad"):
            return True, True, ""
        return True, False, "grad " + str(exc)[:200]
    except Exception as exc:
        return True, False, "grad compare " + _short(exc)
    return True, True, ""


# single-precision dtypes whose mismatches torch in double precision referees
_REFEREED = {torch.float32: torch.float64, torch.complex64: torch.complex128}


def _double(x):
    if isinstance(x, torch.Tensor):
        if x.dtype in _REFEREED:
            return x.detach().to(_REFEREED[x.dtype]).requires_grad_(x.requires_grad)
        return x
    if isinstance(x, (list, tuple)) and not hasattr(x, "_fields"):
        return type(x)(_double(v) for v in x)
    if isinstance(x, dict):
        return {k: _double(v) for k, v in x.items()}
    return x


def _f64_referee(op, sample, cots, t_vals, e_vals, what):
    """A float32 (complex64) mismatch is forgiven when torch in float64 (complex128) shows
    ember's result is no further from the exact value than torch's own single-precision result
    (plus float32 tolerance)."""
    try:
        inp, args, kwargs = _double(sample.input), _double(sample.args), _double(sample.kwargs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = op(inp, *args, **kwargs)
            if what == "fwd":
                ref = out
            else:
                outs = _diff_outputs(sample.output_process_fn_grad(out))
                leaves = [x for x in _flatten([inp, list(args), list(kwargs.values())])
                          if isinstance(x, torch.Tensor) and x.requires_grad]
                ref = torch.autograd.grad(outs, leaves, [torch.tensor(c) for c in cots],
                                          allow_unused=True)
        rtol, atol = TOL[torch.float32][what]
        for r, t, e in zip(_flatten(ref), _flatten(t_vals), _flatten(e_vals)):
            if r is None or not isinstance(r, torch.Tensor) or not (
                    r.is_floating_point() or r.is_complex()):
                continue
            wide = np.complex128 if r.is_complex() else np.float64
            ra = r.detach().resolve_conj().numpy(force=True)
            ta = t.detach().resolve_conj().numpy(force=True).astype(wide)
            ea = np.asarray(e.detach()._array, dtype=wide)
            with np.errstate(all="ignore"):
                err_e = np.where(np.isnan(ea) & np.isnan(ra), 0, np.abs(ea - ra))
                err_t = np.where(np.isnan(ta) & np.isnan(ra), 0, np.abs(ta - ra))
                if not np.all(err_e <= err_t + atol + rtol * np.abs(ra)):
                    return False
        return True
    except Exception:
        return False


def _np_dtype(t):
    import ml_dtypes
    return {torch.float32: np.float32, torch.float64: np.float64, torch.complex64: np.complex64,
            torch.complex128: np.complex128, torch.float16: np.float16,
            torch.bfloat16: ml_dtypes.bfloat16}.get(t.dtype, np.float32)


def _process_like(fn, out):
    """Apply a sample's output_process_fn_grad (written for torch) to ember outputs."""
    if isinstance(fn, types.FunctionType) and fn.__module__.startswith("torch.testing"):
        return _rebind(fn)(out)
    return fn(out)


def _same_meta(e, t):
    if isinstance(t, (tuple, list)):
        for ee, tt in zip(e, t):
            _same_meta(ee, tt)
        return
    if isinstance(t, torch.Tensor):
        if not isinstance(e, ember.Tensor):
            raise Mismatch(f"torch gave a Tensor, ember {type(e).__name__}")
        if tuple(e.shape) != tuple(t.shape) or str(e.dtype) != str(t.dtype):
            raise Mismatch(f"shape/dtype {tuple(e.shape)} {e.dtype} vs torch "
                           f"{tuple(t.shape)} {t.dtype}")


def run_op(op, dtypes=DTYPES):
    name = full_name(op)
    fn = ember_callable(op)
    if fn is None:
        if not _torch_runs(op):
            return Result(name, namespace(op), None, None, "torch runs no sample on CPU", 0)
        return Result(name, namespace(op), False, False, "missing in ember", 0)
    fwd = grad = True
    reason = ""
    n = 0
    rng = np.random.default_rng(0)
    for dtype in dtypes:
        if dtype not in op.supported_dtypes("cpu"):
            continue
        check_grad = op.supports_autograd and dtype in op.supported_backward_dtypes("cpu")
        torch.manual_seed(0)
        try:
            samples = list(op.sample_inputs("cpu", dtype, requires_grad=check_grad))
        except Exception as exc:
            return Result(name, namespace(op), False, False, "samples: " + _short(exc), n)
        for sample in samples[:MAX_SAMPLES]:
            r = run_sample(op, fn, sample, dtype, rng, check_grad)
            if r is None:
                continue
            n += 1
            f, g, why = r
            if not f:
                fwd = False
            if not g:
                grad = False
            if why and not reason:
                reason = f"{str(dtype)[6:]}: {why}"
            if not fwd:
                return Result(name, namespace(op), False, False, reason, n)
    if n == 0 and fwd:
        return Result(name, namespace(op), None, None, "torch runs no sample on CPU", 0)
    if fwd and torch.float32 in dtypes:
        why = _check_method(op, rng)
        if why:
            return Result(name, namespace(op), False, False, why, n)
    return Result(name, namespace(op), fwd, fwd and grad, reason, n)


def _check_method(op, rng):
    """The Tensor-method form (``x.add(y)``) must exist and agree on the first samples too."""
    meth = op.method_variant
    mname = getattr(meth, "__name__", None)
    if meth is None or not mname or not isinstance(meth, (types.MethodDescriptorType,
                                                           types.WrapperDescriptorType)):
        return ""
    if not hasattr(ember.Tensor, mname):
        return f"method Tensor.{mname} missing in ember"
    caller = _method_caller(mname)
    for sample in list(op.sample_inputs("cpu", torch.float32))[:3]:
        r = run_sample(op, caller, sample, torch.float32, rng, False)
        if r is not None and not r[0]:
            return f"method Tensor.{mname}: {r[2]}"
    return ""


def _torch_runs(op):
    """Whether torch itself runs any float32 sample of ``op`` on the CPU (CUDA-only OpInfos such
    as the jiterator ones list CPU dtypes but refuse every sample)."""
    try:
        for sample in list(op.sample_inputs("cpu", torch.float32))[:MAX_SAMPLES]:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    op(sample.input, *sample.args, **sample.kwargs)
                return True
            except Exception:
                continue
    except Exception:
        return False
    return False


_CACHE = {}


def results(ops=None, dtypes=DTYPES):
    """Run (once per process) and return {full name: Result}; with ``dtypes=COMPLEX`` only the
    OpInfos that list complex64 on the CPU take part."""
    ops = ops if ops is not None else load_op_db()
    if dtypes == COMPLEX:
        ops = [op for op in ops if torch.complex64 in op.supported_dtypes("cpu")]
    for op in ops:
        key = (full_name(op), dtypes)
        if key not in _CACHE:
            _CACHE[key] = run_op(op, dtypes)
    return {full_name(op): _CACHE[(full_name(op), dtypes)] for op in ops}


def rates(res):
    by_ns = collections.defaultdict(lambda: [0, 0, 0])
    for r in res.values():
        if r.fwd is None:           # not an op that runs on the CPU: outside the denominator
            continue
        c = by_ns[r.namespace]
        c[0] += 1
        c[1] += r.fwd
        c[2] += r.grad
    total = [sum(c[i] for c in by_ns.values()) for i in range(3)]
    return dict(by_ns), total


def format_rates(res):
    by_ns, total = rates(res)
    lines = [f"{'namespace':<15}{'OpInfos':>8}{'forward':>16}{'gradient':>16}"]
    for ns in sorted(by_ns, key=lambda k: -by_ns[k][0]):
        n, f, g = by_ns[ns]
        lines.append(f"{ns:<15}{n:>8}{f:>8} {100 * f / n:5.1f}%{g:>8} {100 * g / n:5.1f}%")
    n, f, g = total
    lines.append(f"{'all':<15}{n:>8}{f:>8} {100 * f / n:5.1f}%{g:>8} {100 * g / n:5.1f}%")
    return "\n".join(lines)


def write_known(res, res_complex, path):
    def block(name, rs):
        out = [f"{name} = {{"]
        for key in sorted(rs):
            r = rs[key]
            if (r.fwd and r.grad) or r.fwd is None:
                continue
            kind = "grad" if r.fwd else "fwd"
            out.append(f"    {key!r}: ({kind!r}, {r.reason!r}),")
        return out + ["}"]
    lines = ['"""OpInfos that do not pass yet, with the first reason seen. The lists may only',
             "shrink: tests/conformance/test_opinfo.py fails when an op listed here passes (remove",
             "it) and when an op not listed here fails. KNOWN_FAILURES is for float32/float64,",
             "KNOWN_COMPLEX_FAILURES for complex64/complex128. Regenerate both with",
             "``python -m tests.conformance.harness --write-known``.\"\"\"", ""]
    lines += block("KNOWN_FAILURES", res) + [""] + block("KNOWN_COMPLEX_FAILURES", res_complex)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main(argv):
    ops = load_op_db()
    write = "--write-known" in argv
    names = [a for a in argv if not a.startswith("--")]
    if names:
        ops = [op for op in ops if full_name(op) in names or op.name in names]
        for op in ops:
            r = run_op(op, COMPLEX if "--complex" in argv else DTYPES)
            print(f"{r.name}: fwd={r.fwd} grad={r.grad} samples={r.samples} {r.reason}")
        return
    res = results(ops)
    print(format_rates(res))
    if "--complex" in argv or write:
        print("\ncomplex64 and complex128 (OpInfos that list complex dtypes)")
        print(format_rates(results(ops, COMPLEX)))
    if write:
        import os
        write_known(res, results(ops, COMPLEX),
                    os.path.join(os.path.dirname(__file__), "known_failures.py"))


if __name__ == "__main__":
    main(sys.argv[1:])
