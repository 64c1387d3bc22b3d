"""ONNX for the leaf modules that the recorder runs as one step (_trace.leaf_module_types): LSTM as
ONNX's LSTM operator, max/average pooling as MaxPool/AveragePool.

torch orders an LSTM's gate rows i, f, g, o; ONNX wants i, o, f, c (c = torch's g), and takes
both biases side by side, so the weights are reordered into new initializers.
"""
import numpy as np

from ..tensor import Tensor


class ModuleTranslator:
    """Mixed into ``_graph.Translator``: ``self.gb`` is the GraphBuilder."""

    def module_step(self, s, sb):
        from ..nn.modules import pooling, rnn
        mod = s.module
        if isinstance(mod, rnn.LSTM):
            names = self.lstm(s, sb)
        elif isinstance(mod, pooling._MaxPoolNd):
            names = [self.pool(s, sb, "MaxPool")]
        elif isinstance(mod, pooling._AvgPoolNd):
            names = [self.pool(s, sb, "AveragePool")]
        else:
            raise self.unsupported(s)
        for j, (t, name) in enumerate(zip(s.outs, names)):
            tb = sb.outs[j] if sb is not None else None
            self.bind_result(t, name, tb)

    def module_input(self, s, sb, x, xb):
        v = self.gb.value_of(x, None if xb is None else tuple(xb.shape))
        return self.gb.name_of(v, "const", self.where(s))

    def pool(self, s, sb, op_type):
        mod = s.module
        if s.kwargs or len(s.inputs) != 1 or not isinstance(s.inputs[0], Tensor):
            raise self.unsupported(s, "expected one tensor argument")
        x = s.inputs[0]
        nd = mod._nd
        if x.ndim != nd + 2:
            raise self.unsupported(s, f"only batched {nd + 2}-d input is supported")

        def tup(v):
            return list(v) if isinstance(v, (tuple, list)) else [int(v)] * nd
        k = tup(mod.kernel_size)
        st = tup(mod.stride) if mod.stride not in (None, (), []) else k
        pad = tup(mod.padding)
        attrs = {"kernel_shape": k, "strides": st, "pads": pad + pad,
                 "ceil_mode": int(bool(mod.ceil_mode))}
        if op_type == "MaxPool":
            if mod.return_indices:
                raise self.unsupported(s, "return_indices=True is not supported")
            attrs["dilations"] = tup(mod.dilation)
        else:
            if mod.divisor_override is not None:
                raise self.unsupported(s, "divisor_override is not supported")
            attrs["count_include_pad"] = int(bool(mod.count_include_pad))
        xname = self.module_input(s, sb, x, sb.inputs[0] if sb is not None else None)
        return self.gb.node(op_type, [xname], **attrs)

    def lstm(self, s, sb):
        gb = self.gb
        mod = s.module
        if mod.proj_size:
            raise self.unsupported(s, "LSTM with proj_size > 0 is not supported")
        args = list(s.inputs) + list(s.kwargs.values())
        x = args[0]
        hx = args[1] if len(args) > 1 else None
        if not isinstance(x, Tensor) or x.ndim != 3:
            raise self.unsupported(s, "only batched 3-d tensor input is supported")
        xb = sb.inputs[0] if sb is not None else None
        xn = self.module_input(s, sb, x, xb)
        if mod.batch_first:
            xn = gb.node("Transpose", [xn], perm=[1, 0, 2])
        h0 = c0 = None
        if hx is not None:
            hxb = (sb.inputs + tuple(sb.kwargs.values()))[1] if sb is not None else (None, None)
            h0 = self.module_input(s, sb, hx[0], hxb[0])
            c0 = self.module_input(s, sb, hx[1], hxb[1])
        hid = mod.hidden_size
        dirs = 2 if mod.bidirectional else 1
        order = np.r_[0:hid, 3 * hid:4 * hid, hid:2 * hid, 2 * hid:3 * hid]   # ifgo -> iofc
        hs, cs = [], []
        for layer in range(mod.num_layers):
            ws, rs, bs = [], [], []
            for d in range(dirs):
                w_ih, w_hh, b_ih, b_hh, _ = (None if n is None else getattr(mod, n)._array
                                             for n in mod._layer_params[layer * dirs + d])
                ws.append(w_ih[order])
                rs.append(w_hh[order])
                zero = np.zeros(4 * hid, dtype=w_ih.dtype)
                bs.append(np.concatenate([zero if b_ih is None else b_ih[order],
                                          zero if b_hh is None else b_hh[order]]))
            prefix = f"{s.scope[0] or 'lstm'}.l{layer}"
            ins = [xn, gb.init(np.stack(ws), prefix + ".W"), gb.init(np.stack(rs), prefix + ".R"),
                   gb.init(np.stack(bs), prefix + ".B")]
            if h0 is not None:
                lo, hi = gb.ints([layer * dirs], "starts"), gb.ints([(layer + 1) * dirs], "ends")
                ax = gb.ints([0], "axes")
                ins += ["", gb.node("Slice", [h0, lo, hi, ax]), gb.node("Slice", [c0, lo, hi, ax])]
            y, yh, yc = gb.node("LSTM", ins, n_out=3, hidden_size=hid,
                                direction="bidirectional" if dirs == 2 else "forward")
            # Y is (T, D, B, H): the next layer and the output want (T, B, D * H)
            y = gb.node("Transpose", [y], perm=[0, 2, 1, 3])
            xn = gb.node("Reshape", [y, gb.ints([0, 0, -1])])
            hs.append(yh)
            cs.append(yc)
        out = gb.node("Transpose", [xn], perm=[1, 0, 2]) if mod.batch_first else xn
        h_n = hs[0] if len(hs) == 1 else gb.node("Concat", hs, axis=0)
        c_n = cs[0] if len(cs) == 1 else gb.node("Concat", cs, axis=0)
        return [out, h_n, c_n]
