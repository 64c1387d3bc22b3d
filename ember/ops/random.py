"""Random numbers: Generator, the default generator and its seed/state, sampling functions and
in-place fills. Streams come from NumPy's PCG64: reproducible for a seed, but not the numbers
torch's Mersenne Twister draws.

Sampling ops are registered ops (kind="random") whose generator travels in the attributes, so a
tracer records them and replays fresh draws. Their derivatives are zero, as in torch: a sample
that depends on a tensor requiring grad (``bernoulli(p)``, ``normal(mean, std)``) is in the graph
but passes no gradient back."""
import json

import ml_dtypes
import numpy as np

from .. import dtypes as _dt
from .._errors import EmberRuntimeError, EmberTypeError, EmberValueError
from ..device import check_device
from ..tensor import Tensor, wrap
from . import dispatch
from .creation import _np_dtype, _store, size_args
from .registry import METHODS, op, public

_SEED_MASK = (1 << 64) - 1


def _as_seed(seed):
    """torch accepts seeds in [-2**63, 2**64); negative ones wrap to their unsigned value."""
    seed = int(seed)
    if not -(1 << 63) <= seed <= _SEED_MASK:
        raise EmberValueError(f"Overflow when unpacking long long: seed {seed} is outside "
                              f"[-2**63, 2**64)")
    return seed & _SEED_MASK


class Generator:
    """Generator(device='cpu') -> Generator: an independent random stream.

    ``manual_seed(seed)`` resets it (and returns it), ``seed()`` reseeds from the OS,
    ``initial_seed()`` tells the last seed, ``get_state()``/``set_state(t)`` save and restore the
    exact position as a uint8 tensor. Pass it as ``generator=`` to any sampling function.

    Example:
        >>> g = torch.Generator().manual_seed(0)
        >>> a = torch.rand(3, generator=g)
        >>> _ = g.manual_seed(0)
        >>> torch.equal(a, torch.rand(3, generator=g))
        True
    """

    def __init__(self, device="cpu"):
        self.device = check_device(device)
        self._seed = 67280421310721           # torch's default seed for a fresh generator
        self._rng = np.random.Generator(np.random.PCG64(self._seed))

    def manual_seed(self, seed):
        """manual_seed(seed) -> Generator: restart the stream from ``seed``."""
        self._seed = _as_seed(seed)
        self._rng = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def seed(self):
        """seed() -> int: reseed from OS entropy and return the new seed."""
        s = int(np.random.SeedSequence().entropy) & _SEED_MASK
        self.manual_seed(s)
        return s

    def initial_seed(self):
        """initial_seed() -> int: the seed the stream was last started from."""
        return self._seed

    def get_state(self):
        """get_state() -> Tensor: the stream's position as a uint8 tensor."""
        st = {"seed": self._seed, "state": self._rng.bit_generator.state}
        raw = json.dumps(st).encode()
        return wrap(np.frombuffer(raw, dtype=np.uint8).copy())

    def set_state(self, new_state):
        """set_state(new_state) -> Generator: continue from a state made by get_state()."""
        if not isinstance(new_state, Tensor) or new_state._array.dtype != np.uint8:
            raise EmberTypeError(f"RNG state must be a torch.ByteTensor (got "
                                 f"{getattr(new_state, 'dtype', type(new_state).__name__)})")
        try:
            st = json.loads(new_state._array.tobytes().decode())
            bg = np.random.PCG64()
            bg.state = st["state"]
            seed = int(st["seed"])
        except (ValueError, KeyError, TypeError) as exc:
            raise EmberRuntimeError(f"Invalid RNG state: not made by get_state() ({exc})") \
                from None
        self._seed = seed
        self._rng = np.random.Generator(bg)
        return self

    def __repr__(self):
        return f"<ember.Generator object, device='cpu', initial_seed={self._seed}>"


default_generator = Generator()


def _rng(generator):
    if generator is None:
        return default_generator._rng
    if not isinstance(generator, Generator):
        raise EmberTypeError(f"generator must be a Generator, got {type(generator).__name__}")
    return generator._rng


@public("manual_seed")
def manual_seed(seed):
    """manual_seed(seed) -> Generator: seed the default generator (returns it).

    Example:
        >>> _ = torch.manual_seed(0); a = torch.randn(4)
        >>> _ = torch.manual_seed(0); torch.equal(a, torch.randn(4))
        True
    """
    return default_generator.manual_seed(seed)


@public("seed")
def seed():
    """seed() -> int: seed the default generator non-deterministically; returns the seed.

    Example:
        >>> s = torch.seed()
        >>> s == torch.initial_seed()
        True
    """
    return default_generator.seed()


@public("initial_seed")
def initial_seed():
    """initial_seed() -> int: the default generator's last seed.

    Example:
        >>> _ = torch.manual_seed(42)
        >>> torch.initial_seed()
        42
    """
    return default_generator.initial_seed()


@public("get_rng_state")
def get_rng_state():
    """get_rng_state() -> Tensor: the default generator's state (uint8).

    Example:
        >>> state = torch.get_rng_state()
        >>> a = torch.rand(3)
        >>> torch.set_rng_state(state)
        >>> torch.equal(a, torch.rand(3))
        True
    """
    return default_generator.get_state()


@public("set_rng_state")
def set_rng_state(new_state):
    """set_rng_state(new_state) -> None: restore a state from get_rng_state().

    Example:
        >>> state = torch.get_rng_state()
        >>> a = torch.randn(3)
        >>> torch.set_rng_state(state)
        >>> torch.equal(a, torch.randn(3))
        True
    """
    default_generator.set_state(new_state)


# ---------------------------------------------------------------------------------------------
# samplers over NumPy dtypes
# ---------------------------------------------------------------------------------------------

def _is_float(np_dtype):
    return np_dtype.kind in "fc" or np_dtype == _dt.bfloat16.np


def _mantissa_digits(np_dtype):
    """Significand bits including the implicit one (11 for float16, 8 for bfloat16, 24, 53)."""
    info = ml_dtypes.finfo(np_dtype) if np_dtype == _dt.bfloat16.np else np.finfo(np_dtype)
    return int(info.nmant) + 1


def _uniform01(rng, shape, np_dtype):
    """U[0, 1) in a real floating dtype, never rounding up to 1: narrow types draw integers of
    their own precision (k / 2**digits) so every value is exact."""
    if np_dtype == np.float64:
        return rng.random(shape)
    if np_dtype == np.float32:
        return rng.random(shape, dtype=np.float32)
    digits = _mantissa_digits(np_dtype)
    return (rng.integers(0, 1 << digits, shape) * (1.0 / (1 << digits))).astype(np_dtype)


def _standard_normal(rng, shape, np_dtype):
    work = np.float64 if np_dtype == np.float64 else np.float32
    return rng.standard_normal(shape, dtype=work).astype(np_dtype, copy=False)


def _sample(kind, rng, shape, np_dtype):
    """rand/randn in any floating or complex dtype (complex: real and imaginary parts drawn
    independently, each with variance 1/2 for randn as in torch)."""
    if np_dtype.kind == "c":
        part = np.dtype(np.float64 if np_dtype == np.complex128 else np.float32)
        re, im = _sample(kind, rng, shape, part), _sample(kind, rng, shape, part)
        if kind == "randn":
            re, im = re * np.sqrt(0.5, dtype=part), im * np.sqrt(0.5, dtype=part)
        out = np.empty(shape, dtype=np_dtype)
        out.real, out.imag = re, im
        return out
    if kind == "rand":
        return _uniform01(rng, shape, np_dtype)
    return _standard_normal(rng, shape, np_dtype)


def _fmt(x):
    # torch prints doubles the C++ way: -1.0 as "-1", 0.5 as "0.5"
    return f"{x:g}" if isinstance(x, float) else str(x)


def _size_from(size, kw, name):
    if "size" in kw:
        size = (kw.pop("size"),)
    if kw:
        raise EmberTypeError(f"{name}() got an unexpected keyword argument '{next(iter(kw))}'")
    return size_args(size, name)


@public("rand")
def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False, **kw):
    """rand(*size, *, generator=None, out=None, dtype=None, layout=torch.strided, device=None,
    requires_grad=False, pin_memory=False) -> Tensor uniform on [0, 1).

    Example:
        >>> torch.rand(2, 3).shape
        torch.Size([2, 3])
        >>> x = torch.rand(1000)
        >>> bool(((x >= 0) & (x < 1)).all())
        True
    """
    check_device(device)
    shape = _size_from(size, kw, "rand")
    d = _np_dtype(dtype, out)
    if not _is_float(d):
        raise _dt.not_implemented_for("check_uniform_bounds", _dt.from_numpy_dtype(d))
    return _store(_sample("rand", _rng(generator), shape, d), out, requires_grad)


@public("randn")
def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None,
          requires_grad=False, pin_memory=False, **kw):
    """randn(*size, *, generator=None, out=None, dtype=None, layout=torch.strided, device=None,
    requires_grad=False, pin_memory=False) -> Tensor from the standard normal N(0, 1).

    Example:
        >>> torch.randn(2, 3).shape
        torch.Size([2, 3])
        >>> torch.randn(4, dtype=torch.float64).dtype
        torch.float64
    """
    check_device(device)
    shape = _size_from(size, kw, "randn")
    d = _np_dtype(dtype, out)
    if not _is_float(d):
        raise _dt.not_implemented_for("normal_kernel_cpu", _dt.from_numpy_dtype(d))
    return _store(_sample("randn", _rng(generator), shape, d), out, requires_grad)


def _check_random_range(low, high, np_dtype):
    """torch's checks for integers drawn into ``np_dtype`` from [low, high)."""
    if np_dtype.kind == "c":
        raise EmberRuntimeError("check_random_bounds handles only integral, floating-point and "
                                "boolean types")
    if low >= high:
        raise EmberRuntimeError(f"random_ expects 'from' to be less than 'to', but got "
                                f"from={low} >= to={high}")
    if np_dtype.kind in "iu":
        info = np.iinfo(np_dtype)
        ctype = _C_TYPES[np_dtype.name]
        if low < info.min:
            raise EmberRuntimeError(f"from is out of bounds for {ctype} (from={low}, dtype "
                                    f"{np_dtype})")
        if high - 1 > info.max:
            raise EmberRuntimeError(f"to - 1 is out of bounds for {ctype} (to={high}, dtype "
                                    f"{np_dtype})")


# torch's bounds messages name the C type
_C_TYPES = {"uint8": "unsigned char", "int8": "signed char", "int16": "short", "int32": "int",
            "int64": "long"}


@public("randint")
def randint(low=0, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None,
            device=None, requires_grad=False, pin_memory=False):
    """randint(low=0, high, size, *, generator=None, out=None, dtype=torch.int64, ...) -> Tensor
    of integers drawn uniformly from [low, high).

    Example:
        >>> x = torch.randint(3, 10, (2, 4))
        >>> x.shape, x.dtype
        (torch.Size([2, 4]), torch.int64)
        >>> bool(((x >= 3) & (x < 10)).all())
        True
    """
    check_device(device)
    if size is None and isinstance(high, (tuple, list)):
        low, high, size = 0, low, high            # randint(high, size)
    elif high is None:
        low, high = 0, low                        # randint(high, size=...)
    if size is None:
        raise EmberTypeError("randint() missing 1 required positional argument: 'size'")
    low, high = int(low), int(high)
    d = _np_dtype(dtype, out, np.dtype(np.int64))
    _check_random_range(low, high, d)
    vals = _rng(generator).integers(low, high, size=size_args((size,), "randint"))
    return _store(vals.astype(d), out, requires_grad)


@public("randperm")
def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False):
    """randperm(n, *, generator=None, out=None, dtype=torch.int64, ...) -> a random
    permutation of 0..n-1.

    Example:
        >>> p = torch.randperm(5)
        >>> p.dtype
        torch.int64
        >>> p.sort().values
        tensor([0, 1, 2, 3, 4])
    """
    check_device(device)
    n = size_args((n,), "randperm")[0]
    d = _np_dtype(dtype, out, np.dtype(np.int64))
    return _store(_rng(generator).permutation(n).astype(d), out, requires_grad)


_DROPOUT_MASK = op("dropout_mask", kind="random")(
    lambda m, shape, p, np_dtype, rng: ((rng.random(shape) >= p) / (1 - p)).astype(np_dtype))


def dropout_mask(shape, p, np_dtype, generator=None):
    """The scaled keep-mask of dropout, 0 or 1/(1-p) per element, as a registered random op so
    a compiled plan draws a fresh mask on every replay."""
    return dispatch.apply(_DROPOUT_MASK, (), {"shape": tuple(shape), "p": p,
                                              "np_dtype": np.dtype(np_dtype),
                                              "rng": _rng(generator)})


def _zero_grads(count):
    rule = lambda m, g, *rest, **attrs: m.zeros_like(g)     # noqa: E731
    return tuple(rule for _ in range(count))


# normal(mean, std) with tensor arguments: in the graph, zero gradient (torch's NormalBackward)
_NORMAL = op("normal", kind="random", node_name="NormalBackward3")(
    lambda m, mean, std, rng, np_dtype: (
        _standard_normal(rng, np.broadcast_shapes(np.shape(mean), np.shape(std)), np_dtype)
        * std + mean).astype(np_dtype, copy=False))
_NORMAL.derivative(_zero_grads(2))


@public("normal")
def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None,
           device=None, requires_grad=False, pin_memory=False):
    """normal(mean, std, size=None, *, generator=None, out=None) -> Tensor drawn from
    N(mean, std²). ``mean`` and ``std`` may be tensors (broadcast together; the result has
    their dtype) or numbers (then ``size`` is required and ``dtype`` may be given).

    Example:
        >>> torch.normal(torch.zeros(2, 3), torch.ones(2, 3)).shape
        torch.Size([2, 3])
        >>> torch.normal(2.0, 3.0, size=(4,)).shape
        torch.Size([4])
        >>> torch.normal(torch.tensor([1.0, 2.0]), 0.0)
        tensor([1., 2.])
    """
    rng = _rng(generator)
    mt, st = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not mt and not st:
        if size is None:
            raise EmberTypeError("normal() received an invalid combination of arguments - got "
                                 "(float, float): with number mean and std, size is required")
        check_device(device)
        if std < 0:
            raise EmberRuntimeError(f"normal expects std >= 0.0, but found std {_fmt(std)}")
        d = _np_dtype(dtype, out)
        if not _is_float(d):
            raise _dt.not_implemented_for("normal_kernel_cpu", _dt.from_numpy_dtype(d))
        vals = (_standard_normal(rng, size_args((size,), "normal"), d) * std + mean)
        return _store(vals.astype(d, copy=False), out, requires_grad)
    if mt and st:
        d = _dt.promote_types(mean.dtype, std.dtype)
    else:
        d = (mean if mt else std).dtype
    if not d.is_floating_point and not d.is_complex:
        raise _dt.not_implemented_for("normal_kernel_cpu", d)
    if st and std._array.size and (std._array < 0).any():
        raise EmberRuntimeError("normal expects all elements of std >= 0.0")
    if not st and std < 0:
        raise EmberRuntimeError(f"normal expects std >= 0.0, but found std {_fmt(std)}")
    if mt and st:
        try:
            np.broadcast_shapes(mean._array.shape, std._array.shape)
        except ValueError as exc:
            raise dispatch._broadcast_error(_NORMAL, mean, std, exc) from None
    res = dispatch.apply(_NORMAL, (mean, std), {"rng": rng, "np_dtype": d.np})
    if out is not None:
        from ._public import write_out
        return write_out(res, out)
    return res


_BERNOULLI = op("bernoulli", kind="random", node_name="BernoulliBackward0")(
    lambda m, probs, rng: (rng.random(probs.shape) < probs).astype(probs.dtype))
_BERNOULLI.derivative(_zero_grads(1))


@public("bernoulli", method=True)
def bernoulli(input, p=None, *, generator=None, out=None):
    """bernoulli(input, p=None, *, generator=None, out=None) -> Tensor of 0/1 draws, 1 with
    probability ``input`` (elementwise) or ``p`` when given; same shape and dtype as input.

    Example:
        >>> torch.bernoulli(torch.tensor([0.0, 1.0, 1.0, 0.0]))
        tensor([0., 1., 1., 0.])
        >>> torch.bernoulli(torch.full((2, 3), 0.5)).shape
        torch.Size([2, 3])
    """
    d = input.dtype
    if not d.is_floating_point:
        raise _dt.not_implemented_for("bernoulli_tensor_cpu_p_", d)
    if p is not None:
        if not 0 <= p <= 1:
            raise EmberRuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_fmt(p)}")
        draws = _rng(generator).random(input._array.shape) < p
        res = wrap(draws.astype(input._array.dtype))
    else:
        probs = input._array
        if probs.size and not ((probs >= 0) & (probs <= 1)).all():
            raise EmberRuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false. "
                                    "(bernoulli probabilities must lie in [0, 1])")
        res = dispatch.unary(_BERNOULLI, input, rng=_rng(generator))
    if out is not None:
        from ._public import write_out
        return write_out(res, out)
    return res


@public("poisson")
def poisson(input, generator=None):
    """poisson(input, generator=None) -> Tensor of Poisson draws with rates ``input``.

    Example:
        >>> torch.poisson(torch.zeros(3))
        tensor([0., 0., 0.])
        >>> torch.poisson(torch.full((2, 2), 4.0)).shape
        torch.Size([2, 2])
    """
    d = input.dtype
    if not d.is_floating_point:
        raise _dt.not_implemented_for("poisson_cpu", d)
    rates = input._array
    if rates.size and not (rates >= 0).all():
        raise EmberRuntimeError("invalid Poisson rate, expected rate to be non-negative")
    return wrap(_rng(generator).poisson(rates.astype(np.float64)).astype(rates.dtype))


@public("multinomial", method=True)
def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    """multinomial(input, num_samples, replacement=False, *, generator=None, out=None) -> int64
    Tensor of category indices drawn from each row of (unnormalised) weights ``input``.

    Example:
        >>> torch.multinomial(torch.tensor([0.0, 0.0, 1.0]), 2, replacement=True)
        tensor([2, 2])
        >>> torch.multinomial(torch.ones(2, 5), 3).shape
        torch.Size([2, 3])
    """
    probs = input._array
    if probs.ndim not in (1, 2):
        raise EmberRuntimeError(f"prob_dist must be 1 or 2 dim (got {probs.ndim} dims)")
    if not input.dtype.is_floating_point:
        raise _dt.not_implemented_for("multinomial", input.dtype)
    n = probs.shape[-1]
    if num_samples <= 0:
        raise EmberRuntimeError(f"cannot sample n_sample <= 0 samples (got {num_samples})")
    if not replacement and num_samples > n:
        raise EmberRuntimeError(f"cannot sample n_sample > prob_dist.size(-1) samples without "
                                f"replacement ({num_samples} > {n})")
    rows = probs.reshape(-1, n).astype(np.float64)
    if not np.isfinite(rows).all() or (rows < 0).any():
        raise EmberRuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if (rows.sum(axis=1) <= 0).any():
        raise EmberRuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    rng = _rng(generator)
    if replacement:
        cdf = np.cumsum(rows, axis=1)
        cdf /= cdf[:, -1:]
        u = rng.random((rows.shape[0], num_samples))
        idx = np.stack([np.searchsorted(c, r, side="right") for c, r in zip(cdf, u)])
        idx = np.minimum(idx, n - 1)
    else:
        # exponential race: category i finishes at E_i / w_i; the first k finishers are a draw
        # without replacement (zero weights finish last, as in torch)
        with np.errstate(divide="ignore"):
            keys = rng.standard_exponential(rows.shape) / rows
        idx = np.argsort(keys, axis=1, kind="stable")[:, :num_samples]
    res = wrap(idx.reshape(probs.shape[:-1] + (num_samples,)).astype(np.int64))
    if out is not None:
        from ._public import write_out
        return write_out(res, out)
    return res


def _like(name, fn):
    def like(input, *, generator=None, dtype=None, layout=None, device=None, requires_grad=False,
             memory_format=None):
        return fn(input.shape, dtype=input.dtype if dtype is None else dtype, device=device,
                  requires_grad=requires_grad, generator=generator)
    like.__name__ = like.__qualname__ = name
    like.__doc__ = (f"{name}(input, *, generator=None, dtype=None, layout=None, device=None, "
                    f"requires_grad=False, memory_format=torch.preserve_format) -> Tensor "
                    f"shaped like input.\n\n"
                    f"    Example:\n"
                    f"        >>> x = torch.{name}(torch.zeros(2, 3, dtype=torch.float64))\n"
                    f"        >>> x.shape, x.dtype\n"
                    f"        (torch.Size([2, 3]), torch.float64)\n    ")
    return like


rand_like = public("rand_like")(_like("rand_like", rand))
randn_like = public("randn_like")(_like("randn_like", randn))


@public("randint_like")
def randint_like(input, low=0, high=None, *, generator=None, dtype=None, layout=None,
                 device=None, requires_grad=False, memory_format=None):
    """randint_like(input, low=0, high, *, generator=None, dtype=None, ...) -> Tensor shaped
    like input, integers from [low, high) in input's dtype unless given.

    Example:
        >>> x = torch.randint_like(torch.zeros(5, dtype=torch.int32), 10)
        >>> x.dtype, bool(((x >= 0) & (x < 10)).all())
        (torch.int32, True)
    """
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(input.shape), dtype=input.dtype if dtype is None else dtype,
                   generator=generator, device=device, requires_grad=requires_grad)


# ---------------------------------------------------------------------------------------------
# in-place fills: ops in the registry (a tracer records them as random); zero derivative
# ---------------------------------------------------------------------------------------------

def _fill_op(name, sampler):
    o = op(name, kind="random")(lambda m, a, **kw: sampler(a, **kw).astype(a.dtype, copy=False))
    o.derivative(lambda m, g, a, out, **kw: m.zeros_like(g))
    return o


def _uniform_sample(a, low, high, rng):
    work = a.dtype if a.dtype in (np.float32, np.float64) else np.dtype(np.float32)
    return low + (high - low) * _uniform01(rng, a.shape, work)


_UNIFORM = _fill_op("uniform_", _uniform_sample)
_NORMAL_ = _fill_op("normal_", lambda a, mean, std, rng:
                    _standard_normal(rng, a.shape, a.dtype) * std + mean)
_BERN = _fill_op("bernoulli_", lambda a, p, rng: rng.random(a.shape) < p)
_RANDOM = _fill_op("random_", lambda a, low, high, rng: rng.integers(low, high, a.shape))
_EXPO = _fill_op("exponential_", lambda a, lambd, rng: rng.exponential(1.0 / lambd, a.shape))
_GEOM = _fill_op("geometric_", lambda a, p, rng: rng.geometric(p, a.shape))
_LOGN = _fill_op("log_normal_", lambda a, mean, std, rng: rng.lognormal(mean, std, a.shape))
_CAUCHY = _fill_op("cauchy_", lambda a, median, sigma, rng:
                   median + sigma * rng.standard_cauchy(a.shape))


def _require_float(self, kernel):
    if not _is_float(self._array.dtype):
        raise _dt.not_implemented_for(kernel, self.dtype)


def _require_continuous(self, what):
    if not _is_float(self._array.dtype):
        raise EmberRuntimeError(f"{what} distribution is a continuous probability distribution. "
                                f"dtype must be a floating point but you specified "
                                f"{self.dtype.scalar_name}")


def uniform_(self, from_=0.0, to=1.0, *, generator=None):
    """uniform_(from=0, to=1, *, generator=None) -> self filled from U[from, to)."""
    _require_float(self, "check_uniform_bounds")
    if from_ > to:
        raise EmberRuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                                f"from={_fmt(from_)} > to={_fmt(to)}")
    return dispatch.apply_inplace(_UNIFORM, self, (), {"low": from_, "high": to,
                                                       "rng": _rng(generator)})


def normal_(self, mean=0.0, std=1.0, *, generator=None):
    """normal_(mean=0, std=1, *, generator=None) -> self filled from N(mean, std²)."""
    _require_float(self, "normal_kernel_cpu")
    if std < 0:
        raise EmberRuntimeError(f"normal expects std >= 0.0, but found std {_fmt(std)}")
    return dispatch.apply_inplace(_NORMAL_, self, (), {"mean": mean, "std": std,
                                                       "rng": _rng(generator)})


def bernoulli_(self, p=0.5, *, generator=None):
    """bernoulli_(p=0.5, *, generator=None) -> self filled with 1 (probability p) or 0; ``p``
    may be a tensor of probabilities broadcastable to self."""
    if isinstance(p, Tensor):
        probs = p._array
        if probs.size and not ((probs >= 0) & (probs <= 1)).all():
            raise EmberRuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false. "
                                    "(bernoulli_ probabilities must lie in [0, 1])")
        p = np.broadcast_to(probs, self._array.shape)
    elif not 0 <= p <= 1:
        raise EmberRuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_fmt(p)}")
    return dispatch.apply_inplace(_BERN, self, (), {"p": p, "rng": _rng(generator)})


def random_(self, from_=0, to=None, *, generator=None):
    """random_(from=0, to=None, *, generator=None) -> self filled with integers from
    [from, to); ``random_(to)`` means [0, to); with no bounds, [0, 2**digits] for floats (every
    integer the dtype holds exactly) and [0, max] for integer dtypes."""
    a = self._array
    if to is None and from_ != 0:
        from_, to = 0, from_
    if to is None:
        if _is_float(a.dtype):
            to = (1 << _mantissa_digits(a.dtype)) + 1
        elif a.dtype.kind == "b":
            to = 2
        else:
            to = int(np.iinfo(a.dtype).max) + 1
    from_, to = int(from_), int(to)
    _check_random_range(from_, to, a.dtype)
    return dispatch.apply_inplace(_RANDOM, self, (), {"low": from_, "high": to,
                                                      "rng": _rng(generator)})


def exponential_(self, lambd=1.0, *, generator=None):
    """exponential_(lambd=1, *, generator=None) -> self filled from Exp(lambd)."""
    _require_continuous(self, "Exponential")
    if not lambd > 0:
        raise EmberRuntimeError(f"exponential_ expects lambda > 0.0, but found "
                                f"lambda={_fmt(lambd)}")
    return dispatch.apply_inplace(_EXPO, self, (), {"lambd": lambd, "rng": _rng(generator)})


def geometric_(self, p, *, generator=None):
    """geometric_(p, *, generator=None) -> self filled with trial counts of first success."""
    if not 0 < p < 1:
        raise EmberRuntimeError(f"geometric_ expects p to be in (0, 1), but got p={_fmt(p)}")
    return dispatch.apply_inplace(_GEOM, self, (), {"p": p, "rng": _rng(generator)})


def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    """log_normal_(mean=1, std=2, *, generator=None) -> self filled with exp(N(mean, std²))."""
    _require_float(self, "log_normal_cpu")
    if not std > 0:
        raise EmberRuntimeError(f"log_normal_ expects std > 0.0, but found std={_fmt(std)}")
    return dispatch.apply_inplace(_LOGN, self, (), {"mean": mean, "std": std,
                                                    "rng": _rng(generator)})


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    """cauchy_(median=0, sigma=1, *, generator=None) -> self filled from Cauchy(median, sigma)."""
    _require_continuous(self, "Cauchy")
    return dispatch.apply_inplace(_CAUCHY, self, (), {"median": median, "sigma": sigma,
                                                      "rng": _rng(generator)})


for _f in (uniform_, normal_, bernoulli_, random_, exponential_, geometric_, log_normal_, cauchy_):
    METHODS[_f.__name__] = _f
