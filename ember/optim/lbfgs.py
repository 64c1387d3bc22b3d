"""L-BFGS with an optional strong-Wolfe line search (closure required)."""
import numpy as np

from .._errors import EmberRuntimeError, EmberValueError
from .._state import state as _state
from ..tensor import Tensor, wrap
from .optimizer import Optimizer, _bump, _check_lr, _real, _value

# Scalars below (dot products, step lengths) are NumPy scalars of the parameters' dtype, so
# they round as torch's 0-d tensors do; Python floats mix in as weak scalars (NEP 50).


class LBFGS(Optimizer):
    """LBFGS(params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
    tolerance_change=1e-9, history_size=100, line_search_fn=None): limited-memory BFGS. Each
    ``step(closure)`` runs up to ``max_iter`` iterations, calling ``closure`` (which must
    clear the gradients, compute the loss, call ``backward`` and return the loss) as needed.
    ``line_search_fn="strong_wolfe"`` picks each step length by a line search satisfying the
    strong Wolfe conditions; otherwise the step length is ``lr``. One parameter group only.

    State (kept under the first parameter): ``func_evals``, ``n_iter``, ``d``, ``t``,
    ``old_dirs``, ``old_stps``, ``ro``, ``H_diag``, ``prev_flat_grad``, ``prev_loss``, ``al``.

    Example::

        >>> w = torch.zeros(2, requires_grad=True)
        >>> opt = optim.LBFGS([w])
        >>> def closure():
        ...     opt.zero_grad()
        ...     loss = ((w - 3) ** 2).sum()
        ...     loss.backward()
        ...     return loss
        ...
        >>> _ = opt.step(closure)
        >>> [round(v, 2) for v in w.tolist()]
        [3.0, 3.0]
    """

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None):
        _check_lr(lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        super().__init__(params, dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                                      tolerance_grad=tolerance_grad,
                                      tolerance_change=tolerance_change,
                                      history_size=history_size, line_search_fn=line_search_fn))
        if len(self.param_groups) != 1:
            raise EmberValueError("LBFGS doesn't support per-parameter options (parameter "
                                  "groups)")
        self._params = self.param_groups[0]["params"]

    # -- flat views of all parameters ---------------------------------------------------------

    def _flat_grad(self):
        parts = []
        for p in self._params:
            g = p._grad
            a = _real(p._array if g is None else g._array)
            parts.append(np.zeros(a.size, a.dtype) if g is None else a.reshape(-1))
        return np.concatenate(parts)

    def _add(self, t, d):
        """Parameters += t * d, with ``d`` flat."""
        offset = 0
        for p in self._params:
            w = _real(p._array)
            n = w.size
            w += t * d[offset:offset + n].reshape(w.shape)
            offset += n
            _bump(p)

    def _set(self, saved):
        for p, a in zip(self._params, saved):
            p._array[...] = a
            _bump(p)

    def _evaluate(self, closure, x, t, d):
        """Loss and flat gradient at x + t * d; parameters are restored to x afterwards."""
        self._add(t, d)
        loss = _float(closure())
        g = self._flat_grad()
        self._set(x)
        return loss, g

    # -- the step -----------------------------------------------------------------------------

    def step(self, closure):
        """step(closure): up to ``max_iter`` L-BFGS iterations; returns the first loss."""
        if closure is None:
            raise EmberRuntimeError("LBFGS requires a closure that reevaluates the model and "
                                    "returns the loss")
        prev = _state.grad_enabled
        _state.grad_enabled = False
        try:
            return self._step(lambda: _with_grad(closure))
        finally:
            _state.grad_enabled = prev

    def _step(self, closure):
        group = self.param_groups[0]
        lr = _value(group["lr"])
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
        line_search, history = group["line_search_fn"], group["history_size"]
        if line_search is not None and line_search != "strong_wolfe":
            raise EmberRuntimeError("only 'strong_wolfe' is supported")

        st = self.state[self._params[0]]
        st.setdefault("func_evals", 0)
        st.setdefault("n_iter", 0)
        orig_loss = closure()
        loss = _float(orig_loss)
        evals = 1
        st["func_evals"] += 1
        flat_grad = self._flat_grad()
        if np.abs(flat_grad).max() <= tol_grad:
            return orig_loss

        d, t = _arr(st.get("d")), _num(st.get("t"))
        old_dirs = [_arr(v) for v in st.get("old_dirs", ())]
        old_stps = [_arr(v) for v in st.get("old_stps", ())]
        ro = [_num(v) for v in st.get("ro", ())]
        h_diag = _num(st.get("H_diag"))
        prev_grad, prev_loss = _arr(st.get("prev_flat_grad")), st.get("prev_loss")
        al = [_num(v) for v in st.get("al", ())]

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            st["n_iter"] += 1
            if st["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                h_diag = 1
            else:
                d, h_diag = _direction(flat_grad, prev_grad, d, t, old_dirs, old_stps, ro, al,
                                       h_diag, history)
            if prev_grad is None:
                prev_grad = flat_grad.copy()
            else:
                prev_grad[...] = flat_grad
            prev_loss = loss
            if st["n_iter"] == 1:
                t = min(1.0, 1.0 / np.abs(flat_grad).sum()) * lr
            else:
                t = lr
            gtd = np.dot(flat_grad, d)
            if gtd > -tol_change:
                break

            ls_evals = 0
            if line_search is not None:
                x0 = [np.array(p._array, copy=True) for p in self._params]
                loss, flat_grad, t, ls_evals = _strong_wolfe(
                    lambda x, s, dd: self._evaluate(closure, x, s, dd), x0, t, d, loss,
                    flat_grad, gtd, max_ls=max_eval - evals)
                self._add(t, d)
                opt_cond = np.abs(flat_grad).max() <= tol_grad
            else:
                self._add(t, d)
                opt_cond = False
                if n_iter != max_iter:
                    loss = _float(closure())
                    flat_grad = self._flat_grad()
                    opt_cond = np.abs(flat_grad).max() <= tol_grad
                    ls_evals = 1
            evals += ls_evals
            st["func_evals"] += ls_evals

            if (n_iter == max_iter or evals >= max_eval or opt_cond
                    or np.abs(d * t).max() <= tol_change
                    or abs(loss - prev_loss) < tol_change):
                break

        # saved with torch's layout: flat vectors and scalar tensors as Tensors
        st["d"], st["t"] = wrap(d), _box(t)
        st["old_dirs"] = [wrap(v) for v in old_dirs]
        st["old_stps"] = [wrap(v) for v in old_stps]
        st["ro"], st["H_diag"] = [_box(v) for v in ro], _box(h_diag)
        st["prev_flat_grad"], st["prev_loss"] = wrap(prev_grad), prev_loss
        if al:
            st["al"] = [_box(v) for v in al]
        return orig_loss


def _direction(flat_grad, prev_grad, d, t, old_dirs, old_stps, ro, al, h_diag, history):
    """The next search direction by the two-loop recursion, and the new diagonal scale; the
    history lists are updated in place."""
    y = flat_grad - prev_grad
    s = d * t
    ys = np.dot(y, s)
    if ys > 1e-10:
        if len(old_dirs) == history:
            old_dirs.pop(0)
            old_stps.pop(0)
            ro.pop(0)
        old_dirs.append(y)
        old_stps.append(s)
        ro.append(1.0 / ys)
        h_diag = ys / np.dot(y, y)
    if not al:
        al.extend([None] * history)
    q = -flat_grad
    for i in range(len(old_dirs) - 1, -1, -1):
        al[i] = np.dot(old_stps[i], q) * ro[i]
        q -= al[i] * old_dirs[i]
    r = q * h_diag
    for i in range(len(old_dirs)):
        be_i = np.dot(old_dirs[i], r) * ro[i]
        r += (al[i] - be_i) * old_stps[i]
    return r, h_diag


def _with_grad(closure):
    prev = _state.grad_enabled
    _state.grad_enabled = True
    try:
        return closure()
    finally:
        _state.grad_enabled = prev


def _float(loss):
    """The closure's loss as a float, without the warning float() gives a tensor in a graph."""
    return float(loss._array) if isinstance(loss, Tensor) else float(loss)


def _arr(v):
    return v._array if isinstance(v, Tensor) else v


def _box(v):
    return wrap(np.asarray(v)) if isinstance(v, np.generic) else v


def _num(v):
    """A saved scalar back as a NumPy scalar (it may have been stored as a 0-d tensor)."""
    return v._array[()] if isinstance(v, Tensor) else v


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """Minimizer of the cubic through (x1, f1, g1) and (x2, f2, g2), clipped to ``bounds``."""
    if bounds is not None:
        lo, hi = bounds
    else:
        lo, hi = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 ** 2 - g1 * g2
    if d2_square >= 0:
        d2 = np.sqrt(d2_square)
        if x1 <= x2:
            pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(pos, lo), hi)
    return (lo + hi) / 2.0


def _strong_wolfe(obj, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """Line search along ``d`` from x for a step t meeting the strong Wolfe conditions
    (bracketing, then zoom by cubic interpolation). Returns (f, g, t, evaluations)."""
    d_norm = np.abs(d).max()
    g = g.copy()
    f_new, g_new = obj(x, t, d)
    evals = 1
    gtd_new = np.dot(g_new, d)
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        if f_new > f + c1 * t * gtd or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        # extrapolate
        lo_step, hi_step = t + 0.01 * (t - t_prev), t * 10
        t_prev, t = t, _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                                          bounds=(lo_step, hi_step))
        f_prev, g_prev, gtd_prev = f_new, g_new.copy(), gtd_new
        f_new, g_new = obj(x, t, d)
        evals += 1
        gtd_new = np.dot(g_new, d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]

    # zoom: shrink the bracket until a point satisfies the conditions
    insuf_progress = False
    low, high = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0],
                               bracket[1], bracket_f[1], bracket_gtd[1])
        # keep t away from the bracket's ends unless the last tries made too little progress
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                if abs(t - max(bracket)) < abs(t - min(bracket)):
                    t = max(bracket) - eps
                else:
                    t = min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = obj(x, t, d)
        evals += 1
        gtd_new = np.dot(g_new, d)
        ls_iter += 1
        if f_new > f + c1 * t * gtd or f_new >= bracket_f[low]:
            bracket[high], bracket_f[high] = t, f_new
            bracket_g[high], bracket_gtd[high] = g_new.copy(), gtd_new
            low, high = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high] - bracket[low]) >= 0:
                bracket[high], bracket_f[high] = bracket[low], bracket_f[low]
                bracket_g[high], bracket_gtd[high] = bracket_g[low], bracket_gtd[low]
            bracket[low], bracket_f[low] = t, f_new
            bracket_g[low], bracket_gtd[low] = g_new.copy(), gtd_new
    return bracket_f[low], bracket_g[low], bracket[low], evals
