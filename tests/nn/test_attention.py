"""scaled_dot_product_attention and MultiheadAttention against torch: outputs, attention
weights, input gradients and every parameter gradient (random cotangents), with torch's
state_dict loaded into ember; masks of each kind, causal, key padding, kdim/vdim, bias_kv,
zero_attn, batch_first, unbatched inputs."""
import numpy as np
import pytest
import torch

import ember
from tests.helpers.oracle import check_against_torch, to_numpy

RTOL, ATOL = 1e-4, 1e-5


def _bool_mask(shape, seed, p=0.35):
    """Random True-means-masked mask; column 0 stays free so no query row is fully masked."""
    m = np.random.default_rng(seed).random(shape) < p
    m[..., 0] = False
    return m


# --- scaled_dot_product_attention ---------------------------------------------------------------
def _allowed(shape, seed):
    return ~_bool_mask(shape, seed)


def _float_mask(shape, seed):
    rng = np.random.default_rng(seed)
    f = rng.standard_normal(shape).astype(np.float32)
    f[_bool_mask(shape, seed + 7)] = -np.inf
    return f


SDPA_CASES = {
    "plain": ([(2, 3, 5, 8), (2, 3, 6, 8), (2, 3, 6, 8)], {}),
    "value_dim": ([(2, 3, 5, 8), (2, 3, 6, 8), (2, 3, 6, 4)], {}),
    "3d": ([(4, 5, 8), (4, 7, 8), (4, 7, 8)], {}),
    "2d": ([(5, 8), (7, 8), (7, 3)], {}),
    "extra_batch_dims": ([(2, 2, 3, 5, 4), (2, 2, 3, 6, 4), (2, 2, 3, 6, 4)], {}),
    "causal_square": ([(2, 3, 6, 8)] * 3, {"is_causal": True}),
    "causal_rect": ([(2, 3, 4, 8), (2, 3, 7, 8), (2, 3, 7, 8)], {"is_causal": True}),
    "scale": ([(2, 3, 5, 8), (2, 3, 6, 8), (2, 3, 6, 8)], {"scale": 0.3}),
    "bool_mask_2d": ([(2, 3, 5, 8), (2, 3, 6, 8), (2, 3, 6, 8)],
                     {"mask": ("bool", (5, 6))}),
    "bool_mask_4d": ([(2, 3, 5, 8), (2, 3, 6, 8), (2, 3, 6, 8)],
                     {"mask": ("bool", (2, 3, 5, 6))}),
    "bool_mask_bcast": ([(2, 3, 5, 8), (2, 3, 6, 8), (2, 3, 6, 8)],
                        {"mask": ("bool", (2, 1, 1, 6))}),
    "float_mask_2d": ([(2, 3, 5, 8), (2, 3, 6, 8), (2, 3, 6, 8)],
                      {"mask": ("float", (5, 6))}),
    "float_mask_4d": ([(2, 3, 5, 8), (2, 3, 6, 8), (2, 3, 6, 8)],
                      {"mask": ("float", (2, 3, 5, 6))}),
    "gqa": ([(2, 6, 5, 8), (2, 2, 7, 8), (2, 2, 7, 8)], {"enable_gqa": True}),
    "gqa_causal_scale": ([(2, 4, 5, 8), (2, 1, 5, 8), (2, 1, 5, 8)],
                         {"enable_gqa": True, "is_causal": True, "scale": 0.5}),
    "gqa_mask": ([(1, 4, 3, 4), (1, 2, 5, 4), (1, 2, 5, 4)],
                 {"enable_gqa": True, "mask": ("bool", (1, 4, 3, 5))}),
    "head_broadcast": ([(2, 4, 5, 8), (2, 1, 6, 8), (2, 1, 6, 8)], {}),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", list(SDPA_CASES))
def test_sdpa_matches_torch(case, dtype):
    shapes, opts = SDPA_CASES[case]
    opts = dict(opts)
    mask = opts.pop("mask", None)
    mask_np = None
    if mask is not None:
        kind, shape = mask
        mask_np = _allowed(shape, 3) if kind == "bool" else _float_mask(shape, 3).astype(dtype)

    def fn(lib, q, k, v):
        m = None if mask_np is None else lib.tensor(mask_np)
        return lib.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=m, **opts)

    tol = (RTOL, ATOL) if dtype == "float32" else (1e-9, 1e-10)
    check_against_torch(fn, shapes, dtype=dtype, rtol=tol[0], atol=tol[1])


def test_sdpa_noncontiguous_inputs():
    def fn(lib, q, k, v):
        return lib.nn.functional.scaled_dot_product_attention(q, k, v)
    check_against_torch(fn, [(2, 3, 5, 4)] * 3, rtol=RTOL, atol=ATOL, noncontig=True)


def test_sdpa_float_mask_gradient():
    """A float mask that requires grad receives one (summed over its broadcast dims)."""
    def fn(lib, q, k, v, m):
        return lib.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=m)
    check_against_torch(fn, [(2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 8), (4, 5)], rtol=RTOL,
                        atol=ATOL)


def test_sdpa_fully_masked_rows_give_zeros_and_zero_grads():
    rng = np.random.default_rng(0)
    q, k, v = (rng.standard_normal((1, 2, 3, 4)).astype(np.float32) for _ in range(3))
    cot = rng.standard_normal((1, 2, 3, 4)).astype(np.float32)
    allowed = np.ones((3, 3), bool)
    allowed[1] = False
    fmask = np.where(allowed, 0.0, -np.inf).astype(np.float32)
    for mask in (allowed, fmask):
        res = {}
        for lib in (torch, ember):
            ins = [lib.tensor(a, requires_grad=True) for a in (q, k, v)]
            out = lib.nn.functional.scaled_dot_product_attention(*ins, attn_mask=lib.tensor(mask))
            out.backward(lib.tensor(cot))
            res[lib.__name__] = [to_numpy(out)] + [to_numpy(i.grad) for i in ins]
        e = res["ember"]
        assert np.all(e[0][:, :, 1] == 0) and np.all(e[1][:, :, 1] == 0)
        for got, ref in zip(e, res["torch"]):
            assert np.isfinite(got).all()
            np.testing.assert_allclose(got, ref, rtol=RTOL, atol=ATOL)


def test_sdpa_dropout_shape_and_mean():
    ember.manual_seed(0)
    q = ember.randn(2, 2, 4, 8)
    v = ember.ones(2, 2, 6, 8)
    k = ember.randn(2, 2, 6, 8)
    out = ember.nn.functional.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    assert tuple(out.shape) == (2, 2, 4, 8)
    # rows of the (dropped, rescaled) weights sum to 1 in expectation
    big = ember.nn.functional.scaled_dot_product_attention(
        ember.zeros(1, 1, 2000, 4), ember.zeros(1, 1, 50, 4), ember.ones(1, 1, 50, 1),
        dropout_p=0.3)
    assert abs(float(big.mean()) - 1.0) < 0.02


@pytest.mark.parametrize("kwargs,err,match", [
    ({"is_causal": True, "attn_mask": "bool"}, RuntimeError, "Explicit attn_mask should not"),
    ({"attn_mask": "float64"}, RuntimeError, "attn_mask dtype to be bool or float"),
])
def test_sdpa_errors(kwargs, err, match):
    q = ember.randn(2, 3, 4)
    kw = dict(kwargs)
    if kw.get("attn_mask") == "bool":
        kw["attn_mask"] = ember.ones(3, 3, dtype=ember.bool)
    elif kw.get("attn_mask") == "float64":
        kw["attn_mask"] = ember.zeros(3, 3, dtype=ember.float64)
    with pytest.raises(err, match=match):
        ember.nn.functional.scaled_dot_product_attention(q, q, q, **kw)
    with pytest.raises(RuntimeError, match="Number of heads in key and value must divide"):
        ember.nn.functional.scaled_dot_product_attention(
            ember.randn(1, 4, 3, 4), ember.randn(1, 3, 3, 4), ember.randn(1, 3, 3, 4),
            enable_gqa=True)


def test_sdpa_gradcheck():
    q = ember.randn(1, 2, 3, 4, dtype=ember.float64, requires_grad=True)
    k = ember.randn(1, 2, 5, 4, dtype=ember.float64, requires_grad=True)
    v = ember.randn(1, 2, 5, 3, dtype=ember.float64, requires_grad=True)
    mask = ember.tensor(_allowed((3, 5), 1))

    def f(q, k, v):
        return ember.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert ember.autograd.gradcheck(f, (q, k, v))
    assert ember.autograd.gradgradcheck(f, (q, k, v))


# --- MultiheadAttention -----------------------------------------------------------------------
def _mha_masks(spec, n, h, L, S, unbatched):
    """(attn_mask, key_padding_mask) NumPy arrays in MultiheadAttention's convention."""
    am = kpm = None
    for kind in spec:
        if kind == "bool2d":
            am = _bool_mask((L, S), 11)
        elif kind == "float2d":
            am = _float_mask((L, S), 12)
        elif kind == "bool3d":
            am = _bool_mask((h if unbatched else n * h, L, S), 13)
        elif kind == "float3d":
            am = _float_mask((h if unbatched else n * h, L, S), 14)
        elif kind == "causal_bool":
            am = np.triu(np.ones((L, S), bool), 1)
        elif kind == "causal_float":
            am = np.triu(np.full((L, S), -np.inf, np.float32), 1)
        elif kind == "kpm_bool":
            kpm = _bool_mask((S,) if unbatched else (n, S), 15)
        elif kind == "kpm_float":
            kpm = _float_mask((S,) if unbatched else (n, S), 16)
    return am, kpm


MHA_CASES = [
    ("self", {"embed_dim": 8, "num_heads": 2}, {}),
    ("batch_first", {"embed_dim": 8, "num_heads": 2, "batch_first": True}, {}),
    ("one_head", {"embed_dim": 6, "num_heads": 1}, {}),
    ("four_heads", {"embed_dim": 16, "num_heads": 4}, {}),
    ("cross", {"embed_dim": 8, "num_heads": 2}, {"attn": "cross", "S": 7}),
    ("cross_kv_same", {"embed_dim": 8, "num_heads": 2, "batch_first": True}, {"attn": "kv", "S": 4}),
    ("kdim_vdim", {"embed_dim": 8, "num_heads": 2, "kdim": 5, "vdim": 3}, {"attn": "cross", "S": 6}),
    ("kdim_vdim_bf", {"embed_dim": 8, "num_heads": 4, "kdim": 6, "vdim": 10, "batch_first": True},
     {"attn": "cross", "S": 6}),
    ("no_bias", {"embed_dim": 8, "num_heads": 2, "bias": False}, {}),
    ("bias_kv", {"embed_dim": 8, "num_heads": 2, "add_bias_kv": True}, {}),
    ("zero_attn", {"embed_dim": 8, "num_heads": 2, "add_zero_attn": True}, {}),
    ("bias_kv_zero_attn_masks", {"embed_dim": 8, "num_heads": 2, "add_bias_kv": True,
                                     "add_zero_attn": True}, {"masks": ("bool2d", "kpm_bool")}),
    ("no_weights", {"embed_dim": 8, "num_heads": 2}, {"need_weights": False}),
    ("per_head_weights", {"embed_dim": 8, "num_heads": 2}, {"average": False}),
    ("bool2d", {"embed_dim": 8, "num_heads": 2}, {"masks": ("bool2d",)}),
    ("float2d", {"embed_dim": 8, "num_heads": 2}, {"masks": ("float2d",)}),
    ("bool3d", {"embed_dim": 8, "num_heads": 2}, {"masks": ("bool3d",)}),
    ("float3d_bf", {"embed_dim": 8, "num_heads": 2, "batch_first": True}, {"masks": ("float3d",)}),
    ("kpm_bool", {"embed_dim": 8, "num_heads": 2}, {"masks": ("kpm_bool",)}),
    ("kpm_float", {"embed_dim": 8, "num_heads": 2}, {"masks": ("kpm_float",)}),
    ("both_bool", {"embed_dim": 8, "num_heads": 2}, {"masks": ("bool3d", "kpm_bool")}),
    ("both_float_no_weights", {"embed_dim": 8, "num_heads": 2},
     {"masks": ("float2d", "kpm_float"), "need_weights": False}),
    ("kpm_cross", {"embed_dim": 8, "num_heads": 2, "batch_first": True},
     {"attn": "cross", "S": 6, "masks": ("kpm_bool", "bool2d")}),
    ("causal_hint", {"embed_dim": 8, "num_heads": 2}, {"masks": ("causal_float",),
                                                         "is_causal": True, "need_weights": False}),
    ("causal_hint_weights", {"embed_dim": 8, "num_heads": 2},
     {"masks": ("causal_bool",), "is_causal": True}),
    ("causal_hint_kpm", {"embed_dim": 8, "num_heads": 2, "batch_first": True},
     {"masks": ("causal_bool", "kpm_bool"), "is_causal": True, "need_weights": False}),
    ("unbatched", {"embed_dim": 8, "num_heads": 2}, {"unbatched": True}),
    ("unbatched_masks", {"embed_dim": 8, "num_heads": 2, "batch_first": True},
     {"unbatched": True, "masks": ("bool3d", "kpm_bool"), "average": False}),
    ("unbatched_cross_kdim", {"embed_dim": 8, "num_heads": 2, "kdim": 4, "vdim": 4},
     {"unbatched": True, "attn": "cross", "S": 3}),
    ("float64", {"embed_dim": 8, "num_heads": 2, "dtype": "float64"}, {"masks": ("float2d",)}),
]


def _pair_mha(kwargs):
    kwargs = dict(kwargs)
    dt = kwargs.pop("dtype", None)
    torch.manual_seed(0)
    t = torch.nn.MultiheadAttention(**kwargs, dtype=None if dt is None else getattr(torch, dt))
    e = ember.nn.MultiheadAttention(**kwargs, dtype=None if dt is None else getattr(ember, dt))
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    return t, e


def _compare_params(t, e, rtol=RTOL, atol=1e-4):
    tp = dict(t.named_parameters())
    ep = dict(e.named_parameters())
    assert set(tp) == set(ep)
    for name, p in tp.items():
        if p.grad is None:
            assert ep[name].grad is None or np.all(ep[name].grad.numpy() == 0), name
            continue
        np.testing.assert_allclose(ep[name].grad.numpy(), p.grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=name)


@pytest.mark.parametrize("name,mod,opts", MHA_CASES, ids=[c[0] for c in MHA_CASES])
def test_mha_matches_torch(name, mod, opts):
    t, e = _pair_mha(mod)
    assert repr(e) == repr(t)
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    dt = np.float64 if mod.get("dtype") == "float64" else np.float32
    E = mod["embed_dim"]
    kdim, vdim = mod.get("kdim", E), mod.get("vdim", E)
    h = mod["num_heads"]
    L, n = 5, 3
    S = opts.get("S", L)
    bf = mod.get("batch_first", False)
    unbatched = opts.get("unbatched", False)
    attn = opts.get("attn", "self")

    def shape(length, dim):
        if unbatched:
            return (length, dim)
        return (n, length, dim) if bf else (length, n, dim)

    rng = np.random.default_rng(1)
    xq = rng.standard_normal(shape(L, E)).astype(dt)
    xk = rng.standard_normal(shape(S, kdim)).astype(dt)
    xv = rng.standard_normal(shape(S, vdim)).astype(dt)
    am, kpm = _mha_masks(opts.get("masks", ()), n, h, L, S, unbatched)
    if am is not None and am.dtype != bool:
        am = am.astype(dt)
    if kpm is not None and kpm.dtype != bool:
        kpm = kpm.astype(dt)
    need_weights = opts.get("need_weights", True)
    results = {}
    for lib, m in ((torch, t), (ember, e)):
        if attn == "self":
            q = lib.tensor(xq, requires_grad=True)
            k = v = q
            leaves = [q]
        elif attn == "kv":
            q = lib.tensor(xq, requires_grad=True)
            k = v = lib.tensor(xk, requires_grad=True)
            leaves = [q, k]
        else:
            q = lib.tensor(xq, requires_grad=True)
            k = lib.tensor(xk, requires_grad=True)
            v = lib.tensor(xv, requires_grad=True)
            leaves = [q, k, v]
        out, w = m(q, k, v, key_padding_mask=None if kpm is None else lib.tensor(kpm),
                   need_weights=need_weights,
                   attn_mask=None if am is None else lib.tensor(am),
                   average_attn_weights=opts.get("average", True),
                   is_causal=opts.get("is_causal", False))
        results[lib.__name__] = (out, w, leaves)
    (eo, ew, el), (to, tw, tl) = results["ember"], results["torch"]
    assert tuple(eo.shape) == tuple(to.shape)
    np.testing.assert_allclose(to_numpy(eo), to_numpy(to), rtol=RTOL, atol=ATOL)
    if tw is None:
        assert ew is None
    else:
        assert tuple(ew.shape) == tuple(tw.shape)
        np.testing.assert_allclose(to_numpy(ew), to_numpy(tw), rtol=RTOL, atol=ATOL)
    crng = np.random.default_rng(2)
    c_out = crng.standard_normal(tuple(to.shape)).astype(dt)
    outs_t, cots_t, outs_e, cots_e = [to], [torch.tensor(c_out)], [eo], [ember.tensor(c_out)]
    if tw is not None:
        c_w = crng.standard_normal(tuple(tw.shape)).astype(dt)
        outs_t.append(tw)
        cots_t.append(torch.tensor(c_w))
        outs_e.append(ew)
        cots_e.append(ember.tensor(c_w))
    torch.autograd.backward(outs_t, cots_t)
    ember.autograd.backward(outs_e, cots_e)
    for i, (a, b) in enumerate(zip(el, tl)):
        np.testing.assert_allclose(to_numpy(a.grad), to_numpy(b.grad), rtol=RTOL, atol=1e-4,
                                   err_msg=f"input {i}")
    _compare_params(t, e)


@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_fully_masked_rows_follow_torch(need_weights):
    """A query with no key to attend: NaN when weights are returned, zeros otherwise (torch's
    two paths)."""
    t, e = _pair_mha({"embed_dim": 8, "num_heads": 2})
    x = np.random.default_rng(0).standard_normal((3, 2, 8)).astype(np.float32)
    kpm = np.zeros((2, 3), bool)
    kpm[1] = True
    for lib, m in ((torch, t), (ember, e)):
        out, _ = m(lib.tensor(x), lib.tensor(x), lib.tensor(x),
                   key_padding_mask=lib.tensor(kpm), need_weights=need_weights)
        if lib is torch:
            ref = out.detach().numpy()
    got = out.detach().numpy()
    np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
    np.testing.assert_allclose(got, ref, rtol=RTOL, atol=ATOL, equal_nan=True)


def test_mha_float_attn_mask_gets_gradient():
    t, e = _pair_mha({"embed_dim": 8, "num_heads": 2})
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 2, 8)).astype(np.float32)
    am = rng.standard_normal((4, 4)).astype(np.float32)
    cot = rng.standard_normal((4, 2, 8)).astype(np.float32)
    grads = []
    for lib, m in ((torch, t), (ember, e)):
        mask = lib.tensor(am, requires_grad=True)
        out, _ = m(lib.tensor(x), lib.tensor(x), lib.tensor(x), attn_mask=mask)
        out.backward(lib.tensor(cot))
        grads.append(to_numpy(mask.grad))
    np.testing.assert_allclose(grads[1], grads[0], rtol=RTOL, atol=ATOL)


def test_mha_dropout_train_and_eval():
    t, e = _pair_mha({"embed_dim": 8, "num_heads": 2, "dropout": 0.5})
    x = np.random.default_rng(0).standard_normal((5, 3, 8)).astype(np.float32)
    ember.manual_seed(0)
    out, w = e(ember.tensor(x), ember.tensor(x), ember.tensor(x), average_attn_weights=False)
    assert tuple(out.shape) == (5, 3, 8) and tuple(w.shape) == (3, 2, 5, 5)
    wn = w.detach().numpy()
    assert (wn == 0).any()                              # some weights were dropped
    t.eval()
    e.eval()
    with torch.no_grad():
        to, tw = t(torch.tensor(x), torch.tensor(x), torch.tensor(x))
    eo, ew = e(ember.tensor(x), ember.tensor(x), ember.tensor(x))
    np.testing.assert_allclose(eo.detach().numpy(), to.numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(ew.detach().numpy(), tw.numpy(), rtol=RTOL, atol=ATOL)


def test_mha_init_and_parameter_names():
    m = ember.nn.MultiheadAttention(8, 2, kdim=4, vdim=6, add_bias_kv=True)
    names = [n for n, _ in m.named_parameters()]
    tm = torch.nn.MultiheadAttention(8, 2, kdim=4, vdim=6, add_bias_kv=True)
    assert names == [n for n, _ in tm.named_parameters()]
    assert m.in_proj_weight is None and m.k_proj_weight.shape == (8, 4)
    assert np.all(m.in_proj_bias.detach().numpy() == 0)
    assert np.all(m.out_proj.bias.detach().numpy() == 0)
    m2 = ember.nn.MultiheadAttention(8, 2)
    w = m2.in_proj_weight.detach().numpy()
    bound = np.sqrt(6.0 / (8 + 24))                  # xavier_uniform_ on (3E, E)
    assert w.shape == (24, 8) and np.abs(w).max() <= bound
    assert m2.bias_k is None and m2.q_proj_weight is None
    assert sorted(m2.state_dict()) == sorted(torch.nn.MultiheadAttention(8, 2).state_dict())


@pytest.mark.parametrize("make,err,match", [
    (lambda: ember.nn.MultiheadAttention(6, 4), AssertionError, "divisible by num_heads"),
    (lambda: ember.nn.MultiheadAttention(0, 2), ValueError, "must be greater than 0"),
])
def test_mha_constructor_errors(make, err, match):
    with pytest.raises(err, match=match):
        make()


def test_mha_forward_errors():
    m = ember.nn.MultiheadAttention(8, 2)
    x = ember.randn(5, 3, 8)
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        m(x, x, x, is_causal=True)
    with pytest.raises(RuntimeError, match="The shape of the 2D attn_mask is"):
        m(x, x, x, attn_mask=ember.zeros(4, 5, dtype=ember.bool))
    with pytest.raises(RuntimeError, match="The shape of the 3D attn_mask is"):
        m(x, x, x, attn_mask=ember.zeros(2, 5, 5, dtype=ember.bool))
    with pytest.raises(AssertionError, match="only bool and floating types of attn_mask"):
        m(x, x, x, attn_mask=ember.zeros(5, 5, dtype=ember.int64))
    with pytest.raises(AssertionError, match="expected `key` and `value` to be 3-D"):
        m(x, x[0], x[0])
    with pytest.raises(AssertionError, match="was expecting embedding dimension of 8"):
        y = ember.randn(5, 3, 6)
        m(y, y, y)
    with pytest.raises(AssertionError, match="Expected key_padded_mask.shape"):
        m(x, x, x, key_padding_mask=ember.zeros(2, 5, dtype=ember.bool))
    with pytest.warns(UserWarning, match="mismatched key_padding_mask and attn_mask"):
        m(x, x, x, key_padding_mask=ember.zeros(3, 5, dtype=ember.bool),
          attn_mask=ember.zeros(5, 5))


def test_functional_multi_head_attention_forward():
    torch.manual_seed(0)
    t = torch.nn.MultiheadAttention(8, 2, add_bias_kv=True)
    rng = np.random.default_rng(0)
    q = rng.standard_normal((4, 2, 8)).astype(np.float32)
    kv = rng.standard_normal((6, 2, 8)).astype(np.float32)
    outs = []
    for lib in (torch, ember):
        p = {k: lib.tensor(v.detach().numpy()) for k, v in t.state_dict().items()}
        out, w = lib.nn.functional.multi_head_attention_forward(
            lib.tensor(q), lib.tensor(kv), lib.tensor(kv), 8, 2, p["in_proj_weight"],
            p["in_proj_bias"], p["bias_k"], p["bias_v"], True, 0.0, p["out_proj.weight"],
            p["out_proj.bias"], training=False)
        outs.append((to_numpy(out), to_numpy(w)))
    np.testing.assert_allclose(outs[1][0], outs[0][0], rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(outs[1][1], outs[0][1], rtol=RTOL, atol=ATOL)


def test_mha_gradcheck_float64():
    m = ember.nn.MultiheadAttention(4, 2, dtype=ember.float64)
    x = ember.randn(3, 2, 4, dtype=ember.float64, requires_grad=True)
    mask = ember.tensor(_bool_mask((3, 3), 0))

    def f(x):
        return m(x, x, x, attn_mask=mask)[0]
    assert ember.autograd.gradcheck(f, (x,))
    assert ember.autograd.gradgradcheck(f, (x,))


def test_functional_mha_static_kv_and_separate_weights():
    torch.manual_seed(0)
    t = torch.nn.MultiheadAttention(8, 2, kdim=5, vdim=5)
    rng = np.random.default_rng(1)
    q = rng.standard_normal((4, 3, 8)).astype(np.float32)
    kv = rng.standard_normal((6, 3, 5)).astype(np.float32)
    sk = rng.standard_normal((6, 7, 4)).astype(np.float32)     # (N*H, S', head_dim)
    sv = rng.standard_normal((6, 7, 4)).astype(np.float32)
    outs = []
    for lib in (torch, ember):
        p = {k: lib.tensor(v.detach().numpy()) for k, v in t.state_dict().items()}
        qt = lib.tensor(q, requires_grad=True)
        out, w = lib.nn.functional.multi_head_attention_forward(
            qt, lib.tensor(kv), lib.tensor(kv), 8, 2, None, p["in_proj_bias"], None, None,
            False, 0.0, p["out_proj.weight"], p["out_proj.bias"], training=True,
            use_separate_proj_weight=True, q_proj_weight=p["q_proj_weight"],
            k_proj_weight=p["k_proj_weight"], v_proj_weight=p["v_proj_weight"],
            static_k=lib.tensor(sk), static_v=lib.tensor(sv), average_attn_weights=False)
        out.sum().backward()
        outs.append((to_numpy(out), to_numpy(w), to_numpy(qt.grad)))
    for a, b in zip(outs[1], outs[0]):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)


# --- self-attention under autograd as one op (ops/attention.py: self_attention) ---------------
def _fused_node_name(out):
    """The fused core sits right under out_proj's product."""
    return next(f[0].name() for f in out.grad_fn.next_functions if f[0] is not None)


@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("masks", ["none", "causal", "bool2d", "float3d", "kpm_bool",
                                   "kpm_rows_masked"])
def test_mha_fused_self_attention_matches_torch(batch_first, masks):
    t, e = _pair_mha({"embed_dim": 8, "num_heads": 2, "batch_first": batch_first})
    n, L, h = 3, 5, 2
    rng = np.random.default_rng(3)
    shape = (n, L, 8) if batch_first else (L, n, 8)
    x = rng.standard_normal(shape).astype(np.float32)
    g = rng.standard_normal(shape).astype(np.float32)
    kw_np = {}
    if masks == "causal":
        kw_np = {"attn_mask": np.triu(np.full((L, L), -np.inf, np.float32), 1), "is_causal": True}
    elif masks == "bool2d":
        kw_np = {"attn_mask": _bool_mask((L, L), 4)}
    elif masks == "float3d":
        kw_np = {"attn_mask": _float_mask((n * h, L, L), 5)}
    elif masks == "kpm_bool":
        kw_np = {"key_padding_mask": _bool_mask((n, L), 6)}
    elif masks == "kpm_rows_masked":
        kpm = np.zeros((n, L), bool)
        kpm[1] = True                                       # every key of sample 1 masked
        kw_np = {"key_padding_mask": kpm}
    res = {}
    for lib, m in ((torch, t), (ember, e)):
        xt = lib.tensor(x, requires_grad=True)
        kw = {k: (lib.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in kw_np.items()}
        out, _ = m(xt, xt, xt, need_weights=False, **kw)
        out.backward(lib.tensor(g))
        res[lib.__name__] = (out, xt)
    (eo, ex), (to, tx) = res["ember"], res["torch"]
    assert _fused_node_name(eo) == "ScaledDotProductFlashAttentionForCpuBackward0"
    np.testing.assert_allclose(to_numpy(eo), to_numpy(to), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(to_numpy(ex.grad), to_numpy(tx.grad), rtol=RTOL, atol=1e-4)
    _compare_params(t, e)


def test_mha_fused_self_attention_gradgradcheck():
    m = ember.nn.MultiheadAttention(4, 2, batch_first=True, dtype=ember.float64)
    x = ember.randn(2, 3, 4, dtype=ember.float64, requires_grad=True)
    kpm = ember.tensor(np.array([[False, False, True], [False, False, False]]))
    causal = ember.nn.Transformer.generate_square_subsequent_mask(3, dtype=ember.float64)
    for kw in ({"key_padding_mask": kpm}, {"attn_mask": causal, "is_causal": True}):
        def f(x, kw=kw):
            return m(x, x, x, need_weights=False, **kw)[0]
        assert _fused_node_name(f(x)) == "ScaledDotProductFlashAttentionForCpuBackward0"
        assert ember.autograd.gradcheck(f, (x,))
        assert ember.autograd.gradgradcheck(f, (x,))


def test_mha_fused_self_attention_retained_graph_backs_up_twice():
    t, e = _pair_mha({"embed_dim": 8, "num_heads": 2, "batch_first": True})
    x = np.random.default_rng(4).standard_normal((3, 5, 8)).astype(np.float32)
    grads = {}
    for lib, m in ((torch, t), (ember, e)):
        xt = lib.tensor(x, requires_grad=True)
        loss = (m(xt, xt, xt, need_weights=False)[0] ** 2).sum()
        loss.backward(retain_graph=True)
        first = xt.grad.numpy().copy()
        loss.backward()
        grads[lib.__name__] = (first, xt.grad.numpy())
    for a, b in zip(grads["ember"], grads["torch"]):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=1e-4)
