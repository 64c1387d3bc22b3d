"""Containers against torch: Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict —
the same operations run on both libraries, then reprs, keys, state_dict and parameter counts
compared; errors match torch's types and messages."""
from collections import OrderedDict

import numpy as np
import pytest
import torch

import ember


def _both(fn):
    """Run ``fn(lib)`` for torch and ember; return both results."""
    return fn(torch), fn(ember)


def _same_structure(t, e):
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in e.named_modules()] == [n for n, _ in t.named_modules()]


def _del_first(q):
    del q[0]
    return q


# --- Sequential --------------------------------------------------------------------------------
def _seq(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 4), nn.Tanh())


SEQ_OPS = [
    ("slice", lambda lib, s: s[1:3]),
    ("step-slice", lambda lib, s: s[::2]),
    ("negative-index", lambda lib, s: lib.nn.Sequential(s[-1], s[-2])),
    ("del", lambda lib, s: (s.__delitem__(1), s)[1]),
    ("del-slice", lambda lib, s: (s.__delitem__(slice(0, 2)), s)[1]),
    ("setitem", lambda lib, s: (s.__setitem__(-1, lib.nn.Sigmoid()), s)[1]),
    ("append", lambda lib, s: s.append(lib.nn.Linear(4, 1))),
    ("extend", lambda lib, s: s.extend([lib.nn.ReLU(), lib.nn.Identity()])),
    ("insert", lambda lib, s: s.insert(1, lib.nn.Dropout(0.2))),
    ("insert-negative", lambda lib, s: s.insert(-1, lib.nn.Dropout(0.2))),
    ("insert-end", lambda lib, s: s.insert(4, lib.nn.Dropout(0.2))),
    ("pop", lambda lib, s: lib.nn.Sequential(s.pop(1), *s)),
    ("add", lambda lib, s: s + lib.nn.Sequential(lib.nn.ReLU())),
    ("iadd", lambda lib, s: s.__iadd__(lib.nn.Sequential(lib.nn.ReLU(), lib.nn.ReLU()))),
    ("mul", lambda lib, s: s[:2] * 3),
    ("rmul", lambda lib, s: 2 * s[2:]),
    ("imul", lambda lib, s: s.__imul__(2)),
    ("named", lambda lib, s: lib.nn.Sequential(OrderedDict(a=s[0], b=s[1], c=s[2]))),
    ("named-slice", lambda lib, s: lib.nn.Sequential(OrderedDict(a=s[0], b=s[1], c=s[2]))[1:]),
    ("named-del-renumbers", lambda lib, s: _del_first(
        lib.nn.Sequential(OrderedDict(a=s[0], b=s[1], c=s[2])))),
    ("empty", lambda lib, s: lib.nn.Sequential()),
]


@pytest.mark.parametrize("name,op", SEQ_OPS, ids=[o[0] for o in SEQ_OPS])
def test_sequential_ops_match_torch(name, op):
    torch.manual_seed(0)
    t, e = _both(lambda lib: op(lib, _seq(lib)))
    _same_structure(t, e)
    assert len(e) == len(t)
    assert [type(m).__name__ for m in e] == [type(m).__name__ for m in t]


def test_sequential_forward_indexing_and_sharing():
    s = _seq(ember)
    x = ember.randn(5, 2)
    y = s(x)
    manual = s[3](s[2](s[1](s[0](x))))
    np.testing.assert_array_equal(y.detach().numpy(), manual.detach().numpy())
    assert s[-1] is s[3] and isinstance(s[1:], ember.nn.Sequential)
    doubled = s[:1] * 2
    assert doubled[0] is doubled[1]                       # * repeats the same module
    assert len(list(doubled.parameters())) == 2
    assert "0" not in dir(s) and "forward" in dir(s)
    p = s.pop(0)
    assert isinstance(p, ember.nn.Linear) and list(s._modules) == ["0", "1", "2"]
    assert s[0] is s.__dict__["0"]                       # attributes follow renumbering


SEQ_ERRORS = [
    (lambda lib: _seq(lib)[4], IndexError, "index 4 is out of range"),
    (lambda lib: _seq(lib)[-5], IndexError, "index -5 is out of range"),
    (lambda lib: _seq(lib) + lib.nn.ModuleList(), ValueError,
     "add operator supports only objects of Sequential class"),
    (lambda lib: _seq(lib).__iadd__(3), ValueError,
     "add operator supports only objects of Sequential class"),
    (lambda lib: _seq(lib) * 0, ValueError, "Non-positive multiplication factor 0"),
    (lambda lib: _seq(lib) * 1.5, TypeError, "unsupported operand type"),
    (lambda lib: _seq(lib).insert(7, lib.nn.ReLU()), IndexError, "Index out of range: 7"),
    (lambda lib: _seq(lib).insert(0, 3), AssertionError, "module should be of type"),
    (lambda lib: _seq(lib)["a"], TypeError, None),
]


@pytest.mark.parametrize("fn,exc,msg", SEQ_ERRORS)
def test_sequential_errors_match_torch(fn, exc, msg):
    for lib in (torch, ember):
        with pytest.raises(exc, match=msg):
            fn(lib)


# --- ModuleList --------------------------------------------------------------------------------
def _ml(lib):
    nn = lib.nn
    return nn.ModuleList([nn.ReLU(), nn.ReLU(), nn.Linear(2, 3), nn.ReLU(), nn.ReLU(), nn.ReLU()])


ML_OPS = [
    ("as-is", lambda lib, m: m),
    ("slice", lambda lib, m: m[1:4]),
    ("del", lambda lib, m: (m.__delitem__(2), m)[1]),
    ("del-slice", lambda lib, m: (m.__delitem__(slice(None, None, 2)), m)[1]),
    ("setitem", lambda lib, m: (m.__setitem__(-2, lib.nn.Linear(1, 1)), m)[1]),
    ("append", lambda lib, m: m.append(lib.nn.Tanh())),
    ("extend", lambda lib, m: m.extend([lib.nn.Tanh(), lib.nn.Tanh()])),
    ("iadd", lambda lib, m: m.__iadd__([lib.nn.Tanh()])),
    ("add", lambda lib, m: m + lib.nn.ModuleList([lib.nn.Sigmoid()])),
    ("insert", lambda lib, m: (m.insert(2, lib.nn.Sigmoid()), m)[1]),
    ("pop", lambda lib, m: lib.nn.ModuleList([m.pop(2)] + list(m))),
    ("empty", lambda lib, m: lib.nn.ModuleList()),
    ("nested", lambda lib, m: lib.nn.ModuleList([lib.nn.Sequential(lib.nn.ReLU()),
                                                 lib.nn.Sequential(lib.nn.ReLU()), m[:2]])),
]


@pytest.mark.parametrize("name,op", ML_OPS, ids=[o[0] for o in ML_OPS])
def test_module_list_ops_match_torch(name, op):
    torch.manual_seed(0)
    t, e = _both(lambda lib: op(lib, _ml(lib)))
    _same_structure(t, e)
    assert len(e) == len(t)


def test_module_list_errors_and_indexing():
    for lib in (torch, ember):
        m = _ml(lib)
        with pytest.raises(IndexError, match="index 6 is out of range"):
            m[6]
        with pytest.raises(TypeError, match="ModuleList.extend should be called with an "
                                            "iterable, but got int"):
            m.extend(3)
        with pytest.raises(NotImplementedError):
            m(1)
    m = _ml(ember)
    assert m[-1] is m[5] and isinstance(m[:2], ember.nn.ModuleList)
    del m[0]
    assert list(m._modules) == [str(i) for i in range(5)]
    assert all(m.__dict__[str(i)] is m[i] for i in range(5))


# --- ModuleDict --------------------------------------------------------------------------------
def _md(lib):
    nn = lib.nn
    return nn.ModuleDict({"conv": nn.Conv2d(1, 2, 3), "act": nn.ReLU(), "lin": nn.Linear(2, 1)})


MD_OPS = [
    ("as-is", lambda lib, d: d),
    ("setitem", lambda lib, d: (d.__setitem__("new", lib.nn.Tanh()), d)[1]),
    ("del", lambda lib, d: (d.__delitem__("act"), d)[1]),
    ("pop", lambda lib, d: lib.nn.ModuleDict({"popped": d.pop("conv"), **dict(d.items())})),
    ("update-pairs", lambda lib, d: (d.update([("x", lib.nn.ReLU()), ("act", lib.nn.Tanh())]),
                                     d)[1]),
    ("update-ordered", lambda lib, d: (d.update(OrderedDict(z=lib.nn.ReLU(), a=lib.nn.Tanh())),
                                       d)[1]),
    ("clear", lambda lib, d: (d.clear(), d)[1]),
]


@pytest.mark.parametrize("name,op", MD_OPS, ids=[o[0] for o in MD_OPS])
def test_module_dict_ops_match_torch(name, op):
    torch.manual_seed(0)
    t, e = _both(lambda lib: op(lib, _md(lib)))
    _same_structure(t, e)
    assert list(e.keys()) == list(t.keys()) and list(e) == list(t)
    assert [type(v).__name__ for v in e.values()] == [type(v).__name__ for v in t.values()]


def test_module_dict_errors():
    for lib in (torch, ember):
        d = _md(lib)
        assert "act" in d and "foo" not in d and len(d) == 3
        with pytest.raises(TypeError, match="ModuleDict.update should be called with an "
                                            "iterable of key/value pairs, but got int"):
            d.update(3)
        with pytest.raises(TypeError, match="ModuleDict update sequence element #0 should be "
                                            "Iterable; isint"):
            d.update([3])
        with pytest.raises(ValueError, match="ModuleDict update sequence element #1 has length "
                                             "3; 2 is required"):
            d.update([("a", lib.nn.ReLU()), ("b", lib.nn.ReLU(), 1)])
        with pytest.raises(KeyError):
            d["missing"]


# --- ParameterList / ParameterDict -------------------------------------------------------------
def _plist(lib):
    rng = np.random.default_rng(0)
    return lib.nn.ParameterList([lib.nn.Parameter(lib.tensor(rng.standard_normal((3, 4)))),
                                 lib.tensor(rng.standard_normal(5).astype(np.float32)),
                                 "not a tensor", lib.zeros(2, 2, dtype=lib.float64)])


PL_OPS = [
    ("as-is", lambda lib, p: p),
    ("one", lambda lib, p: lib.nn.ParameterList([lib.nn.Parameter(lib.zeros(3))])),
    ("empty", lambda lib, p: lib.nn.ParameterList()),
    ("slice", lambda lib, p: p[1:]),
    ("append", lambda lib, p: p.append(lib.ones(1))),
    ("extend", lambda lib, p: p.extend([lib.ones(1), 7])),
    ("iadd", lambda lib, p: p.__iadd__([lib.ones(2, 1)])),
    ("setitem", lambda lib, p: (p.__setitem__(2, lib.ones(3)), p)[1]),
    ("setitem-object", lambda lib, p: (p.__setitem__(3, lib.nn.Parameter(lib.ones(1))),
                                       p.__setitem__(2, lib.nn.Parameter(lib.ones(1))), p)[2]),
    ("in-module", lambda lib, p: lib.nn.ModuleDict({"params": p})),
]


@pytest.mark.parametrize("name,op", PL_OPS, ids=[o[0] for o in PL_OPS])
def test_parameter_list_matches_torch(name, op):
    t, e = _both(lambda lib: op(lib, _plist(lib)))
    _same_structure(t, e)
    for (n, tp), (_, ep) in zip(t.named_parameters(), e.named_parameters()):
        np.testing.assert_array_equal(ep.detach().numpy(), tp.detach().numpy(), err_msg=n)
        assert ep.requires_grad and ep.dtype == getattr(ember, str(tp.dtype).split(".")[-1])


def test_parameter_list_semantics():
    pl = _plist(ember)
    assert len(pl) == 4 and isinstance(pl[1], ember.nn.Parameter) and pl[2] == "not a tensor"
    assert pl[-1] is pl[3] and [type(v).__name__ for v in pl] == [
        "Parameter", "Parameter", "str", "Parameter"]
    assert len(list(pl.parameters())) == 3
    assert "0" not in dir(pl)
    with pytest.raises(IndexError, match="index 4 is out of range"):
        pl[4]
    for lib in (torch, ember):
        with pytest.raises(TypeError, match="ParameterList.extend should be called with an "
                                            "iterable, but got Tensor"):
            lib.nn.ParameterList().extend(lib.zeros(3))
        with pytest.raises(RuntimeError, match="ParameterList should not be called."):
            lib.nn.ParameterList()()
    # a module holding a ParameterList trains every entry
    class M(ember.nn.Module):
        def __init__(self):
            super().__init__()
            self.ws = ember.nn.ParameterList([ember.randn(3) for _ in range(3)])

        def forward(self):
            return sum((w ** 2).sum() for w in self.ws)
    m = M()
    m().backward()
    assert all(w.grad is not None for w in m.ws)
    assert list(m.state_dict()) == ["ws.0", "ws.1", "ws.2"]


def _pdict(lib):
    rng = np.random.default_rng(0)
    return lib.nn.ParameterDict({"b": lib.tensor(rng.standard_normal(3).astype(np.float32)),
                                 "a": lib.nn.Parameter(lib.zeros(2, 2, dtype=lib.float64)),
                                 "c": 5})


PD_OPS = [
    ("as-is", lambda lib, d: d),
    ("ordered", lambda lib, d: lib.nn.ParameterDict(OrderedDict(z=lib.ones(1), y=lib.ones(2)))),
    ("pairs", lambda lib, d: lib.nn.ParameterDict([("z", lib.ones(1)), ("y", lib.ones(2))])),
    ("empty", lambda lib, d: lib.nn.ParameterDict()),
    ("setitem", lambda lib, d: (d.__setitem__("new", lib.ones(4)), d)[1]),
    ("del", lambda lib, d: (d.__delitem__("a"), d)[1]),
    ("pop", lambda lib, d: (d.pop("b"), d)[1]),
    ("popitem", lambda lib, d: (d.popitem(), d)[1]),
    ("setdefault", lambda lib, d: (d.setdefault("q", lib.ones(2)), d.setdefault("a"), d)[2]),
    ("update", lambda lib, d: (d.update({"y": lib.ones(1), "x": lib.ones(3)}), d)[1]),
    ("or", lambda lib, d: d | lib.nn.ParameterDict({"x": lib.ones(3)})),
    ("ior", lambda lib, d: d.__ior__(lib.nn.ParameterDict({"x": lib.ones(3)}))),
    ("copy", lambda lib, d: d.copy()),
    ("fromkeys", lambda lib, d: d.fromkeys(["u", "v"], lib.ones(2))),
    ("clear", lambda lib, d: (d.clear(), d)[1]),
]


@pytest.mark.parametrize("name,op", PD_OPS, ids=[o[0] for o in PD_OPS])
def test_parameter_dict_matches_torch(name, op):
    t, e = _both(lambda lib: op(lib, _pdict(lib)))
    _same_structure(t, e)
    assert list(e.keys()) == list(t.keys()) and list(reversed(e)) == list(reversed(t))
    for (n, tp), (_, ep) in zip(t.named_parameters(), e.named_parameters()):
        np.testing.assert_array_equal(ep.detach().numpy(), tp.detach().numpy(), err_msg=n)


def test_parameter_dict_semantics():
    d = _pdict(ember)
    assert list(d) == ["a", "b", "c"]                      # a plain dict is sorted
    assert d.get("zz") is None and d.get("c") == 5 and "a" in d
    assert isinstance(d["b"], ember.nn.Parameter)
    assert [k for k, _ in d.items()] == list(d.keys())
    assert len(list(d.values())) == 3
    shared = d.copy()
    assert shared["a"] is d["a"]
    for lib in (torch, ember):
        pd = lib.nn.ParameterDict()
        with pytest.raises(TypeError, match="Index given to ParameterDict cannot be used as a key "
                                            "as it is not a string"):
            pd[1] = lib.ones(1)
        with pytest.raises(TypeError, match="ParametersDict.update should be called with an "
                                            "iterable of key/value pairs, but got int"):
            pd.update(3)
        with pytest.raises(ValueError, match="ParameterDict update sequence element #0 has "
                                             "length 1; 2 is required"):
            pd.update([("a",)])
        with pytest.raises(RuntimeError, match="ParameterDict should not be called."):
            pd(1)
        with pytest.raises(KeyError):
            lib.nn.ParameterDict().popitem()
        with pytest.raises(TypeError, match="cannot assign 'float' as parameter '0'"):
            lib.nn.ParameterList([lib.ones(1)])[0] = 3.5
