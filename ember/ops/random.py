"""Random numbers: Generator, the default generator and its seed/state, sampling functions and
in-place fills. Streams come from NumPy's PCG64: reproducible for a seed, but not the same
numbers torch's Mersenne Twister draws."""
import json

import numpy as np

from .. import dtypes as _dt
from .._errors import EmberRuntimeError
from ..device import check_device
from ..tensor import Tensor, wrap
from . import dispatch
from .creation import _finish, size_args
from .registry import METHODS, op, public


class Generator:
    """Generator(device='cpu'): a random stream with manual_seed, seed, initial_seed,
    get_state and set_state."""

    def __init__(self, device="cpu"):
        check_device(device)
        self.device = check_device(device)
        self._seed = 67280421310721
        self._rng = np.random.Generator(np.random.PCG64(self._seed))

    def manual_seed(self, seed):
        seed = int(seed)
        if seed < 0:
            seed += 1 << 64
        self._seed = seed
        self._rng = np.random.Generator(np.random.PCG64(seed))
        return self

    def seed(self):
        s = int(np.random.SeedSequence().entropy) % (1 << 63)
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    def get_state(self):
        """The generator state as a uint8 tensor (JSON of the bit generator's state)."""
        st = {"seed": self._seed, "state": self._rng.bit_generator.state}
        raw = json.dumps(st, default=int).encode()
        return wrap(np.frombuffer(raw, dtype=np.uint8).copy())

    def set_state(self, new_state):
        if not isinstance(new_state, Tensor) or new_state._array.dtype != np.uint8:
            raise EmberRuntimeError("set_state expects a uint8 tensor from get_state()")
        try:
            st = json.loads(new_state._array.tobytes().decode())
            bg = np.random.PCG64()
            bg.state = st["state"]
        except (ValueError, KeyError, TypeError) as exc:
            raise EmberRuntimeError(f"invalid RNG state tensor: {exc}") from None
        self._seed = st["seed"]
        self._rng = np.random.Generator(bg)
        return self


default_generator = Generator()


def _rng(generator):
    return (generator or default_generator)._rng


@public("manual_seed")
def manual_seed(seed):
    """manual_seed(seed) -> Generator: seed the default generator."""
    return default_generator.manual_seed(seed)


@public("seed")
def seed():
    """seed() -> int: seed the default generator non-deterministically."""
    return default_generator.seed()


@public("initial_seed")
def initial_seed():
    return default_generator.initial_seed()


@public("get_rng_state")
def get_rng_state():
    """get_rng_state() -> Tensor: the default generator's state."""
    return default_generator.get_state()


@public("set_rng_state")
def set_rng_state(new_state):
    """set_rng_state(new_state): restore a state from get_rng_state()."""
    default_generator.set_state(new_state)


def _float_dtype(dtype, name):
    d = _dt._defaults.float if dtype is None else _dt.to_dtype(dtype)
    if d.category < 2:
        raise EmberRuntimeError(f"{name} is not implemented for {d} (use a floating dtype)")
    return d


def _real_sample(rng, kind, shape, d):
    real = d.to_real()
    work = np.float64 if real.np != np.float32 else np.float32
    if kind == "rand":
        x = rng.random(shape, dtype=work)
    else:
        x = rng.standard_normal(shape, dtype=work)
    if d.is_complex:
        y = rng.random(shape, dtype=work) if kind == "rand" else rng.standard_normal(shape, dtype=work)
        scale = 1.0 if kind == "rand" else np.sqrt(0.5)
        return ((x + 1j * y) * scale).astype(d.np)
    return x.astype(d.np, copy=False)


@public("rand")
def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False):
    """rand(*size, *, generator=None, dtype=None, ...) -> Tensor uniform on [0, 1)."""
    check_device(device)
    d = _float_dtype(dtype, "rand")
    return _finish(_real_sample(_rng(generator), "rand", size_args(size, "rand"), d), requires_grad)


@public("randn")
def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None,
          requires_grad=False, pin_memory=False):
    """randn(*size, *, generator=None, dtype=None, ...) -> Tensor from N(0, 1)."""
    check_device(device)
    d = _float_dtype(dtype, "randn")
    return _finish(_real_sample(_rng(generator), "randn", size_args(size, "randn"), d),
                   requires_grad)


@public("randint")
def randint(low=0, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None,
            device=None, requires_grad=False):
    """randint(low=0, high, size, *, generator=None, dtype=int64, ...) -> Tensor of integers in
    [low, high)."""
    check_device(device)
    if size is None:
        if isinstance(high, (tuple, list)):
            low, high, size = 0, low, high
        else:
            raise TypeError("randint() missing 1 required positional argument: 'size'")
    if high is None:
        low, high = 0, low
    if low >= high:
        raise EmberRuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                                f">= to={high}")
    d = np.dtype(np.int64) if dtype is None else _dt.to_dtype(dtype).np
    vals = _rng(generator).integers(low, high, size=size_args((size,), "randint"))
    return _finish(vals.astype(d), requires_grad)


@public("randperm")
def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False):
    """randperm(n, *, generator=None, dtype=int64) -> a random permutation of 0..n-1."""
    check_device(device)
    if n < 0:
        raise EmberRuntimeError(f"n must be non-negative, got{n}")
    d = np.dtype(np.int64) if dtype is None else _dt.to_dtype(dtype).np
    return _finish(_rng(generator).permutation(n).astype(d), requires_grad)


@public("normal")
def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None,
           device=None, requires_grad=False):
    """normal(mean, std, size=None, *, generator=None) -> Tensor; mean and std may be tensors
    (broadcast) or numbers (then ``size`` is required)."""
    rng = _rng(generator)
    mt, st = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not mt and not st:
        if size is None:
            raise TypeError("normal() received an invalid combination of arguments: size is "
                            "required when mean and std are numbers")
        if std < 0:
            raise EmberRuntimeError(f"normal expects std >= 0.0, but found std {std}")
        d = _float_dtype(dtype, "normal")
        return _finish((rng.standard_normal(size_args((size,), "normal")) * std + mean).astype(d.np),
                       requires_grad)
    m_arr = mean._array if mt else np.asarray(mean)
    s_arr = std._array if st else np.asarray(std)
    if np.any(s_arr < 0):
        raise EmberRuntimeError("normal expects all elements of std >= 0.0")
    shape = np.broadcast_shapes(m_arr.shape, s_arr.shape)
    d = (mean if mt else std)._array.dtype
    return _finish((rng.standard_normal(shape) * s_arr + m_arr).astype(d), requires_grad)


@public("bernoulli", method=True)
def bernoulli(input, p=None, *, generator=None, out=None):
    """bernoulli(input, *, generator=None) -> Tensor of 0/1 draws with probabilities ``input``."""
    probs = input._array if p is None else np.full(input._array.shape, p)
    if np.any((probs < 0) | (probs > 1)):
        raise EmberRuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false. "
                                "(bernoulli probabilities must lie in [0, 1])")
    draws = _rng(generator).random(probs.shape) < probs
    return _finish(draws.astype(input._array.dtype))


def _like(fn_name):
    def like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
             memory_format=None, generator=None):
        d = input.dtype if dtype is None else dtype
        return PUBLIC_FNS[fn_name](*input.shape, dtype=d, requires_grad=requires_grad,
                                   generator=generator)
    like.__name__ = fn_name + "_like"
    return like


PUBLIC_FNS = {"rand": rand, "randn": randn}
rand_like = public("rand_like")(_like("rand"))
randn_like = public("randn_like")(_like("randn"))


@public("randint_like")
def randint_like(input, low=0, high=None, *, dtype=None, layout=None, device=None,
                 requires_grad=False, memory_format=None, generator=None):
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(input.shape), dtype=input.dtype if dtype is None else dtype,
                   generator=generator)


# --- in-place fills: ops in the registry so a tracer records them as random --------------------
def _fill_op(name, sampler):
    o = op(name, kind="random")(lambda m, a, **kw: sampler(a, **kw).astype(a.dtype, copy=False))
    return o


_UNIFORM = _fill_op("uniform_", lambda a, low, high, rng: rng.uniform(low, high, a.shape))
_NORMAL = _fill_op("normal_", lambda a, mean, std, rng: rng.normal(mean, std, a.shape))
_BERN = _fill_op("bernoulli_", lambda a, p, rng: rng.random(a.shape) < p)
_RANDOM = _fill_op("random_", lambda a, low, high, rng: rng.integers(low, high, a.shape))
_EXPO = _fill_op("exponential_", lambda a, lambd, rng: rng.exponential(1.0 / lambd, a.shape))
_GEOM = _fill_op("geometric_", lambda a, p, rng: rng.geometric(p, a.shape))
_LOGN = _fill_op("log_normal_", lambda a, mean, std, rng: rng.lognormal(mean, std, a.shape))
_CAUCHY = _fill_op("cauchy_", lambda a, median, sigma, rng:
                   median + sigma * rng.standard_cauchy(a.shape))


def uniform_(self, a=0.0, b=1.0, *, generator=None):
    """uniform_(from=0, to=1, *, generator=None) -> self filled from U[from, to)."""
    if a > b:
        raise EmberRuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                                f"from={a} > to={b}")
    return dispatch.apply_inplace(_UNIFORM, self, (), {"low": a, "high": b, "rng": _rng(generator)})


def normal_(self, mean=0.0, std=1.0, *, generator=None):
    """normal_(mean=0, std=1, *, generator=None) -> self filled from N(mean, std²)."""
    if std < 0:
        raise EmberRuntimeError(f"normal expects std >= 0.0, but found std {std}")
    return dispatch.apply_inplace(_NORMAL, self, (), {"mean": mean, "std": std,
                                                      "rng": _rng(generator)})


def bernoulli_(self, p=0.5, *, generator=None):
    p = p._array if isinstance(p, Tensor) else p
    return dispatch.apply_inplace(_BERN, self, (), {"p": p, "rng": _rng(generator)})


def random_(self, from_=0, to=None, *, generator=None):
    if to is None:
        if self._array.dtype.kind == "f":
            to = 2 ** np.finfo(self._array.dtype).nmant + 1
        elif self._array.dtype.kind == "b":
            to = 2
        else:
            to = int(np.iinfo(self._array.dtype).max) + 1
    return dispatch.apply_inplace(_RANDOM, self, (), {"low": from_, "high": to,
                                                      "rng": _rng(generator)})


def exponential_(self, lambd=1.0, *, generator=None):
    return dispatch.apply_inplace(_EXPO, self, (), {"lambd": lambd, "rng": _rng(generator)})


def geometric_(self, p, *, generator=None):
    return dispatch.apply_inplace(_GEOM, self, (), {"p": p, "rng": _rng(generator)})


def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    return dispatch.apply_inplace(_LOGN, self, (), {"mean": mean, "std": std,
                                                    "rng": _rng(generator)})


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    return dispatch.apply_inplace(_CAUCHY, self, (), {"median": median, "sigma": sigma,
                                                      "rng": _rng(generator)})


for _f in (uniform_, normal_, bernoulli_, random_, exponential_, geometric_, log_normal_, cauchy_):
    METHODS[_f.__name__] = _f
