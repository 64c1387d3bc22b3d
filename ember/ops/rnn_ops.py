"""Recurrent layers as one op per layer and direction: ``rnn_seq``, ``lstm_seq``, ``gru_seq``.

Note [Recurrent sequence ops]
The input-to-hidden projection of every time step is one ``linear`` call made by the caller
(``xg``: one row per (step, sequence), steps in order, sequences sorted by decreasing length
inside a step, as in a PackedSequence's ``data``). The op then runs only the recurrence, the
time loop staying inside one kernel, so a sequence costs one autograd node instead of several per
step, and the weight gradient is one matmul over all steps instead of one per step.

Rows of ``xg`` form steps of ``batch_sizes[t]`` rows (``None``: dense, every step holds all ``B``
rows of the initial state). A step processes the first ``n`` sequences only; ``reverse`` runs
the steps last to first, so a sequence's recurrence starts from the initial state at its own
last step (sequences join as the batch grows).

The op's single output keeps the new hidden states followed by what the derivative needs, as
row-major blocks of one flat array so that each step's rows of a block are contiguous (NumPy's
elementwise loops run several times faster on them than on strided column slices): LSTM
``[h (N, P) | c (N, H) | i f g o (N, 4H)]``, GRU ``[h | r z (N, 2H) | n | W_hn h + b_hn]``;
RNN's output is just h (N, H). Callers take views of the blocks (``blocks``). Every block is a
genuine output of the op and the rules take the gradient of all of them, so that under
``create_graph=True`` (when the rules differentiate through the activations they read back
from the output) double backward stays exact.

The rules are written in the rule dialect: the backward time loop builds its results from
slices, ``m.concatenate`` and ``m.matmul``, with every factor that does not depend on the
recurrent gradient computed for all steps at once before the loop. LSTM's plain backward (on
arrays, i.e. not under create_graph) instead runs ``_lstm_grad_arrays``, the same math written
with ``out=`` into preallocated buffers; the dialect version stays for double backward. With
numba, the LSTM's and GRU's per-step elementwise work runs in compiled loops (Note [LSTM step
kernels]), and GRU's plain backward then runs ``_gru_grad_arrays``.
"""
import numpy as np

from .. import _jit
from .._errors import EmberRuntimeError
from ..tensor import wrap
from . import dispatch
from .linalg_ops import linear
from .registry import op, public


# --- the step schedule --------------------------------------------------------------------------
def schedule(n_rows, batch, batch_sizes, reverse):
    """[(first row, rows)] of each step, in processing order."""
    if batch_sizes is None:
        steps = [(r, batch) for r in range(0, n_rows, batch)] if batch else []
    else:
        steps = []
        r = 0
        for n in batch_sizes:
            steps.append((r, n))
            r += n
    if reverse:
        steps.reverse()
    return steps


def final_rows(steps):
    """Row of the last step of each sequence (index by sequence), or a slice when they are the
    rows of one step (dense input, or the reverse direction whose last step holds them all)."""
    r0, n = steps[-1]
    if all(k <= n for _, k in steps):
        return slice(r0, r0 + n)
    idx = np.empty(max(k for _, k in steps), dtype=np.int64)
    nxt = 0
    for r0, n in reversed(steps):
        if n > nxt:
            idx[nxt:n] = np.arange(r0 + nxt, r0 + n)
            nxt = n
    return idx


def _prev_rows(m, x0, ox, steps, batch_sizes, reverse):
    """(N, D): row r holds the state that entered the step computing output row r, taken from
    the initial state ``x0`` (B, D) or the outputs ``ox`` (N, D)."""
    if batch_sizes is None:
        b = x0.shape[0]
        if not reverse:
            return m.concatenate([x0, ox[:ox.shape[0] - b]], axis=0)
        return m.concatenate([ox[b:], x0], axis=0)
    b = x0.shape[0]
    idx = np.empty(ox.shape[0], dtype=np.int64)
    prev_r0 = prev_n = 0
    for r0, n in steps:
        k = min(n, prev_n)
        idx[r0:r0 + k] = np.arange(b + prev_r0, b + prev_r0 + k)
        idx[r0 + k:r0 + n] = np.arange(k, n)
        prev_r0, prev_n = r0, n
    return m.concatenate([x0, ox], axis=0)[idx]


def _state_in(m, h, h0, k, n):
    # the state entering a step of n rows when the previous step left k rows
    if k == 0:
        return h0[:n]
    if n <= k:
        return h if n == k else h[:n]
    return m.concatenate([h, h0[k:n]], axis=0)


def _state_before(m, steps, s, rows, x0, n):
    """The state entering step ``s`` (n rows) as a backward walk sees it: ``x0`` at the first
    step, else what the step before left in ``rows`` (the forward's saved states)."""
    if s == 0:
        return x0[:n]
    r0, k = steps[s - 1]
    return _state_in(m, rows[r0:r0 + k], x0, k, n)


def _add_rows(m, base, carry):
    """``base`` (n rows) plus ``carry`` on its first rows (a carry may cover fewer rows)."""
    if carry is None:
        return base
    k = carry.shape[0]
    if k == base.shape[0]:
        return base + carry
    return m.concatenate([base[:k] + carry, base[k:]], axis=0)


def _bptt(m, steps, reverse, step_fn):
    """Run ``step_fn(r0, n, carries) -> (carries, record)`` over the steps backwards. Returns
    the records in row order and the gradients of the initial states (one per carry)."""
    carries = None
    pieces = []
    records = [None] * len(steps)
    for s in range(len(steps) - 1, -1, -1):
        r0, n = steps[s]
        if carries is not None and carries[0].shape[0] > n:
            # rows n.. of the later step started there from the initial state
            pieces.append([c[n:] for c in carries])
            carries = [c[:n] for c in carries]
        carries, records[s] = step_fn(r0, n, carries)
    pieces.append(carries)
    pieces.reverse()
    if reverse:         # steps ran last to first: put the records back in row order
        records.reverse()
    inits = [p[0] if len(pieces) == 1 else m.concatenate(list(p), axis=0)
             for p in zip(*pieces)]
    return records, inits


def _no_gradient(m, g):
    """Whether ``g`` is all zeros in plain backward: gradients seldom arrive at the stored
    activations, and their terms can then be skipped. Never under create_graph, where the
    rule's result must stay a function of ``g`` even where ``g`` happens to be zero."""
    return not getattr(m, "is_tensor_namespace", False) and not g.any()


def _cat_rows(m, parts):
    return parts[0] if len(parts) == 1 else m.concatenate(parts, axis=0)


def blocks(flat, n_rows, widths):
    """Views (n_rows, w) of consecutive row-major blocks of a flat array or Tensor."""
    res = []
    start = 0
    for w in widths:
        res.append(flat[start:start + n_rows * w].reshape((n_rows, w)))
        start += n_rows * w
    return res


# --- Elman RNN ----------------------------------------------------------------------------------
@op("rnn_seq", keep="bc+out", node_name="RnnSeqBackward0")
def _rnn_seq(m, xg, h0, w_hh, batch_sizes=None, reverse=False, nonlinearity="tanh"):
    n_rows, hidden = xg.shape
    out = m.empty((n_rows, hidden), dtype=xg.dtype)
    w = m.ascontiguousarray(w_hh.T)     # BLAS is markedly faster on a row-major operand
    h, k = h0, 0
    for r0, n in schedule(n_rows, h0.shape[0], batch_sizes, reverse):
        hp = _state_in(m, h, h0, k, n)
        rows = out[r0:r0 + n]
        m.matmul(hp, w, out=rows)
        rows += xg[r0:r0 + n]
        if nonlinearity == "tanh":
            m.tanh(rows, out=rows)
        else:
            m.maximum(rows, 0, out=rows)
        h, k = rows, n
    return out


def _rnn_seq_grad(m, g, xg, h0, w_hh, out, batch_sizes=None, reverse=False,
                  nonlinearity="tanh"):
    steps = schedule(out.shape[0], h0.shape[0], batch_sizes, reverse)
    if not steps:       # an empty batch: zero gradients
        return g, h0 * 0, w_hh * 0
    slope = 1 - out * out if nonlinearity == "tanh" else out > 0

    def step(r0, n, carries):
        dpre = _add_rows(m, g[r0:r0 + n], carries and carries[0]) * slope[r0:r0 + n]
        return [m.matmul(dpre, w_hh)], dpre

    records, (dh0,) = _bptt(m, steps, reverse, step)
    dxg = _cat_rows(m, records)
    prev = _prev_rows(m, h0, out, steps, batch_sizes, reverse)
    return dxg, dh0, m.matmul(m.swapaxes(dxg, 0, 1), prev)


_rnn_seq.derivative(_rnn_seq_grad)


# --- LSTM ---------------------------------------------------------------------------------------
def _gate_affine(m, hidden, dtype, tanh_blocks, n_blocks):
    """sigmoid(x) = (tanh(x/2) + 1)/2: one tanh over all gates, scaled per gate block."""
    scale = np.full(n_blocks * hidden, 0.5, dtype=dtype)
    shift = np.full(n_blocks * hidden, 0.5, dtype=dtype)
    for b in tanh_blocks:
        scale[b * hidden:(b + 1) * hidden] = 1
        shift[b * hidden:(b + 1) * hidden] = 0
    return m.asarray(scale), m.asarray(shift)


def _product_layout(m, b, p, hid):
    """How to run the recurrent product (B, P)·(P, 4H) and its backward (B, 4H)·(4H, P), by what
    OpenBLAS (0.3.31, SkylakeX, one thread) measured fastest (benchmarks/notes/lstm.md):

    * "gate": one GEMM per gate block. At B = 20, H = 200 four (20, 200)·(200, 200) products
      take ~20% less time than one (20, 200)·(200, 800), forward and backward alike; at
      H = 100, H = 400 or B = 64 they did not.
    * "t": transposed products, W_hh·hᵀ forward and W_hhᵀ·dgᵀ (W_hhᵀ copied row-major)
      backward: 3-25% faster forward at H = 300-650, 25-42% backward at H = 300-1024, for
      B = 5, 20 and 64.
    * "plain": h·W_hhᵀ (W_hhᵀ copied row-major) and dg·W_hh otherwise.

    With MKL taking the products (backends/mkl_gemm.py) one (20, 200)·(200, 800) product takes
    73 us against 86 us for the four per-gate ones through OpenBLAS (and 104 us through MKL,
    whose per-call cost is higher), so "gate" is OpenBLAS's only."""
    if b <= 32 and m.matmul is np.matmul and 128 <= hid <= 256 and 128 <= p <= 256:
        return "gate"
    if min(hid, p) >= 300:
        return "t"
    return "plain"


# Note [LSTM step kernels]. With numba (ember/_jit.py) the elementwise work between a time
# step's products runs as compiled loops, while the products stay with m.matmul (MKL or
# OpenBLAS). The loops make the same float operations in the same order and precision as the
# NumPy code beside them, so both paths give equal results bit for bit
# (tests/ops/test_rnn_kernels.py checks it). tanh stays NumPy's: its SIMD loop is ~40x faster
# than numba's scalar libm call (no SVML here), so the forward calls a kernel before the gate
# tanh, one between it and tanh(c), and one for h; the backward, which reads tanh(c) for all
# steps from one call before its loop, calls one kernel per step: ~10 µs where its NumPy
# calls took ~60 µs at B = 20, H = 200 (benchmarks/notes/lstm.md, session 4).
_STEP_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _fusable(*arrays):
    """Whether the step kernels can take these arrays: NumPy arrays (not CuPy's, not the tensor
    namespace's) of one dtype, float32 or float64."""
    dt = arrays[0].dtype
    return dt in _STEP_DTYPES and all(type(a) is np.ndarray and a.dtype == dt for a in arrays)


def _lstm_pre_loop(gates, xg, scale):
    # gates = (h W_hh^T + xg) * scale: the sigmoid gates' tanh(x/2) argument, g's x. In place
    # (a separate product operand would make LLVM's overlap check fail and the loop scalar)
    for r in range(gates.shape[0]):
        for j in range(gates.shape[1]):
            gates[r, j] = (gates[r, j] + xg[r, j]) * scale[j]


def _lstm_out_loop(tc, gates, h):
    # h = tanh(c) * o
    hid = tc.shape[1]
    for r in range(tc.shape[0]):
        for j in range(hid):
            h[r, j] = tc[r, j] * gates[r, 3 * hid + j]


def _lstm_cell_loop(gates, scale, shift, cp, cell):
    # activations from the gate tanh, then c = f * c_prev + i * g
    hid = cell.shape[1]
    for r in range(gates.shape[0]):
        for j in range(gates.shape[1]):
            gates[r, j] = gates[r, j] * scale[j] + shift[j]
        for j in range(hid):
            cell[r, j] = gates[r, hid + j] * cp[r, j] + gates[r, j] * gates[r, 2 * hid + j]


def _lstm_back_loop(gh, carry, add_carry, dh, tc, a, cp, cc, gc, use_gc, dc, dg, one):
    """One step of _lstm_grad_arrays between its products: dh = gh + carry (when
    ``add_carry``; else ``dh`` is given), the cell gradient ``dc``, the gate gradients ``dg``,
    and the cell carry ``cc`` (read, then rewritten for the step before). One loop per written
    block: a loop that writes several blocks stays scalar (LLVM gives up its overlap checks)."""
    hid = tc.shape[1]
    for r in range(tc.shape[0]):
        if add_carry:
            for j in range(hid):
                dh[r, j] = gh[r, j] + carry[r, j]
        for j in range(hid):
            t = tc[r, j]
            dc[r, j] = (one - t * t) * a[r, 3 * hid + j] * dh[r, j] + cc[r, j]
        if use_gc:
            for j in range(hid):
                dc[r, j] += gc[r, j]
        # (a + e) * ga * (1 - a): e = 1 for g's tanh, 0 for the sigmoids
        for j in range(hid):
            a_i = a[r, j]
            dg[r, j] = a_i * (dc[r, j] * a[r, 2 * hid + j]) * (one - a_i)
        for j in range(hid):
            a_f = a[r, hid + j]
            dg[r, hid + j] = a_f * (dc[r, j] * cp[r, j]) * (one - a_f)
        for j in range(hid):
            a_g = a[r, 2 * hid + j]
            dg[r, 2 * hid + j] = (a_g + one) * (dc[r, j] * a[r, j]) * (one - a_g)
        for j in range(hid):
            a_o = a[r, 3 * hid + j]
            dg[r, 3 * hid + j] = a_o * (dh[r, j] * tc[r, j]) * (one - a_o)
        for j in range(hid):
            cc[r, j] = dc[r, j] * a[r, hid + j]


def _signatures(*args):
    """numba signatures of a step kernel for _jit.preload, float32 and float64: "2" a C-ordered
    matrix, "1" a contiguous vector, "s" a scalar, "b" a flag (other layouts, such as the "t"
    product layout's transposed carry, compile at their first call)."""
    kinds = {"2": "{}[:, ::1]", "1": "{}[::1]", "s": "{}", "b": "boolean"}
    return [f"void({', '.join(kinds[a].format(t) for a in args)})"
            for t in ("float32", "float64")]


_lstm_pre_k = _jit.kernel(_lstm_pre_loop, _signatures("2", "2", "1"))
_lstm_out_k = _jit.kernel(_lstm_out_loop, _signatures("2", "2", "2"))
_lstm_cell_k = _jit.kernel(_lstm_cell_loop, _signatures("2", "1", "1", "2", "2"))
_lstm_back_k = _jit.kernel(_lstm_back_loop, _signatures(
    "2", "2", "b", "2", "2", "2", "2", "2", "2", "b", "2", "2", "s"))


@op("lstm_seq", keep="bcde+out", node_name="LstmSeqBackward0")
def _lstm_seq(m, xg, h0, c0, w_hh, w_hr=None, batch_sizes=None, reverse=False):
    n_rows = xg.shape[0]
    b, p = h0.shape
    hid = c0.shape[1]
    scale, shift = _gate_affine(m, hid, xg.dtype, (2,), 4)
    # the gate scale is applied to each step's rows in cache rather than to W_hh and to xg as
    # (N, 4H) temporaries; the products' operands are laid out as _product_layout measured best
    layout = _product_layout(m, b, p, hid)
    if layout == "gate":
        w = [m.ascontiguousarray(w_hh[j * hid:(j + 1) * hid].T) for j in range(4)]
    elif layout == "t":
        gt_buf = m.empty((4 * hid, b), dtype=xg.dtype)
    else:
        w = m.ascontiguousarray(w_hh.T)
    wr = None if w_hr is None else m.ascontiguousarray(w_hr.T)
    out = m.empty(n_rows * (p + 5 * hid), dtype=xg.dtype)
    hs, cs, gs = blocks(out, n_rows, (p, hid, 4 * hid))
    tc_buf = m.empty((b, hid), dtype=xg.dtype)
    fused = _lstm_pre_k is not None and _fusable(xg, h0, c0, w_hh)
    ig_buf = None if fused else m.empty((b, hid), dtype=xg.dtype)
    h, c, k = h0, c0, 0
    for r0, n in schedule(n_rows, b, batch_sizes, reverse):
        r1 = r0 + n
        hp = _state_in(m, h, h0, k, n)
        cp = _state_in(m, c, c0, k, n)
        gates = gs[r0:r1]
        if layout == "gate":
            for j in range(4):
                m.matmul(hp, w[j], out=gates[:, j * hid:(j + 1) * hid])
        elif layout == "t":
            gt = gt_buf[:, :n]
            m.matmul(w_hh, hp.T, out=gt)
            m.add(gt.T, xg[r0:r1], out=gates)
        else:
            m.matmul(hp, w, out=gates)
        cell = cs[r0:r1]
        tc = tc_buf[:n]
        if fused:       # Note [LSTM step kernels]
            if layout == "t":
                gates *= scale
            else:
                _lstm_pre_k(gates, xg[r0:r1], scale)
            m.tanh(gates, out=gates)
            _lstm_cell_k(gates, scale, shift, cp, cell)
        else:
            if layout != "t":
                gates += xg[r0:r1]
            gates *= scale
            m.tanh(gates, out=gates)
            gates *= scale
            gates += shift
            m.multiply(gates[:, hid:2 * hid], cp, out=cell)
            ig = ig_buf[:n]
            m.multiply(gates[:, :hid], gates[:, 2 * hid:3 * hid], out=ig)
            cell += ig
        m.tanh(cell, out=tc)
        hu = hs[r0:r1] if wr is None else tc
        if fused:
            _lstm_out_k(tc, gates, hu)
        else:
            m.multiply(tc, gates[:, 3 * hid:], out=hu)
        if wr is not None:
            m.matmul(tc, wr, out=hs[r0:r1])
        h, c, k = hs[r0:r1], cell, n
    return out


def _lstm_back_numpy(m, dh, c, a, cp, cc, gc, gg, e, dg, tc, dc, ga, da):
    """_lstm_back_loop's step in NumPy calls on (n, ·) scratch buffers ``tc dc ga da``; ``gc``,
    ``gg`` None where no gradient arrives at the stored cell states or activations."""
    n, hid = c.shape
    m.tanh(c, out=tc)
    m.multiply(dh, tc, out=ga[:, 3 * hid:])
    m.multiply(tc, tc, out=dc)
    m.subtract(1, dc, out=dc)
    dc *= a[:, 3 * hid:]
    dc *= dh
    dc += cc
    if gc is not None:
        dc += gc
    # i's activation gradient is dc * g and g's is dc * i: one product over both blocks
    m.multiply(dc.reshape((n, 1, hid)), a.reshape((n, 4, hid))[:, 2::-2],
               out=ga.reshape((n, 4, hid))[:, 0:3:2])
    m.multiply(dc, cp, out=ga[:, hid:2 * hid])
    if gg is not None:
        ga += gg
    # activation derivatives as (a + e) * (1 - a): a(1 - a) for the sigmoids, 1 - a² for g
    m.add(a, e, out=da)
    da *= ga
    m.subtract(1, a, out=ga)
    m.multiply(da, ga, out=dg)
    m.multiply(dc, a[:, hid:2 * hid], out=cc)


def _lstm_grad_arrays(m, g, h0, c0, w_hh, w_hr, out, steps, n_rows, batch_sizes, reverse):
    """Plain backward of ``lstm_seq`` on arrays: each step's gate gradients are written straight
    into the rows of ``dxg`` from a few (B, ·) scratch buffers that stay in cache, instead of
    (N, ·) temporaries and a concatenation per step (several times slower per element here).

    The carries live in (B, ·) buffers indexed by sequence: a step of n rows reads and rewrites
    rows :n only, so a sequence's carry starts at zero at its last step and, left untouched
    afterwards, ends as the gradient of its initial state."""
    b, p = h0.shape
    hid = c0.shape[1]
    dt = out.dtype
    oh, oc, og = blocks(out, n_rows, (p, hid, 4 * hid))
    gh, gc, gg = blocks(g, n_rows, (p, hid, 4 * hid))
    use_gc = bool(gc.any())
    use_gg = bool(gg.any())
    dxg = m.empty((n_rows, 4 * hid), dtype=dt)
    layout = _product_layout(m, b, p, hid)
    # d loss / d h entering the later step; transposed (P, B) for the "t" layout
    ch = m.zeros((p, b) if layout == "t" else (b, p), dtype=dt)
    if layout == "gate":
        ch_part = m.empty((b, p), dtype=dt)
    elif layout == "t":
        wt = m.ascontiguousarray(w_hh.T)
    cc = m.zeros((b, hid), dtype=dt)        # d loss / d c entering the later step
    dh_b = m.empty((b, p), dtype=dt)
    if w_hr is not None:
        dh_all = m.empty((n_rows, p), dtype=dt)
        du_b = m.empty((b, hid), dtype=dt)
    dc_b = m.empty((b, hid), dtype=dt)
    # the step kernel leaves the rare gradient at the gate activations to the NumPy step
    fused = _lstm_back_k is not None and not use_gg and _fusable(g, h0, c0, w_hh, out)
    if fused:       # Note [LSTM step kernels]
        tc_all = m.tanh(oc)
        one = dt.type(1)
    else:
        tc_b = m.empty((b, hid), dtype=dt)
        ga_b = m.empty((b, 4 * hid), dtype=dt)  # d loss / d activations of the gates
        da_b = m.empty((b, 4 * hid), dtype=dt)
        e = m.zeros(4 * hid, dtype=dt)
        e[2 * hid:3 * hid] = 1
    for s in range(len(steps) - 1, -1, -1):
        r0, n = steps[s]
        r1 = r0 + n
        a = og[r0:r1]
        carry = ch[:, :n].T if layout == "t" else ch[:n]
        cp = _state_before(m, steps, s, oc, c0, n)
        dg = dxg[r0:r1]
        if fused and w_hr is None:
            _lstm_back_k(gh[r0:r1], carry, True, dh_b[:n], tc_all[r0:r1], a, cp, cc[:n],
                         gc[r0:r1], use_gc, dc_b[:n], dg, one)
        else:
            dh = dh_b[:n]
            m.add(gh[r0:r1], carry, out=dh)
            if w_hr is not None:
                dh_all[r0:r1] = dh
                dh = m.matmul(dh, w_hr, out=du_b[:n])
            if fused:
                _lstm_back_k(dh, dh, False, dh, tc_all[r0:r1], a, cp, cc[:n], gc[r0:r1], use_gc,
                             dc_b[:n], dg, one)
            else:
                _lstm_back_numpy(m, dh, oc[r0:r1], a, cp, cc[:n], gc[r0:r1] if use_gc else None,
                                 gg[r0:r1] if use_gg else None, e, dg, tc_b[:n], dc_b[:n],
                                 ga_b[:n], da_b[:n])
        if layout == "gate":
            m.matmul(dg[:, :hid], w_hh[:hid], out=ch[:n])
            part = ch_part[:n]
            for j in range(1, 4):
                m.matmul(dg[:, j * hid:(j + 1) * hid], w_hh[j * hid:(j + 1) * hid], out=part)
                ch[:n] += part
        elif layout == "t":
            m.matmul(wt, dg.T, out=ch[:, :n])
        else:
            m.matmul(dg, w_hh, out=ch[:n])
    dw_hh = _weight_grad(m, dxg, h0, oh, steps, batch_sizes, reverse)
    dw_hr = None
    if w_hr is not None:
        ho = tc_all if fused else m.tanh(oc)
        ho *= og[:, 3 * hid:]
        dw_hr = m.matmul(dh_all.T, ho)
    return dxg, (m.ascontiguousarray(ch.T) if layout == "t" else ch), cc, dw_hh, dw_hr


def _weight_grad(m, dg, x0, ox, steps, batch_sizes, reverse):
    """dg.T @ (the state entering each row), for dense input without gathering those states:
    the rows fed by the outputs and those fed by ``x0`` as two products, the second skipped
    when ``x0`` is zero (as it usually is) and its rows of ``dg`` are finite (0·inf is NaN)."""
    if batch_sizes is not None:
        return m.matmul(dg.T, _prev_rows(m, x0, ox, steps, batch_sizes, reverse))
    b = x0.shape[0]
    n_rows = ox.shape[0]
    if not reverse:
        res = m.matmul(dg[b:].T, ox[:n_rows - b])
        first = dg[:b]
    else:
        res = m.matmul(dg[:n_rows - b].T, ox[b:])
        first = dg[n_rows - b:]
    if x0.any() or not m.isfinite(first).all():
        res += m.matmul(first.T, x0)
    return res


def _lstm_seq_grad(m, g, xg, h0, c0, w_hh, w_hr, out, batch_sizes=None, reverse=False):
    p = h0.shape[1]
    hid = c0.shape[1]
    n_rows = out.shape[0] // (p + 5 * hid)
    steps = schedule(n_rows, h0.shape[0], batch_sizes, reverse)
    if not steps:       # an empty batch: zero gradients
        return (g.reshape((0, 4 * hid)), h0 * 0, c0 * 0, w_hh * 0,
                None if w_hr is None else w_hr * 0)
    if not getattr(m, "is_tensor_namespace", False):
        return _lstm_grad_arrays(m, g, h0, c0, w_hh, w_hr, out, steps, n_rows, batch_sizes,
                                 reverse)
    oh, oc, og = blocks(out, n_rows, (p, hid, 4 * hid))
    gh, gc, gg = blocks(g, n_rows, (p, hid, 4 * hid))
    a_i, a_f = og[:, :hid], og[:, hid:2 * hid]
    a_g, a_o = og[:, 2 * hid:3 * hid], og[:, 3 * hid:]
    tc = m.tanh(oc)
    cprev = _prev_rows(m, c0, oc, steps, batch_sizes, reverse)
    d_i, d_f, d_g, d_o = a_i * (1 - a_i), a_f * (1 - a_f), 1 - a_g * a_g, a_o * (1 - a_o)
    # per step: d(gate pre-activations) = [dc*g*i', dc*c_prev*f', dc*i*g', dhu*tanh(c)*o']
    # plus the gradients arriving at the stored activations themselves
    f3 = m.concatenate([a_g * d_i, cprev * d_f, a_i * d_g], axis=1).reshape((n_rows, 3, hid))
    fo = tc * d_o
    kc = a_o * (1 - tc * tc)
    extra = None if _no_gradient(m, gg) else gg * m.concatenate([d_i, d_f, d_g, d_o], axis=1)

    def step(r0, n, carries):
        r1 = r0 + n
        dh = _add_rows(m, gh[r0:r1], carries and carries[0])
        dhu = dh if w_hr is None else m.matmul(dh, w_hr)
        dc = _add_rows(m, gc[r0:r1] + dhu * kc[r0:r1], carries and carries[1])
        d3 = (dc.reshape((n, 1, hid)) * f3[r0:r1]).reshape((n, 3 * hid))
        dgates = m.concatenate([d3, dhu * fo[r0:r1]], axis=1)
        if extra is not None:
            dgates = dgates + extra[r0:r1]
        return [m.matmul(dgates, w_hh), dc * a_f[r0:r1]], (dgates, dh)

    records, (dh0, dc0) = _bptt(m, steps, reverse, step)
    dxg = _cat_rows(m, [r[0] for r in records])
    hprev = _prev_rows(m, h0, oh, steps, batch_sizes, reverse)
    dw_hh = m.matmul(m.swapaxes(dxg, 0, 1), hprev)
    dw_hr = None
    if w_hr is not None:
        dh_all = _cat_rows(m, [r[1] for r in records])
        dw_hr = m.matmul(m.swapaxes(dh_all, 0, 1), a_o * tc)
    return dxg, dh0, dc0, dw_hh, dw_hr


_lstm_seq.derivative(_lstm_seq_grad)


# --- GRU ----------------------------------------------------------------------------------------
# The forward's elementwise work in compiled loops around NumPy's tanh, as Note [LSTM step
# kernels] explains; the backward stays in the rule dialect.
def _gru_pre_loop(t, bias, use_bias, xs, rz, hn):
    # r, z tanh arguments (t + b_hh) + xs and the new gate's W_hn h + b_hn
    h2 = rz.shape[1]
    for r in range(t.shape[0]):
        for j in range(h2):
            v = t[r, j] + bias[j] if use_bias else t[r, j]
            rz[r, j] = v + xs[r, j]
        for j in range(hn.shape[1]):
            hn[r, j] = t[r, h2 + j] + bias[h2 + j] if use_bias else t[r, h2 + j]


def _gru_new_loop(rz, hn, xg, new, half):
    # r, z from their tanh; the new gate's tanh argument r * (W_hn h + b_hn) + x W_in + b_in
    hid = hn.shape[1]
    for r in range(rz.shape[0]):
        for j in range(2 * hid):
            rz[r, j] = rz[r, j] * half + half
        for j in range(hid):
            new[r, j] = rz[r, j] * hn[r, j] + xg[r, 2 * hid + j]


def _gru_out_loop(hp, new, rz, h):
    # h = (h_prev - n) * z + n
    hid = h.shape[1]
    for r in range(h.shape[0]):
        for j in range(hid):
            h[r, j] = (hp[r, j] - new[r, j]) * rz[r, hid + j] + new[r, j]


def _gru_back_loop(gh, ch, dh, a, on, ohn, hp, direct, grz, gn, ghn, dhg, dn, zc, one):
    """One step of _gru_grad_arrays between its products, the dialect rule's step as loops:
    dh = gh + ch, then [d r pre-act., d z pre-act., d(W_hn h + b_hn)] into ``dhg``, d(n
    pre-act.) into ``dn`` and dh * z into ``zc``; ``direct`` adds the gradients arriving at
    the stored activations. One loop per written block (Note [LSTM step kernels])."""
    hid = dh.shape[1]
    for r in range(dh.shape[0]):
        for j in range(hid):
            dh[r, j] = gh[r, j] + ch[r, j]
        for j in range(hid):
            o = on[r, j]
            dn[r, j] = dh[r, j] * ((one - a[r, hid + j]) * (one - o * o))
        if direct:
            for j in range(hid):
                o = on[r, j]
                dn[r, j] += gn[r, j] * (one - o * o)
        for j in range(hid):
            z = a[r, hid + j]
            dhg[r, hid + j] = dh[r, j] * ((hp[r, j] - on[r, j]) * (z * (one - z)))
        for j in range(hid):
            x = a[r, j]
            dhg[r, j] = dn[r, j] * (ohn[r, j] * (x * (one - x)))
        for j in range(hid):
            dhg[r, 2 * hid + j] = dn[r, j] * a[r, j]
        if direct:
            for j in range(hid):
                z = a[r, hid + j]
                dhg[r, hid + j] += grz[r, hid + j] * (z * (one - z))
            for j in range(hid):
                x = a[r, j]
                dhg[r, j] += grz[r, j] * (x * (one - x))
            for j in range(hid):
                dhg[r, 2 * hid + j] += ghn[r, j]
        for j in range(hid):
            zc[r, j] = dh[r, j] * a[r, hid + j]


_gru_pre_k = _jit.kernel(_gru_pre_loop, _signatures("2", "1", "b", "2", "2", "2"))
_gru_new_k = _jit.kernel(_gru_new_loop, _signatures("2", "2", "2", "2", "s"))
_gru_out_k = _jit.kernel(_gru_out_loop, _signatures("2", "2", "2", "2"))
_gru_back_k = _jit.kernel(_gru_back_loop, _signatures(
    "2", "2", "2", "2", "2", "2", "2", "b", "2", "2", "2", "2", "2", "2", "s"))


@op("gru_seq", keep="bcd+out", node_name="GruSeqBackward0")
def _gru_seq(m, xg, h0, w_hh, b_hh=None, batch_sizes=None, reverse=False):
    n_rows = xg.shape[0]
    b, hid = h0.shape
    scale, _ = _gate_affine(m, hid, xg.dtype, (2,), 3)
    xs = xg[:, :2 * hid] * 0.5
    w = m.ascontiguousarray((w_hh * scale[:, None]).T)
    bias = None if b_hh is None else b_hh * scale
    out = m.empty(n_rows * 5 * hid, dtype=xg.dtype)
    hs, rzs, ns, hns = blocks(out, n_rows, (hid, 2 * hid, hid, hid))
    tmp = m.empty((b, 3 * hid), dtype=xg.dtype)
    fused = _gru_pre_k is not None and _fusable(xg, h0, w_hh, xg if b_hh is None else b_hh)
    if fused:       # Note [LSTM step kernels]
        half = xg.dtype.type(0.5)
        use_bias = bias is not None
        if not use_bias:
            bias = tmp[0]           # not read
    h, k = h0, 0
    for r0, n in schedule(n_rows, b, batch_sizes, reverse):
        r1 = r0 + n
        hp = _state_in(m, h, h0, k, n)
        t = tmp[:n]
        m.matmul(hp, w, out=t)
        rz = rzs[r0:r1]
        hn = hns[r0:r1]
        new = ns[r0:r1]
        hcur = hs[r0:r1]
        if fused:
            _gru_pre_k(t, bias, use_bias, xs[r0:r1], rz, hn)
            m.tanh(rz, out=rz)
            _gru_new_k(rz, hn, xg[r0:r1], new, half)
            m.tanh(new, out=new)
            _gru_out_k(hp, new, rz, hcur)
        else:
            if bias is not None:
                t += bias
            m.add(t[:, :2 * hid], xs[r0:r1], out=rz)
            m.tanh(rz, out=rz)
            rz *= 0.5
            rz += 0.5
            hn[...] = t[:, 2 * hid:]
            m.multiply(rz[:, :hid], hn, out=new)
            new += xg[r0:r1, 2 * hid:]
            m.tanh(new, out=new)
            m.subtract(hp, new, out=hcur)
            hcur *= rz[:, hid:]
            hcur += new
        h, k = hcur, n
    return out


def _gru_seq_grad(m, g, xg, h0, w_hh, b_hh, out, batch_sizes=None, reverse=False):
    hid = h0.shape[1]
    n_rows = out.shape[0] // (5 * hid)
    steps = schedule(n_rows, h0.shape[0], batch_sizes, reverse)
    if not steps:       # an empty batch: zero gradients
        return g.reshape((0, 3 * hid)), h0 * 0, w_hh * 0, None if b_hh is None else b_hh * 0
    if _gru_back_k is not None and not getattr(m, "is_tensor_namespace", False) and \
            _fusable(g, h0, w_hh, out, g if b_hh is None else b_hh):
        return _gru_grad_arrays(m, g, h0, w_hh, b_hh, out, steps, n_rows, batch_sizes, reverse)
    oh, orz, on, ohn = blocks(out, n_rows, (hid, 2 * hid, hid, hid))
    gh, grz, gn, ghn = blocks(g, n_rows, (hid, 2 * hid, hid, hid))
    a_r, a_z = orz[:, :hid], orz[:, hid:]
    hprev = _prev_rows(m, h0, oh, steps, batch_sizes, reverse)
    d_r, d_z, d_n = a_r * (1 - a_r), a_z * (1 - a_z), 1 - on * on
    # d(n pre-act.) = dh*k_n + e_n, d(z pre-act.) = dh*k_z + e_z,
    # d(r pre-act.) = dn_pre*k_r + e_r, d(W_hn h + b_hn) = dn_pre*r + ghn
    k_n, k_z, k_r = (1 - a_z) * d_n, (hprev - on) * d_z, ohn * d_r
    direct = not (_no_gradient(m, grz) and _no_gradient(m, gn) and _no_gradient(m, ghn))
    if direct:
        e_n, e_z, e_r = gn * d_n, grz[:, hid:] * d_z, grz[:, :hid] * d_r

    def step(r0, n, carries):
        r1 = r0 + n
        dh = _add_rows(m, gh[r0:r1], carries and carries[0])
        dn_pre = dh * k_n[r0:r1]
        dz_pre = dh * k_z[r0:r1]
        if direct:
            dn_pre = dn_pre + e_n[r0:r1]
            dz_pre = dz_pre + e_z[r0:r1]
        dr_pre = dn_pre * k_r[r0:r1]
        dhn = dn_pre * a_r[r0:r1]
        if direct:
            dr_pre = dr_pre + e_r[r0:r1]
            dhn = dhn + ghn[r0:r1]
        dhg = m.concatenate([dr_pre, dz_pre, dhn], axis=1)
        return [m.matmul(dhg, w_hh) + dh * a_z[r0:r1]], (dhg, dn_pre)

    records, (dh0,) = _bptt(m, steps, reverse, step)
    dhg = _cat_rows(m, [r[0] for r in records])
    dxg = m.concatenate([dhg[:, :2 * hid], _cat_rows(m, [r[1] for r in records])], axis=1)
    dw_hh = m.matmul(m.swapaxes(dhg, 0, 1), hprev)
    db_hh = None if b_hh is None else m.sum(dhg, axis=0)
    return dxg, dh0, dw_hh, db_hh


def _gru_grad_arrays(m, g, h0, w_hh, b_hh, out, steps, n_rows, batch_sizes, reverse):
    """Plain backward of ``gru_seq`` through _gru_back_loop, with the carry in a (B, H) buffer
    indexed by sequence as in _lstm_grad_arrays; without numba the dialect rule runs."""
    b, hid = h0.shape
    dt = out.dtype
    oh, orz, on, ohn = blocks(out, n_rows, (hid, 2 * hid, hid, hid))
    gh, grz, gn, ghn = blocks(g, n_rows, (hid, 2 * hid, hid, hid))
    direct = bool(grz.any() or gn.any() or ghn.any())
    dhg = m.empty((n_rows, 3 * hid), dtype=dt)
    dn = m.empty((n_rows, hid), dtype=dt)
    ch = m.zeros((b, hid), dtype=dt)        # d loss / d h entering the later step
    dh_b = m.empty((b, hid), dtype=dt)
    zc_b = m.empty((b, hid), dtype=dt)
    one = dt.type(1)
    for s in range(len(steps) - 1, -1, -1):
        r0, n = steps[s]
        r1 = r0 + n
        hp = _state_before(m, steps, s, oh, h0, n)
        rows = dhg[r0:r1]
        _gru_back_k(gh[r0:r1], ch[:n], dh_b[:n], orz[r0:r1], on[r0:r1], ohn[r0:r1], hp, direct,
                    grz[r0:r1], gn[r0:r1], ghn[r0:r1], rows, dn[r0:r1], zc_b[:n], one)
        m.matmul(rows, w_hh, out=ch[:n])
        ch[:n] += zc_b[:n]
    dxg = m.concatenate([dhg[:, :2 * hid], dn], axis=1)
    dw_hh = _weight_grad(m, dhg, h0, oh, steps, batch_sizes, reverse)
    db_hh = None if b_hh is None else m.sum(dhg, axis=0)
    return dxg, ch, dw_hh, db_hh


_gru_seq.derivative(_gru_seq_grad)


# --- one layer in one direction -----------------------------------------------------------------
def _states(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, batch_sizes, reverse):
    """The input projection and the sequence op: (hidden states (N, P), cell states or None)."""
    n_rows = x.shape[0]
    attrs = {"batch_sizes": batch_sizes, "reverse": reverse}
    if mode == "GRU":
        xg = linear(x, w_ih, b_ih)
        out = dispatch.apply(_gru_seq, (xg, h0, w_hh, b_hh), attrs)
        return blocks(out, n_rows, (h0.shape[1],))[0], None
    # b_hh only ever adds to the projection (GRU's b_hn is the exception above)
    bias = b_ih if b_hh is None else (b_hh if b_ih is None else b_ih + b_hh)
    xg = linear(x, w_ih, bias)
    if mode == "LSTM":
        out = dispatch.apply(_lstm_seq, (xg, h0, c0, w_hh, w_hr), attrs)
        return tuple(blocks(out, n_rows, (h0.shape[1], c0.shape[1])))
    attrs["nonlinearity"] = "tanh" if mode == "RNN_TANH" else "relu"
    return dispatch.apply(_rnn_seq, (xg, h0, w_hh), attrs), None


def recurrent_layer(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, batch_sizes, reverse):
    """Run one layer and direction over ``x`` (N, input_size), rows laid out as in Note
    [Recurrent sequence ops]. ``mode``: "LSTM", "GRU", "RNN_TANH" or "RNN_RELU".

    Returns (hidden states (N, hidden), final hidden state (B, hidden), final cell state or
    None), the final states taken at each sequence's last step."""
    bs = None if batch_sizes is None else tuple(batch_sizes)
    if x.shape[0] == 0:
        raise EmberRuntimeError("Expected sequence length to be larger than 0 in RNN")
    h_all, c_all = _states(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, bs, reverse)
    last = final_rows(schedule(x.shape[0], h0.shape[0], bs, reverse))
    if isinstance(last, np.ndarray):
        last = wrap(last)
    return h_all, h_all[last], (None if c_all is None else c_all[last])


# --- cells (torch.rnn_tanh_cell, torch.lstm_cell, ...) ------------------------------------------
def _check_cell(input, hx, w_ih, w_hh, idx=0):
    if input.shape[1] != w_ih.shape[1]:
        raise EmberRuntimeError(f"input has inconsistent input_size: got {input.shape[1]} "
                                f"expected {w_ih.shape[1]}")
    if input.shape[0] != hx.shape[0]:
        raise EmberRuntimeError(f"Input batch size {input.shape[0]} doesn't match hidden{idx} "
                                f"batch size {hx.shape[0]}")
    if hx.shape[1] != w_hh.shape[1]:
        raise EmberRuntimeError(f"hidden{idx} has inconsistent hidden_size: got {hx.shape[1]}, "
                                f"expected {w_hh.shape[1]}")


def _cell(mode, input, hx, cx, w_ih, w_hh, b_ih, b_hh):
    # one step over the whole batch: the op's outputs are the new states themselves
    h, c = _states(mode, input, hx, cx, w_ih, w_hh, b_ih, b_hh, None, None, False)
    return h if c is None else (h, c)


@public("rnn_tanh_cell")
def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> Tensor:
    h' = tanh(input @ w_ih.T + b_ih + hx @ w_hh.T + b_hh) for 2-D (batch, features) tensors.

    Example:
        >>> x, h = torch.tensor([[1.0, -2.0]]), torch.tensor([[1.0]])
        >>> torch.rnn_tanh_cell(x, h, torch.tensor([[1.0, 1.0]]), torch.tensor([[2.0]]))
        tensor([[0.7616]])
    """
    _check_cell(input, hx, w_ih, w_hh)
    return _cell("RNN_TANH", input, hx, None, w_ih, w_hh, b_ih, b_hh)


@public("rnn_relu_cell")
def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> Tensor: the Elman cell
    with ReLU.

    Example:
        >>> x, h = torch.tensor([[1.0, -2.0]]), torch.tensor([[1.0]])
        >>> torch.rnn_relu_cell(x, h, torch.tensor([[1.0, 1.0]]), torch.tensor([[2.0]]))
        tensor([[1.]])
    """
    _check_cell(input, hx, w_ih, w_hh)
    return _cell("RNN_RELU", input, hx, None, w_ih, w_hh, b_ih, b_hh)


@public("lstm_cell")
def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> (Tensor, Tensor): one LSTM
    step; ``hx`` is (h, c), gates in the order input, forget, cell, output.

    Example:
        >>> x, h, c = torch.ones(1, 2), torch.zeros(1, 1), torch.zeros(1, 1)
        >>> torch.lstm_cell(x, (h, c), torch.full((4, 2), 0.5), torch.ones(4, 1))
        (tensor([[0.3696]]), tensor([[0.5568]]))
    """
    if not isinstance(hx, (tuple, list)) or len(hx) != 2:
        raise EmberRuntimeError("lstm_cell: hx must be a tuple (h, c) of two tensors")
    h, c = hx
    _check_cell(input, h, w_ih, w_hh, 0)
    if c.shape[0] != input.shape[0]:
        raise EmberRuntimeError(f"Input batch size {input.shape[0]} doesn't match hidden1 "
                                f"batch size {c.shape[0]}")
    if c.shape[1] != w_hh.shape[1]:
        raise EmberRuntimeError(f"hidden1 has inconsistent hidden_size: got {c.shape[1]}, "
                                f"expected {w_hh.shape[1]}")
    return _cell("LSTM", input, h, c, w_ih, w_hh, b_ih, b_hh)


@public("gru_cell")
def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> Tensor: one GRU step, gates
    in the order reset, update, new; n = tanh(x W_in + b_in + r * (h W_hn + b_hn)).

    Example:
        >>> x, h = torch.ones(1, 2), torch.zeros(1, 1)
        >>> torch.gru_cell(x, h, torch.full((3, 2), 0.5), torch.ones(3, 1))
        tensor([[0.2048]])
    """
    _check_cell(input, hx, w_ih, w_hh)
    return _cell("GRU", input, hx, None, w_ih, w_hh, b_ih, b_hh)
