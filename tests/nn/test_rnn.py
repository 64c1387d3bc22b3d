"""Recurrent layers and the pack/pad utilities against torch: torch's state_dict loaded into
ember, then outputs, final states, input/state gradients and every parameter gradient compared
(random cotangents); float64 gradcheck/gradgradcheck of the fused ops; a small LSTM language
model trained the same way in both."""
import numpy as np
import pytest
import torch
import torch.nn.utils.rnn as TR

import ember
import ember.nn.utils.rnn as ER
from ember.autograd import gradcheck, gradgradcheck

pytestmark = pytest.mark.filterwarnings(
    "ignore:LSTM with projections is not supported with oneDNN")

RTOL, ATOL = 1e-4, 1e-5


def _pair(expr):
    torch.manual_seed(0)
    t = eval("torch.nn." + expr, {"torch": torch})
    e = eval("ember.nn." + expr, {"ember": ember})
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    return t, e


def _leaf(arr, lib):
    return lib.tensor(arr, requires_grad=True)


def _flat(out):
    """Every tensor in a (nested) module result, in order."""
    if isinstance(out, (tuple, list)):
        return [x for o in out for x in _flat(o)]
    if isinstance(out, (ER.PackedSequence, TR.PackedSequence)):
        return [out.data]
    return [out]


def _close(e, t, what, rtol=RTOL, atol=ATOL):
    assert tuple(e.shape) == tuple(t.shape), f"{what}: {tuple(e.shape)} vs {tuple(t.shape)}"
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol,
                               err_msg=what)


def _backward_both(touts, eouts, seed=1):
    """Backward a random cotangent through every output of both."""
    rng = np.random.default_rng(seed)
    tl, el = 0, 0
    for t, e in zip(touts, eouts):
        c = rng.standard_normal(tuple(t.shape)).astype(np.float32)
        tl = tl + (t * torch.tensor(c)).sum()
        el = el + (e * ember.tensor(c)).sum()
    tl.backward()
    el.backward()


def _compare_params(t, e):
    tn = [n for n, _ in t.named_parameters()]
    en = [n for n, _ in e.named_parameters()]
    assert en == tn
    for (n, tp), (_, ep) in zip(t.named_parameters(), e.named_parameters()):
        assert tuple(ep.shape) == tuple(tp.shape), n
        _close(ep.grad, tp.grad, f"grad of {n}", atol=1e-4)


# --- full modules -----------------------------------------------------------------------------
MODULES = [
    "RNN(4, 6)",
    "RNN(4, 6, nonlinearity='relu')",
    "RNN(4, 6, 2, 'relu', bias=False)",
    "RNN(4, 6, num_layers=2, bidirectional=True)",
    "LSTM(4, 6)",
    "LSTM(4, 6, num_layers=2)",
    "LSTM(4, 6, bidirectional=True, batch_first=True)",
    "LSTM(4, 6, bias=False)",
    "LSTM(4, 6, proj_size=3)",
    "LSTM(4, 6, num_layers=2, bidirectional=True, proj_size=3, bias=False)",
    "GRU(4, 6)",
    "GRU(4, 6, bias=False, batch_first=True)",
    "GRU(4, 6, num_layers=2, bidirectional=True)",
    "GRU(4, 6, num_layers=3, batch_first=True)",
]


def _state_shapes(t, batch):
    d = 2 if t.bidirectional else 1
    real = t.proj_size if t.proj_size else t.hidden_size
    hs = (t.num_layers * d,) + ((batch,) if batch else ()) + (real,)
    if t.mode == "LSTM":
        return [hs, hs[:-1] + (t.hidden_size,)]
    return [hs]


@pytest.mark.parametrize("expr", MODULES)
@pytest.mark.parametrize("given_state", [False, True], ids=["no_hx", "hx"])
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
def test_module_matches_torch(expr, given_state, batched):
    t, e = _pair(expr)
    assert repr(e) == repr(t)
    rng = np.random.default_rng(0)
    seq, batch = 5, 3
    shape = ((batch, seq) if t.batch_first else (seq, batch)) if batched else (seq,)
    x = rng.standard_normal(shape + (4,)).astype(np.float32)
    tx, ex = _leaf(x, torch), _leaf(x, ember)
    targs, eargs = [tx], [ex]
    if given_state:
        states = [rng.standard_normal(s).astype(np.float32)
                  for s in _state_shapes(t, batch if batched else 0)]
        ts = [_leaf(s, torch) for s in states]
        es = [_leaf(s, ember) for s in states]
        targs.append(tuple(ts) if t.mode == "LSTM" else ts[0])
        eargs.append(tuple(es) if t.mode == "LSTM" else es[0])
    touts, eouts = _flat(t(*targs)), _flat(e(*eargs))
    assert len(eouts) == len(touts)
    for i, (eo, to) in enumerate(zip(eouts, touts)):
        _close(eo, to, f"output {i}")
    _backward_both(touts, eouts)
    _close(ex.grad, tx.grad, "input grad")
    if given_state:
        for i, (es_, ts_) in enumerate(zip(es, ts)):
            _close(es_.grad, ts_.grad, f"state {i} grad")
    _compare_params(t, e)


PACKED = [
    "RNN(4, 6)",
    "RNN(4, 6, num_layers=2, nonlinearity='relu', bidirectional=True)",
    "LSTM(4, 6)",
    "LSTM(4, 6, num_layers=2, bidirectional=True)",
    "LSTM(4, 6, bidirectional=True, proj_size=2)",
    "GRU(4, 6, bidirectional=True)",
    "GRU(4, 6, num_layers=2, bias=False)",
]


@pytest.mark.parametrize("expr", PACKED)
@pytest.mark.parametrize("lengths,enforce_sorted", [([5, 4, 4, 2, 1], True),
                                                    ([3, 5, 1, 4, 2], False),
                                                    ([2, 2, 2, 2, 2], True)])
@pytest.mark.parametrize("given_state", [False, True], ids=["no_hx", "hx"])
def test_packed_matches_torch(expr, lengths, enforce_sorted, given_state):
    t, e = _pair(expr)
    rng = np.random.default_rng(0)
    batch = len(lengths)
    x = rng.standard_normal((max(lengths), batch, 4)).astype(np.float32)
    tx, ex = _leaf(x, torch), _leaf(x, ember)
    tp = TR.pack_padded_sequence(tx, lengths, enforce_sorted=enforce_sorted)
    ep = ER.pack_padded_sequence(ex, lengths, enforce_sorted=enforce_sorted)
    targs, eargs = [tp], [ep]
    if given_state:
        states = [rng.standard_normal(s).astype(np.float32) for s in _state_shapes(t, batch)]
        ts = [_leaf(s, torch) for s in states]
        es = [_leaf(s, ember) for s in states]
        targs.append(tuple(ts) if t.mode == "LSTM" else ts[0])
        eargs.append(tuple(es) if t.mode == "LSTM" else es[0])
    tres, eres = t(*targs), e(*eargs)
    assert isinstance(eres[0], ER.PackedSequence)
    assert eres[0].batch_sizes.tolist() == tres[0].batch_sizes.tolist()
    tpad, tlen = TR.pad_packed_sequence(tres[0], batch_first=True)
    epad, elen = ER.pad_packed_sequence(eres[0], batch_first=True)
    assert elen.tolist() == tlen.tolist() == lengths
    touts, eouts = [tpad] + _flat(tres[1]), [epad] + _flat(eres[1])
    for i, (eo, to) in enumerate(zip(eouts, touts)):
        _close(eo, to, f"output {i}")
    _backward_both(touts, eouts)
    _close(ex.grad, tx.grad, "input grad")
    if given_state:
        for i, (es_, ts_) in enumerate(zip(es, ts)):
            _close(es_.grad, ts_.grad, f"state {i} grad")
    _compare_params(t, e)


# sizes where the LSTM runs its recurrent products one gate block at a time ("gate") or
# transposed ("t") (rnn_ops._product_layout); the small modules above take the plain layout
@pytest.mark.parametrize("expr", ["LSTM(4, 128, bidirectional=True)",
                                  "LSTM(4, 160, num_layers=2, proj_size=128)",
                                  "LSTM(4, 320, bidirectional=True)",
                                  "LSTM(4, 400, proj_size=304)"])
@pytest.mark.parametrize("packed", [False, True], ids=["dense", "packed"])
def test_lstm_product_layouts_match_torch(expr, packed):
    t, e = _pair(expr)
    rng = np.random.default_rng(0)
    lengths = [5, 3, 4]
    x = rng.standard_normal((5, 3, 4)).astype(np.float32)
    tx, ex = _leaf(x, torch), _leaf(x, ember)
    states = [rng.standard_normal(s).astype(np.float32) for s in _state_shapes(t, 3)]
    ts = [_leaf(s, torch) for s in states]
    es = [_leaf(s, ember) for s in states]
    if packed:
        tin = TR.pack_padded_sequence(tx, lengths, enforce_sorted=False)
        ein = ER.pack_padded_sequence(ex, lengths, enforce_sorted=False)
    else:
        tin, ein = tx, ex
    tres, eres = t(tin, tuple(ts)), e(ein, tuple(es))
    touts, eouts = _flat(tres), _flat(eres)
    for i, (eo, to) in enumerate(zip(eouts, touts)):
        _close(eo, to, f"output {i}")
    _backward_both(touts, eouts)
    _close(ex.grad, tx.grad, "input grad")
    for i, (es_, ts_) in enumerate(zip(es, ts)):
        _close(es_.grad, ts_.grad, f"state {i} grad")
    _compare_params(t, e)


def test_dropout_between_layers():
    t, e = _pair("LSTM(4, 6, num_layers=3, dropout=0.5)")
    assert repr(e) == repr(t) == "LSTM(4, 6, num_layers=3, dropout=0.5)"
    x = np.random.default_rng(0).standard_normal((5, 3, 4)).astype(np.float32)
    out, (h, c) = e(ember.tensor(x))           # training: dropout active, shapes as torch
    assert tuple(out.shape) == (5, 3, 6) and tuple(h.shape) == tuple(c.shape) == (3, 3, 6)
    t.eval()
    e.eval()
    for eo, to in zip(_flat(e(ember.tensor(x))), _flat(t(torch.tensor(x)))):
        _close(eo, to, "eval output")


def test_dropout_warning_and_checks():
    with pytest.warns(UserWarning, match="dropout option adds dropout after all but last"):
        ember.nn.GRU(3, 4, dropout=0.2)
    for kwargs, exc in [({"dropout": 1.5}, ValueError), ({"dropout": True}, ValueError),
                        ({"proj_size": 5}, ValueError), ({"proj_size": -1}, ValueError),
                        ({"num_layers": 0}, ValueError), ({"bias": 1}, TypeError),
                        ({"batch_first": None}, TypeError)]:
        _same_error(lambda lib, kw=kwargs: lib.nn.LSTM(3, 4, **kw), exc)
    _same_error(lambda lib: lib.nn.LSTM(3, 0), ValueError)
    _same_error(lambda lib: lib.nn.LSTM(3.0, 4), TypeError)
    _same_error(lambda lib: lib.nn.GRU(3, 4, proj_size=2), ValueError)
    _same_error(lambda lib: lib.nn.RNN(3, 4, nonlinearity="gelu"), ValueError)
    _same_error(lambda lib: lib.nn.RNN(3, 4, 1, "sigmoid"), ValueError)


def _same_error(fn, exc):
    with pytest.raises(exc) as te:
        fn(torch)
    with pytest.raises(exc) as ee:
        fn(ember)
    assert str(ee.value) == str(te.value)


@pytest.mark.parametrize("call", [
    lambda lib, m: m(lib.randn(5, 3, 7)),
    lambda lib, m: m(lib.randn(2, 5, 3, 4)),
    lambda lib, m: m(lib.randn(5, 3, 4), lib.randn(1, 2, 6)),
    lambda lib, m: m(lib.randn(5, 3, 4), lib.randn(3, 6)),
    lambda lib, m: m(lib.randn(5, 4), lib.randn(1, 1, 6)),
    lambda lib, m: m(lib.randn(5, 3, 4, dtype=lib.float64)),
], ids=["input_size", "4d", "hidden_size", "hx_2d", "unbatched_hx_3d", "dtype"])
@pytest.mark.parametrize("name", ["RNN", "GRU"])
def test_forward_errors(call, name):
    def run(lib):
        torch.manual_seed(0)
        return call(lib, getattr(lib.nn, name)(4, 6))
    with pytest.raises(Exception) as te:
        run(torch)
    with pytest.raises(type(te.value)) as ee:
        run(ember)
    assert str(ee.value) == str(te.value)


@pytest.mark.parametrize("call", [
    lambda lib, m: m(lib.randn(5, 3, 4), (lib.randn(1, 3, 6), lib.randn(1, 2, 6))),
    lambda lib, m: m(lib.randn(5, 3, 4), (lib.randn(1, 3, 6), lib.randn(3, 6))),
    lambda lib, m: m(lib.randn(5, 4), (lib.randn(1, 6), lib.randn(1, 1, 6))),
    lambda lib, m: m(lib.randn(5, 3, 4), (lib.randn(1, 3, 5), lib.randn(1, 3, 6))),
    lambda lib, m: m(lib.randn(4)),
    lambda lib, m: m(lib.randn(0, 3, 4)),
], ids=["cell_batch", "cx_2d", "unbatched_cx_3d", "hidden0", "1d", "empty_seq"])
def test_lstm_forward_errors(call):
    def run(lib):
        return call(lib, lib.nn.LSTM(4, 6))
    with pytest.raises(Exception) as te:
        run(torch)
    with pytest.raises(type(te.value)) as ee:
        run(ember)
    assert str(ee.value) == str(te.value)


def test_parameters_like_torch():
    t, e = _pair("LSTM(3, 5, num_layers=2, bidirectional=True, proj_size=2)")
    assert e._flat_weights_names == t._flat_weights_names
    assert [[tuple(p.shape) for p in ws] for ws in e.all_weights] == \
        [[tuple(p.shape) for p in ws] for ws in t.all_weights]
    e.flatten_parameters()
    bound = 1 / np.sqrt(5)
    for p in ember.nn.GRU(3, 5, num_layers=2).parameters():
        a = p.detach().numpy()
        assert a.min() >= -bound and a.max() <= bound and a.std() > 0.1 * bound


def test_zero_batch():
    for name in ("LSTM", "GRU"):
        t, e = _pair(f"{name}(4, 6)")
        to, th = t(torch.randn(5, 0, 4))
        eo, eh = e(ember.randn(5, 0, 4))
        assert tuple(eo.shape) == tuple(to.shape)
        for a, b in zip(_flat(eh), _flat(th)):
            assert tuple(a.shape) == tuple(b.shape)
    for name in ("LSTMCell", "GRUCell", "RNNCell"):
        t, e = _pair(f"{name}(4, 6)")
        tx, ex = torch.zeros(0, 4, requires_grad=True), ember.zeros(0, 4, requires_grad=True)
        touts, eouts = _flat(t(tx)), _flat(e(ex))
        _backward_both(touts, eouts)
        _close(ex.grad, tx.grad, "input grad")
        _compare_params(t, e)


# --- cells --------------------------------------------------------------------------------------
CELLS = ["RNNCell(4, 6)", "RNNCell(4, 6, nonlinearity='relu')", "RNNCell(4, 6, bias=False)",
         "LSTMCell(4, 6)", "LSTMCell(4, 6, bias=False)", "GRUCell(4, 6)",
         "GRUCell(4, 6, bias=False)"]


@pytest.mark.parametrize("expr", CELLS)
@pytest.mark.parametrize("given_state", [False, True], ids=["no_hx", "hx"])
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
def test_cell_matches_torch(expr, given_state, batched):
    t, e = _pair(expr)
    assert repr(e) == repr(t)
    rng = np.random.default_rng(0)
    lead = (3,) if batched else ()
    x = rng.standard_normal(lead + (4,)).astype(np.float32)
    tx, ex = _leaf(x, torch), _leaf(x, ember)
    targs, eargs = [tx], [ex]
    lstm = expr.startswith("LSTM")
    if given_state:
        states = [rng.standard_normal(lead + (6,)).astype(np.float32)
                  for _ in range(2 if lstm else 1)]
        ts = [_leaf(s, torch) for s in states]
        es = [_leaf(s, ember) for s in states]
        targs.append(tuple(ts) if lstm else ts[0])
        eargs.append(tuple(es) if lstm else es[0])
    # two steps, so the state path is exercised too
    tres, eres = t(*targs), e(*eargs)
    tres, eres = t(tx * 0.5, tres), e(ex * 0.5, eres)
    touts, eouts = _flat(tres), _flat(eres)
    for i, (eo, to) in enumerate(zip(eouts, touts)):
        _close(eo, to, f"output {i}")
    _backward_both(touts, eouts)
    _close(ex.grad, tx.grad, "input grad")
    if given_state:
        for i, (es_, ts_) in enumerate(zip(es, ts)):
            _close(es_.grad, ts_.grad, f"state {i} grad")
    _compare_params(t, e)


@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.LSTMCell(3, 4)(lib.randn(2, 5)),
    lambda lib: lib.nn.LSTMCell(3, 4)(lib.randn(2, 3), (lib.randn(3, 4), lib.randn(2, 4))),
    lambda lib: lib.nn.LSTMCell(3, 4)(lib.randn(2, 3), (lib.randn(2, 5), lib.randn(2, 4))),
    lambda lib: lib.nn.LSTMCell(3, 4)(lib.randn(2, 3, 1)),
    lambda lib: lib.nn.LSTMCell(3, 4)(lib.randn(2, 3), (lib.randn(2, 4), lib.randn(1, 2, 4))),
    lambda lib: lib.nn.GRUCell(3, 4)(lib.randn(2, 3), lib.randn(2, 5)),
    lambda lib: lib.nn.GRUCell(3, 4)(lib.randn(2, 3), lib.randn(1, 2, 4)),
    lambda lib: lib.nn.RNNCell(3, 4, nonlinearity="foo")(lib.randn(2, 3)),
    lambda lib: lib.nn.RNNCell(3, 4)(lib.randn(1, 2, 3)),
])
def test_cell_errors(call):
    with pytest.raises(Exception) as te:
        call(torch)
    with pytest.raises(type(te.value)) as ee:
        call(ember)
    assert str(ee.value) == str(te.value)


def test_cell_functions_match_torch():
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32)
              for s in [(3, 4), (3, 6), (3, 6), (24, 4), (24, 6), (24,), (24,)]]
    tt = [torch.tensor(a) for a in arrays]
    ee = [ember.tensor(a) for a in arrays]
    _close(ember.lstm_cell(ee[0], (ee[1], ee[2]), *ee[3:])[1],
           torch.lstm_cell(tt[0], (tt[1], tt[2]), *tt[3:])[1], "lstm_cell c")
    _close(ember.gru_cell(ee[0], ee[1], ee[3][:18], ee[4][:18], ee[5][:18], ee[6][:18]),
           torch.gru_cell(tt[0], tt[1], tt[3][:18], tt[4][:18], tt[5][:18], tt[6][:18]),
           "gru_cell")
    _close(ember.rnn_tanh_cell(ee[0], ee[1], ee[3][:6], ee[4][:6]),
           torch.rnn_tanh_cell(tt[0], tt[1], tt[3][:6], tt[4][:6]), "rnn_tanh_cell")
    _close(ember.rnn_relu_cell(ee[0], ee[1], ee[3][:6], ee[4][:6], ee[5][:6], ee[6][:6]),
           torch.rnn_relu_cell(tt[0], tt[1], tt[3][:6], tt[4][:6], tt[5][:6], tt[6][:6]),
           "rnn_relu_cell")


# --- float64 gradcheck / gradgradcheck of the fused ops -----------------------------------------
def _f64(rng, *shape):
    return ember.tensor(rng.standard_normal(shape), dtype=ember.float64, requires_grad=True)


@pytest.mark.parametrize("name", ["lstm_cell", "gru_cell", "rnn_tanh_cell", "rnn_relu_cell"])
def test_cell_gradcheck(name):
    rng = np.random.default_rng(0)
    k = {"lstm_cell": 4, "gru_cell": 3}.get(name, 1)
    fn = getattr(ember, name)
    x, h, c = _f64(rng, 3, 2), _f64(rng, 3, 4), _f64(rng, 3, 4)
    w = [_f64(rng, k * 4, 2), _f64(rng, k * 4, 4), _f64(rng, k * 4), _f64(rng, k * 4)]
    if name == "lstm_cell":
        def f(x, h, c, *w):
            return ember.cat(list(fn(x, (h, c), *w)), 1)
        args = (x, h, c, *w)
    else:
        def f(x, h, *w):
            return fn(x, h, *w)
        args = (x, h, *w)
    assert gradcheck(f, args)
    assert gradgradcheck(f, args)


@pytest.mark.parametrize("expr,second", [
    ("LSTM(2, 3, bidirectional=True, proj_size=2)", True),
    ("LSTM(2, 3, num_layers=2, bidirectional=True)", False),
    ("GRU(2, 3, bidirectional=True)", True),
    ("RNN(2, 3, nonlinearity='relu', bidirectional=True)", True)])
def test_packed_sequence_gradcheck(expr, second):
    m = eval("ember.nn." + expr, {"ember": ember}).double()
    rng = np.random.default_rng(0)
    lengths = [4, 2, 3]
    x = _f64(rng, 4, 3, 2)
    states = [_f64(rng, *s) for s in _state_shapes(m, 3)]

    def f(x, *states):
        p = ER.pack_padded_sequence(x, lengths, enforce_sorted=False)
        out, hn = m(p, tuple(states) if len(states) == 2 else states[0])
        return ember.cat([o.flatten() for o in _flat(out) + _flat(hn)])
    assert gradcheck(f, (x, *states))
    if second:
        assert gradgradcheck(f, (x, *states))


@pytest.mark.parametrize("expr", ["LSTM(2, 3, num_layers=2, bidirectional=True)",
                                  "LSTM(2, 3, proj_size=2, bidirectional=True, batch_first=True)",
                                  "LSTM(2, 128)", "LSTM(2, 300)"])
def test_dense_lstm_gradcheck(expr):
    # dense input with initial-state gradients and both final states as outputs (the cell
    # state's cotangent takes the backward's extra term); LSTM(2, 128) and LSTM(2, 300) run the
    # "gate" and "t" product layouts
    m = eval("ember.nn." + expr, {"ember": ember}).double()
    rng = np.random.default_rng(0)
    x = _f64(rng, *((2, 3, 2) if m.batch_first else (3, 2, 2)))
    states = [_f64(rng, *s) for s in _state_shapes(m, 2)]

    def f(x, h0, c0):
        out, (hn, cn) = m(x, (h0, c0))
        return ember.cat([out.flatten(), hn.flatten(), cn.flatten()])
    assert gradcheck(f, (x, *states))


def test_double_backward_through_weights():
    # grad-of-grad with respect to the recurrent weights of a full layer, against torch
    t, e = _pair("LSTM(3, 4)")
    x = np.random.default_rng(0).standard_normal((4, 2, 3)).astype(np.float32)
    res = []
    for lib, m in ((torch, t), (ember, e)):
        out, _ = m(lib.tensor(x))
        w = m.weight_hh_l0
        (g,) = lib.autograd.grad((out ** 2).sum(), w, create_graph=True)
        (g2,) = lib.autograd.grad((g * g).sum(), w)
        res.append(g2)
    _close(res[1], res[0], "second derivative", atol=1e-4)


# --- training a small LSTM language model ------------------------------------------------------
class _LM:
    def __init__(self, lib, vocab, emb, hidden):
        self.lib = lib
        self.embedding = lib.nn.Parameter(lib.zeros(vocab, emb))
        self.lstm = lib.nn.LSTM(emb, hidden)
        self.decoder = lib.nn.Linear(hidden, vocab)

    def parameters(self):
        return [self.embedding] + list(self.lstm.parameters()) + list(self.decoder.parameters())

    def loss(self, inputs, targets, state):
        out, state = self.lstm(self.embedding[inputs], state)
        logits = self.decoder(out)
        loss = self.lib.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                    targets.reshape(-1))
        return loss, tuple(s.detach() for s in state)


def test_lstm_language_model_training_matches_torch():
    vocab, emb, hidden, seq, batch = 30, 12, 16, 7, 4
    torch.manual_seed(0)
    tm = _LM(torch, vocab, emb, hidden)
    em = _LM(ember, vocab, emb, hidden)
    with torch.no_grad():
        tm.embedding.normal_()
    for tp, ep in zip(tm.parameters(), em.parameters()):
        ep.data = ember.tensor(tp.detach().numpy())
    stream = np.random.default_rng(0).integers(0, vocab, size=(20 * seq + 1, batch))
    t_opt = torch.optim.SGD(tm.parameters(), lr=0.5)
    e_opt = ember.optim.SGD(em.parameters(), lr=0.5)
    t_state = e_state = None
    for step in range(20):
        chunk = stream[step * seq:(step + 1) * seq + 1]
        losses = []
        for lib, model, opt, state in ((torch, tm, t_opt, t_state), (ember, em, e_opt, e_state)):
            opt.zero_grad()
            loss, state = model.loss(lib.tensor(chunk[:-1]), lib.tensor(chunk[1:]), state)
            loss.backward()
            opt.step()
            losses.append(loss.item())
            if lib is torch:
                t_state = state
            else:
                e_state = state
        assert abs(losses[0] - losses[1]) < 1e-4, (step, losses)


# --- pack / pad utilities -----------------------------------------------------------------------
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("lengths,enforce_sorted", [([4, 3, 3, 1], True), ([2, 4, 1, 3], False),
                                                    (torch.tensor([1, 3, 2, 4]), False)])
@pytest.mark.parametrize("trailing", [(), (3,), (2, 2)])
def test_pack_pad_roundtrip(batch_first, lengths, enforce_sorted, trailing):
    rng = np.random.default_rng(0)
    shape = (4, 4) + trailing          # (T, B, *) or (B, T, *): both 4 here
    x = rng.standard_normal(shape).astype(np.float32)
    tx, ex = _leaf(x, torch), _leaf(x, ember)
    elengths = ember.tensor(lengths.numpy()) if isinstance(lengths, torch.Tensor) else lengths
    tp = TR.pack_padded_sequence(tx, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
    ep = ER.pack_padded_sequence(ex, elengths, batch_first=batch_first,
                                 enforce_sorted=enforce_sorted)
    _close(ep.data, tp.data, "data")
    assert ep.batch_sizes.tolist() == tp.batch_sizes.tolist()
    assert ep.batch_sizes.dtype == ember.int64
    for name in ("sorted_indices", "unsorted_indices"):
        a, b = getattr(ep, name), getattr(tp, name)
        assert (a is None) == (b is None)
        if b is not None:
            assert a.tolist() == b.tolist()
    tpad, tlen = TR.pad_packed_sequence(tp, batch_first=batch_first, padding_value=-1.5,
                                        total_length=6)
    epad, elen = ER.pad_packed_sequence(ep, batch_first=batch_first, padding_value=-1.5,
                                        total_length=6)
    _close(epad, tpad, "padded")
    assert elen.tolist() == tlen.tolist() and elen.dtype == ember.int64
    _backward_both([tpad], [epad])
    _close(ex.grad, tx.grad, "grad through pack and pad")


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence(batch_first, padding_side):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((n, 2)).astype(np.float32) for n in (3, 5, 1)]
    ts = [_leaf(a, torch) for a in arrays]
    es = [_leaf(a, ember) for a in arrays]
    tp = TR.pad_sequence(ts, batch_first=batch_first, padding_value=2.0, padding_side=padding_side)
    ep = ER.pad_sequence(es, batch_first=batch_first, padding_value=2.0, padding_side=padding_side)
    _close(ep, tp, "padded")
    _backward_both([tp], [ep])
    for e, t in zip(es, ts):
        _close(e.grad, t.grad, "grad")


def test_pack_sequence_and_unpack():
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(n).astype(np.float32) for n in (2, 4, 3)]
    for enforce_sorted in (False,):
        tp = TR.pack_sequence([torch.tensor(a) for a in arrays], enforce_sorted=enforce_sorted)
        ep = ER.pack_sequence([ember.tensor(a) for a in arrays], enforce_sorted=enforce_sorted)
        _close(ep.data, tp.data, "data")
        for e, t in zip(ER.unpack_sequence(ep), TR.unpack_sequence(tp)):
            _close(e, t, "unpacked")
    sorted_arrays = sorted(arrays, key=len, reverse=True)
    tp = TR.pack_sequence([torch.tensor(a) for a in sorted_arrays])
    ep = ER.pack_sequence([ember.tensor(a) for a in sorted_arrays])
    _close(ep.data, tp.data, "data")
    assert ep.sorted_indices is None and ep.unsorted_indices is None
    padded = ember.tensor(rng.standard_normal((4, 3, 2)).astype(np.float32))
    pieces = ER.unpad_sequence(padded, ember.tensor([4, 2, 3]))
    tpieces = TR.unpad_sequence(torch.tensor(padded.numpy()), torch.tensor([4, 2, 3]))
    for e, t in zip(pieces, tpieces):
        _close(e, t, "unpadded")


def test_packed_sequence_object():
    ep = ER.pack_sequence([ember.tensor([1.0, 2.0, 3.0]), ember.tensor([4.0])])
    data, batch_sizes, sorted_indices, unsorted_indices = ep
    assert data is ep.data and batch_sizes.tolist() == [2, 1, 1]
    assert sorted_indices is None and unsorted_indices is None
    assert ep.to(ember.float32) is ep
    d = ep.double()
    assert d.data.dtype == ember.float64 and d.batch_sizes.dtype == ember.int64
    assert isinstance(d, ER.PackedSequence)
    again = ER.PackedSequence((ep.data, ep.batch_sizes))
    assert again.batch_sizes.tolist() == [2, 1, 1]
    perm = ember.tensor([2, 0, 1])
    assert ER.invert_permutation(perm).tolist() == [1, 2, 0]
    assert ER.PackedSequence(ep.data, ep.batch_sizes, perm).unsorted_indices.tolist() == [1, 2, 0]
    assert ER.invert_permutation(None) is None
    assert not ep.is_cuda
    with pytest.raises(AssertionError, match="Expected data to be a list or tuple of length 2"):
        ER.PackedSequence(ep.data)
    assert ember.nn.utils.rnn.PackedSequence is ER.PackedSequence


@pytest.mark.parametrize("call", [
    lambda R, lib: R.pack_padded_sequence(lib.zeros(4, 3, 2), [2, 3, 1]),
    lambda R, lib: R.pack_padded_sequence(lib.zeros(4, 3, 2), [3, 0, 0]),
    lambda R, lib: R.pack_padded_sequence(lib.zeros(4, 3, 2), [3, 2]),
    lambda R, lib: R.pack_sequence([lib.ones(1), lib.ones(2)]),
    lambda R, lib: R.pad_packed_sequence(R.pack_padded_sequence(lib.zeros(4, 3), [3, 2, 1]),
                                         total_length=2),
    lambda R, lib: R.pad_sequence([]),
    lambda R, lib: R.pad_sequence([lib.ones(2)], padding_side="up"),
    lambda R, lib: R.pad_sequence(5),
], ids=["unsorted", "zero_length", "len_mismatch", "pack_sequence_unsorted", "total_length",
        "empty", "padding_side", "not_iterable"])
def test_pack_pad_errors(call):
    with pytest.raises(Exception) as te:
        call(TR, torch)
    with pytest.raises(type(te.value)) as ee:
        call(ER, ember)
    assert str(ee.value) == str(te.value)


def test_pack_rejects_lengths_beyond_input():
    with pytest.raises(RuntimeError, match="exceeds the padded input's sequence dimension"):
        ER.pack_padded_sequence(ember.zeros(4, 3, 2), [5, 3, 1])
