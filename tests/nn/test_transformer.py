"""Transformer layers and models against torch (dropout=0 for exact comparison): torch's
state_dict loaded into ember, outputs, input gradients and all parameter gradients with a
random cotangent; masks, causal hints, key padding, batch_first, norm_first, gelu, bias=False;
dropout>0 for shapes and eval-mode equality; and a small decoder-only language model trained
20 SGD steps giving torch's losses."""
import numpy as np
import pytest
import torch

import ember

RTOL, ATOL = 1e-4, 1e-5
pytestmark = pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")


def _load(t, e):
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})


def _build(expr):
    """The same constructor expression under torch and ember (``lib`` names the library)."""
    torch.manual_seed(0)
    t = eval(expr, {"lib": torch, "torch": torch})
    e = eval(expr, {"lib": ember, "torch": ember})
    _load(t, e)
    assert repr(e) == repr(t)
    return t, e


def _masks(spec, L, S, n, h, bf):
    """NumPy masks in torch's 'True / -inf = may not attend' convention."""
    rng = np.random.default_rng(4)
    out = {}
    for name, kind in spec.items():
        if kind == "causal_float":
            out[name] = np.triu(np.full((L, L), -np.inf, np.float32), 1)
        elif kind == "causal_bool":
            out[name] = np.triu(np.ones((L, L), bool), 1)
        elif kind in ("bool", "float"):
            rows, cols = (L, S) if name == "memory_mask" else (L, L)
            m = rng.random((rows, cols)) < 0.3
            m[:, 0] = False
            out[name] = m if kind == "bool" else np.where(m, -np.inf, rng.standard_normal(
                (rows, cols))).astype(np.float32)
        elif kind in ("kpm_bool", "kpm_float"):
            length = S if name.startswith("memory") or name == "src_key_padding_mask" else L
            m = rng.random((n, length)) < 0.3
            m[:, 0] = False
            out[name] = m if kind == "kpm_bool" else np.where(m, -np.inf, 0.0).astype(
                np.float32)
    return out


def _compare(t, e, t_inputs, e_inputs, kwargs_t, kwargs_e):
    to = t(*t_inputs, **kwargs_t)
    eo = e(*e_inputs, **kwargs_e)
    assert tuple(eo.shape) == tuple(to.shape)
    np.testing.assert_allclose(eo.detach().numpy(), to.detach().numpy(), rtol=RTOL, atol=ATOL)
    cot = np.random.default_rng(9).standard_normal(tuple(to.shape)).astype(np.float32)
    to.backward(torch.tensor(cot))
    eo.backward(ember.tensor(cot))
    for i, (a, b) in enumerate(zip(e_inputs, t_inputs)):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=RTOL, atol=1e-4,
                                   err_msg=f"input {i}")
    tp, ep = dict(t.named_parameters()), dict(e.named_parameters())
    assert list(tp) == list(ep)
    for name, p in tp.items():
        assert (p.grad is None) == (ep[name].grad is None), name
        if p.grad is not None:
            np.testing.assert_allclose(ep[name].grad.numpy(), p.grad.numpy(), rtol=RTOL,
                                       atol=1e-4, err_msg=name)


def _seq(L, n, d, bf, unbatched=False, seed=0):
    shape = (L, d) if unbatched else ((n, L, d) if bf else (L, n, d))
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


ENC_LAYER = "lib.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0{})"
ENCODER_LAYER_CASES = [
    ("plain", "", {}, False),
    ("batch_first", ", batch_first=True", {}, False),
    ("norm_first", ", norm_first=True", {}, False),
    ("gelu", ", activation='gelu'", {}, False),
    ("callable_tanh", ", activation=lib.tanh", {}, False),
    ("module_activation", ", activation=lib.nn.ReLU()", {}, False),
    ("no_bias", ", bias=False", {}, False),
    ("eps", ", layer_norm_eps=1e-3", {}, False),
    ("causal_float", "", {"src_mask": "causal_float"}, False),
    ("causal_bool_hint", ", batch_first=True", {"src_mask": "causal_bool"}, True),
    ("bool_mask", "", {"src_mask": "bool"}, False),
    ("float_mask", ", norm_first=True", {"src_mask": "float"}, False),
    ("kpm", ", batch_first=True", {"src_key_padding_mask": "kpm_bool"}, False),
    ("kpm_float_causal", "", {"src_key_padding_mask": "kpm_float",
                              "src_mask": "causal_float"}, False),
    ("unbatched", "", {}, False),
]


@pytest.mark.parametrize("name,extra,masks,is_causal", ENCODER_LAYER_CASES,
                         ids=[c[0] for c in ENCODER_LAYER_CASES])
def test_encoder_layer_matches_torch(name, extra, masks, is_causal):
    t, e = _build(ENC_LAYER.format(extra))
    bf = "batch_first=True" in extra
    L, n, d = 5, 3, 8
    x = _seq(L, n, d, bf, unbatched=name == "unbatched")
    m = _masks(masks, L, L, n, 2, bf)
    tx, ex = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    kt = {k: torch.tensor(v) for k, v in m.items()}
    ke = {k: ember.tensor(v) for k, v in m.items()}
    if is_causal:
        kt["is_causal"] = ke["is_causal"] = True
    _compare(t, e, [tx], [ex], kt, ke)


DEC_LAYER = "lib.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0{})"
DECODER_LAYER_CASES = [
    ("plain", "", {}),
    ("batch_first_norm_first", ", batch_first=True, norm_first=True", {}),
    ("gelu_no_bias", ", activation='gelu', bias=False", {}),
    ("tgt_causal", "", {"tgt_mask": "causal_float"}),
    ("all_masks", ", batch_first=True", {"tgt_mask": "causal_bool", "memory_mask": "bool",
                                         "tgt_key_padding_mask": "kpm_bool",
                                         "memory_key_padding_mask": "kpm_bool"}),
    ("float_masks", "", {"tgt_mask": "float", "memory_key_padding_mask": "kpm_float"}),
]


@pytest.mark.parametrize("name,extra,masks", DECODER_LAYER_CASES,
                         ids=[c[0] for c in DECODER_LAYER_CASES])
def test_decoder_layer_matches_torch(name, extra, masks):
    t, e = _build(DEC_LAYER.format(extra))
    bf = "batch_first=True" in extra
    L, S, n, d = 5, 6, 3, 8
    x, mem = _seq(L, n, d, bf), _seq(S, n, d, bf, seed=1)
    m = _masks(masks, L, S, n, 2, bf)
    ins_t = [torch.tensor(x, requires_grad=True), torch.tensor(mem, requires_grad=True)]
    ins_e = [ember.tensor(x, requires_grad=True), ember.tensor(mem, requires_grad=True)]
    _compare(t, e, ins_t, ins_e, {k: torch.tensor(v) for k, v in m.items()},
             {k: ember.tensor(v) for k, v in m.items()})


@pytest.mark.parametrize("bf,norm", [(False, True), (True, False)])
def test_encoder_and_decoder_stacks(bf, norm):
    extra = ", batch_first=True" if bf else ""
    norm_expr = ", norm=lib.nn.LayerNorm(8)" if norm else ""
    t, e = _build(f"lib.nn.TransformerEncoder({ENC_LAYER.format(extra)}, 3{norm_expr})")
    L, n, d = 6, 2, 8
    x = _seq(L, n, d, bf)
    m = _masks({"mask": "causal_bool", "src_key_padding_mask": "kpm_bool"}, L, L, n, 2, bf)
    _compare(t, e, [torch.tensor(x, requires_grad=True)], [ember.tensor(x, requires_grad=True)],
             {k: torch.tensor(v) for k, v in m.items()},
             {k: ember.tensor(v) for k, v in m.items()})
    t, e = _build(f"lib.nn.TransformerDecoder({DEC_LAYER.format(extra)}, 2{norm_expr})")
    mem = _seq(4, n, d, bf, seed=3)
    m = _masks({"tgt_mask": "causal_float", "memory_key_padding_mask": "kpm_float"}, L, 4, n,
               2, bf)
    _compare(t, e, [torch.tensor(x, requires_grad=True), torch.tensor(mem, requires_grad=True)],
             [ember.tensor(x, requires_grad=True), ember.tensor(mem, requires_grad=True)],
             {k: torch.tensor(v) for k, v in m.items()},
             {k: ember.tensor(v) for k, v in m.items()})


@pytest.mark.parametrize("extra", ["", ", batch_first=True, norm_first=True, activation='gelu'"])
def test_full_transformer_matches_torch(extra):
    t, e = _build("lib.nn.Transformer(d_model=8, nhead=2, num_encoder_layers=2, "
                  f"num_decoder_layers=2, dim_feedforward=16, dropout=0.0{extra})")
    bf = "batch_first" in extra
    S, L, n, d = 5, 4, 2, 8
    src, tgt = _seq(S, n, d, bf), _seq(L, n, d, bf, seed=1)
    tmask = torch.nn.Transformer.generate_square_subsequent_mask(L)
    emask = ember.nn.Transformer.generate_square_subsequent_mask(L)
    np.testing.assert_array_equal(emask.numpy(), tmask.numpy())
    assert emask.dtype == ember.float32
    m = _masks({"src_key_padding_mask": "kpm_bool"}, L, S, n, 2, bf)
    m["memory_key_padding_mask"] = m["src_key_padding_mask"]
    kt = {k: torch.tensor(v) for k, v in m.items()}
    ke = {k: ember.tensor(v) for k, v in m.items()}
    kt["tgt_mask"], ke["tgt_mask"] = tmask, emask
    _compare(t, e, [torch.tensor(src, requires_grad=True), torch.tensor(tgt, requires_grad=True)],
             [ember.tensor(src, requires_grad=True), ember.tensor(tgt, requires_grad=True)],
             kt, ke)


def test_transformer_init_and_errors():
    model = ember.nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                                 dim_feedforward=16)
    w = model.encoder.layers[0].linear1.weight.detach().numpy()
    assert np.abs(w).max() <= np.sqrt(6 / (8 + 16))        # xavier_uniform_ bound
    assert model.d_model == 8 and model.nhead == 2 and model.batch_first is False
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        model(ember.randn(5, 2, 8), ember.randn(4, 3, 8))
    with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal"):
        model(ember.randn(5, 2, 6), ember.randn(4, 2, 6))
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        ember.nn.TransformerEncoderLayer(8, 2, activation="tanh")
    layer = ember.nn.TransformerEncoderLayer(8, 2)
    assert layer.activation_relu_or_gelu == 1
    assert ember.nn.TransformerEncoderLayer(8, 2, activation="gelu").activation_relu_or_gelu == 2
    enc = ember.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
    assert enc.layers[0] is not enc.layers[1] and enc.layers[0] is not layer
    assert enc.layers[0].linear1.weight is not enc.layers[1].linear1.weight


def test_mismatched_mask_types_warn_once_like_torch():
    t, e = _build("lib.nn.TransformerEncoder(" + ENC_LAYER.format("") + ", 2)")
    x = _seq(4, 2, 8, False)
    kpm = np.zeros((2, 4), bool)
    kpm[0, 3] = True
    mask = np.triu(np.full((4, 4), -np.inf, np.float32), 1)
    outs = []
    for lib, m in ((torch, t), (ember, e)):
        with pytest.warns(UserWarning, match="mismatched src_key_padding_mask and mask") as rec:
            outs.append(m(lib.tensor(x), mask=lib.tensor(mask),
                          src_key_padding_mask=lib.tensor(kpm)).detach().numpy())
        if lib is ember:
            assert len([w for w in rec if "mismatched" in str(w.message)]) == 1
    np.testing.assert_allclose(outs[1], outs[0], rtol=RTOL, atol=ATOL)


def test_dropout_train_shapes_and_eval_equality():
    t, e = _build("lib.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.3)")
    x = _seq(5, 3, 8, False)
    ember.manual_seed(0)
    y1 = e(ember.tensor(x))
    y2 = e(ember.tensor(x))
    assert tuple(y1.shape) == (5, 3, 8)
    assert not np.allclose(y1.detach().numpy(), y2.detach().numpy())
    t.eval()
    e.eval()
    np.testing.assert_allclose(e(ember.tensor(x)).detach().numpy(),
                               t(torch.tensor(x)).detach().numpy(), rtol=RTOL, atol=ATOL)


@pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors is in prototype stage")
def test_encoder_eval_zeroes_padding_like_torch_nested_path():
    """torch's inference path (nested tensors) returns zeros at padded positions."""
    t, e = _build("lib.nn.TransformerEncoder(lib.nn.TransformerEncoderLayer(8, 2, 16, "
                  "dropout=0.0, batch_first=True), 2)")
    t.eval()
    e.eval()
    x = _seq(5, 2, 8, True)
    kpm = np.zeros((2, 5), bool)
    kpm[1, 3:] = True
    with torch.no_grad():
        ref = t(torch.tensor(x), src_key_padding_mask=torch.tensor(kpm))
    assert np.all(ref.numpy()[1, 3:] == 0)
    with ember.no_grad():
        got = e(ember.tensor(x), src_key_padding_mask=ember.tensor(kpm))
    assert np.all(got.numpy()[1, 3:] == 0)
    np.testing.assert_allclose(got.numpy(), ref.numpy(), rtol=RTOL, atol=ATOL)
    # with autograd recording, both compute the padded positions too
    ref = t(torch.tensor(x), src_key_padding_mask=torch.tensor(kpm))
    got = e(ember.tensor(x), src_key_padding_mask=ember.tensor(kpm))
    np.testing.assert_allclose(got.detach().numpy(), ref.detach().numpy(), rtol=RTOL, atol=ATOL)


# --- a small decoder-only language model, trained ---------------------------------------------
def _language_model(lib, vocab=17, d=16, T=8, layers=2):
    class LM(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.tok = lib.nn.Embedding(vocab, d)
            self.pos = lib.nn.Parameter(lib.zeros(T, d))
            layer = lib.nn.TransformerEncoderLayer(d, 2, 32, dropout=0.0, batch_first=True,
                                                   norm_first=True, activation="gelu")
            self.blocks = lib.nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
            self.norm = lib.nn.LayerNorm(d)
            self.head = lib.nn.Linear(d, vocab)

        def forward(self, idx):
            n = idx.shape[1]
            h = self.tok(idx) + self.pos[:n]
            mask = lib.nn.Transformer.generate_square_subsequent_mask(n)
            h = self.blocks(h, mask=mask, is_causal=True)
            return self.head(self.norm(h))
    return LM()


def test_decoder_only_language_model_trains_like_torch():
    torch.manual_seed(0)
    tm = _language_model(torch)
    with torch.no_grad():
        tm.pos.normal_(0, 0.1)
    em = _language_model(ember)
    _load(tm, em)
    rng = np.random.default_rng(0)
    # 20 batches of 4 sequences of 9 tokens counting up mod 17 from random starts: learnable
    data = (rng.integers(0, 17, (20, 4, 1)) + np.arange(9)) % 17
    opts = {"lr": 0.1, "momentum": 0.9}
    topt = torch.optim.SGD(tm.parameters(), **opts)
    eopt = ember.optim.SGD(em.parameters(), **opts)
    t_losses, e_losses = [], []
    for batch in data:
        for lib, model, opt, losses in ((torch, tm, topt, t_losses), (ember, em, eopt, e_losses)):
            x = lib.tensor(batch[:, :-1])
            y = lib.tensor(batch[:, 1:])
            logits = model(x)
            loss = lib.nn.functional.cross_entropy(logits.reshape(-1, 17), y.reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
    np.testing.assert_allclose(e_losses, t_losses, rtol=0, atol=1e-4)
    assert t_losses[-1] < t_losses[0]                 # it learned something
    for (n, tp), (_, ep) in zip(tm.named_parameters(), em.named_parameters()):
        np.testing.assert_allclose(ep.detach().numpy(), tp.detach().numpy(), rtol=1e-3,
                                   atol=1e-4, err_msg=n)


@pytest.mark.parametrize("module", ["ember.nn.modules.sparse", "ember.nn.modules.attention",
                                    "ember.nn.modules.transformer",
                                    "ember.nn.functional.attention"])
def test_docstring_examples(module):
    import doctest
    import importlib
    mod = importlib.import_module(module)
    globs = {"ember": ember, "torch": ember, "nn": ember.nn, "F": ember.nn.functional}
    finder, runner = doctest.DocTestFinder(), doctest.DocTestRunner(verbose=False)
    tests = [t for t in finder.find(mod, globs=globs) if t.examples]
    assert tests
    for t in tests:
        runner.run(t)
    assert runner.failures == 0
