"""Recurrent layers: RNNBase, RNN, LSTM, GRU and the cells RNNCell, LSTMCell, GRUCell.

Parameter names, shapes, order and initialisation follow torch (``weight_ih_l0``,
``weight_hh_l0``, ``bias_ih_l0``, ``bias_hh_l0``, ``weight_hr_l0`` with proj_size, ``_reverse``
for the second direction), so torch's state_dict loads as is. The math is one fused op per
layer and direction (Note [Recurrent sequence ops] in ops/rnn_ops.py); this file checks
arguments, lays inputs out, stacks layers and directions and applies dropout between layers.
"""
import math
import numbers
import warnings

from ..._errors import EmberRuntimeError
from ...ops import rnn_ops
from ...ops.creation import empty, zeros
from ...ops.shape import cat, stack
from .. import functional as F
from .. import init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .module import Module

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


class RNNBase(Module):
    """RNNBase(mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
    dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None).

    The shared base of RNN, LSTM and GRU (``mode``: 'RNN_TANH', 'RNN_RELU', 'LSTM', 'GRU'):
    parameters, argument checks and the layer loop.

    Example:
        >>> rnn = nn.RNNBase("GRU", input_size=3, hidden_size=4)
        >>> rnn
        RNNBase(3, 4)
        >>> [n for n, _ in rnn.named_parameters()]
        ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0']
        >>> isinstance(nn.LSTM(3, 4), nn.RNNBase)
        True
    """

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, proj_size=0, device=None,
                 dtype=None):
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout) if isinstance(dropout, numbers.Number) else dropout
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
                or not 0 <= dropout <= 1):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=2)
        for name, value in (("bias", bias), ("batch_first", batch_first)):
            if not isinstance(value, bool):
                raise TypeError(f"{name} should be of type bool, got: {type(value).__name__}")
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size)):
            if not isinstance(value, int):
                raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")
            if value <= 0:
                raise ValueError(f"{name} must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        directions = 2 if bidirectional else 1
        kw = {"device": device, "dtype": dtype}
        self._flat_weights_names = []
        self._all_weights = []
        self._layer_params = []       # (w_ih, w_hh, b_ih, b_hh, w_hr) names, None when absent
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else real_hidden * directions
            for direction in range(directions):
                sfx = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes = [("weight_ih" + sfx, (gate_size, layer_input)),
                          ("weight_hh" + sfx, (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih" + sfx, (gate_size,)), ("bias_hh" + sfx, (gate_size,))]
                if proj_size > 0:
                    shapes.append(("weight_hr" + sfx, (proj_size, hidden_size)))
                for name, shape in shapes:
                    setattr(self, name, Parameter(empty(shape, **kw)))
                names = [n for n, _ in shapes]
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
                self._layer_params.append(tuple(
                    n + sfx if n + sfx in names else None
                    for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")))
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def flatten_parameters(self):
        """A no-op kept for torch compatibility (cuDNN's weight packing)."""

    @property
    def _flat_weights(self):
        return [getattr(self, n, None) for n in self._flat_weights_names]

    @property
    def all_weights(self):
        """The parameters of each layer and direction, as lists."""
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # -- argument checks (torch's texts) ---------------------------------------------------------
    def check_input(self, input, batch_sizes):
        w = self._flat_weights[0]
        if input.dtype != w.dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype "
                             f"({w.dtype}). Convert input: input.to({w.dtype}), or convert "
                             f"model: model.to({input.dtype})")
        expected = 2 if batch_sizes is not None else 3
        if input.dim() != expected:
            raise EmberRuntimeError(f"input must have {expected} dimensions, got {input.dim()}")
        if self.input_size != input.shape[-1]:
            raise EmberRuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                                    f"{self.input_size}, got {input.shape[-1]}")

    def get_expected_hidden_size(self, input, batch_sizes):
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.shape[0] if self.batch_first else input.shape[1]
        directions = 2 if self.bidirectional else 1
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * directions, mini_batch, real_hidden)

    def check_hidden_size(self, hx, expected_hidden_size, msg="Expected hidden size {}, got {}"):
        if tuple(hx.shape) != tuple(expected_hidden_size):
            raise EmberRuntimeError(msg.format(expected_hidden_size, list(hx.shape)))

    def check_forward_args(self, input, hidden, batch_sizes):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return hx.index_select(1, permutation)

    # -- the computation ------------------------------------------------------------------------
    def _unpack_input(self, input):
        """(input, batch_sizes or None, sorted_indices, unsorted_indices, batched)."""
        if isinstance(input, PackedSequence):
            data, batch_sizes, sorted_indices, unsorted_indices = input
            return data, tuple(int(b) for b in batch_sizes.tolist()), sorted_indices, \
                unsorted_indices, True
        if input.dim() not in (2, 3):
            name = "RNN" if self.mode.startswith("RNN") else self.mode
            tail = " tensor instead" if name == "RNN" else " instead"
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D{tail}")
        batched = input.dim() == 3
        if not batched:
            input = input.unsqueeze(0 if self.batch_first else 1)
        return input, None, None, None, batched

    def _zeros_state(self, input, batch_sizes, size):
        directions = 2 if self.bidirectional else 1
        if batch_sizes is not None:
            batch = batch_sizes[0]
        else:
            batch = input.shape[0] if self.batch_first else input.shape[1]
        return zeros((self.num_layers * directions, batch, size), dtype=input.dtype)

    def _run(self, input, batch_sizes, hx, cx):
        """Stack the layers over ``input`` (packed data, or (T, B, *)/(B, T, *)); returns the
        last layer's outputs and the final states (L*D, B, *)."""
        directions = 2 if self.bidirectional else 1
        if batch_sizes is None:
            x = input.transpose(0, 1) if self.batch_first else input
            steps, batch = x.shape[0], x.shape[1]
            if steps == 0:
                raise EmberRuntimeError("Expected sequence length to be larger than 0 in RNN")
            if batch == 0:
                width = hx.shape[2] * directions
                out = zeros((steps, 0, width), dtype=input.dtype)
                return (out.transpose(0, 1) if self.batch_first else out), hx * 1, \
                    (None if cx is None else cx * 1)
            x = x.reshape((steps * batch, x.shape[2]))
        else:
            x = input
        h_n, c_n = [], []
        last = self.num_layers - 1
        for layer in range(self.num_layers):
            outs = []
            for d in range(directions):
                k = layer * directions + d
                w_ih, w_hh, b_ih, b_hh, w_hr = (None if n is None else getattr(self, n)
                                                for n in self._layer_params[k])
                h, hk, ck = rnn_ops.recurrent_layer(
                    self.mode, x, hx[k], None if cx is None else cx[k], w_ih, w_hh, b_ih, b_hh,
                    w_hr, batch_sizes, d == 1)
                outs.append(h)
                h_n.append(hk)
                c_n.append(ck)
            x = outs[0] if directions == 1 else cat(outs, 1)
            if layer < last and self.dropout > 0 and self.training:
                x = F.dropout(x, self.dropout, True)
        if batch_sizes is None:
            x = x.reshape((steps, batch, x.shape[1]))
            if self.batch_first:
                x = x.transpose(0, 1)
        return x, stack(h_n), (None if cx is None else stack(c_n))

    def _finish(self, out, orig, batched):
        if isinstance(orig, PackedSequence):
            return PackedSequence(out, orig.batch_sizes, orig.sorted_indices,
                                  orig.unsorted_indices)
        if not batched:
            return out.squeeze(0 if self.batch_first else 1)
        return out


class _SingleStateRNN(RNNBase):
    # RNN and GRU: one state tensor
    def forward(self, input, hx=None):
        orig = input
        input, batch_sizes, sorted_indices, unsorted_indices, batched = self._unpack_input(input)
        if batch_sizes is None and hx is not None:
            if not batched:
                if hx.dim() != 2:
                    raise EmberRuntimeError(f"For unbatched 2-D input, hx should also be "
                                            f"2-D but got {hx.dim()}-D tensor")
                hx = hx.unsqueeze(1)
            elif hx.dim() != 3:
                raise EmberRuntimeError(f"For batched 3-D input, hx should also be 3-D but "
                                        f"got {hx.dim()}-D tensor")
        if hx is None:
            hx = self._zeros_state(input, batch_sizes, self.hidden_size)
        else:
            hx = self.permute_hidden(hx, sorted_indices)
        self.check_forward_args(input, hx, batch_sizes)
        out, h_n, _ = self._run(input, batch_sizes, hx, None)
        out = self._finish(out, orig, batched)
        if isinstance(orig, PackedSequence):
            return out, self.permute_hidden(h_n, unsorted_indices)
        return out, (h_n if batched else h_n.squeeze(1))


class RNN(_SingleStateRNN):
    """RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None).

    Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or ReLU).
    ``forward(input, hx=None) -> (output, h_n)``; input (L, N, H_in) ((N, L, H_in) with
    batch_first), (L, H_in) unbatched, or a PackedSequence; h_n (D*num_layers, N, H_out).

    Shape:
        Input ``(L, N, H_in)``, ``(N, L, H_in)`` with ``batch_first=True``, or ``(L, H_in)``
        unbatched; h_0 and h_n ``(D * num_layers, N, H_out)`` with ``D = 2`` if bidirectional else
        1; output ``(L, N, D * H_out)``.

    Example::

        >>> rnn = nn.RNN(10, 20, num_layers=2)
        >>> output, h_n = rnn(torch.randn(5, 3, 10))
        >>> output.shape, h_n.shape
        (torch.Size([5, 3, 20]), torch.Size([2, 3, 20]))
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self_nl = args[3]
            args = args[:3] + args[4:]
        else:
            self_nl = kwargs.pop("nonlinearity", "tanh")
        if self_nl == "tanh":
            mode = "RNN_TANH"
        elif self_nl == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self_nl}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, *args, **kwargs)
        self.nonlinearity = self_nl


class GRU(_SingleStateRNN):
    """GRU(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False, device=None, dtype=None).

    r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h + b_hz),
    n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), h' = (1 - z) ⊙ n + z ⊙ h.
    ``forward(input, hx=None) -> (output, h_n)``.

    Shape:
        Input ``(L, N, H_in)``, ``(N, L, H_in)`` with ``batch_first=True``, or ``(L, H_in)``
        unbatched; h_0 and h_n ``(D * num_layers, N, H_out)`` with ``D = 2`` if bidirectional else
        1; output ``(L, N, D * H_out)``.

    Example::

        >>> gru = nn.GRU(10, 20, batch_first=True, bidirectional=True)
        >>> output, h_n = gru(torch.randn(3, 5, 10))
        >>> output.shape, h_n.shape
        (torch.Size([3, 5, 40]), torch.Size([2, 3, 20]))
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


class LSTM(RNNBase):
    """LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False, proj_size=0, device=None, dtype=None).

    Gates i, f, g, o (in that order in the weights); c' = f ⊙ c + i ⊙ g, h' = o ⊙ tanh(c'),
    projected by ``weight_hr`` when proj_size > 0.
    ``forward(input, hx=None) -> (output, (h_n, c_n))``.

    Args:
        input_size: features of each time step of the input.
        hidden_size: features of the hidden state h (and of the cell state c).
        num_layers: stacked LSTM layers, each reading the previous one's output.
        bias: use the biases ``b_ih`` and ``b_hh``.
        batch_first: inputs and outputs are ``(N, L, H)`` instead of ``(L, N, H)``.
        dropout: dropout on the outputs of every layer but the last (training only).
        bidirectional: also run each layer backwards in time and concatenate the two outputs.
        proj_size: project h to this size with ``weight_hr`` (0: no projection).

    Example::

        >>> lstm = ember.nn.LSTM(10, 20, num_layers=2)
        >>> out, (h, c) = lstm(ember.randn(5, 3, 10))
        >>> out.shape, h.shape
        (torch.Size([5, 3, 20]), torch.Size([2, 3, 20]))

    Shape:
        Input ``(L, N, H_in)``, ``(N, L, H_in)`` with ``batch_first=True``, or ``(L, H_in)``
        unbatched; h_0 and h_n ``(D * num_layers, N, H_out)`` with ``D = 2`` if bidirectional else
        1; output ``(L, N, D * H_out)``. c_0 and c_n have h_n's shape (with ``proj_size > 0`` h has
        ``proj_size`` features instead of ``hidden_size``).
    """

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def get_expected_cell_size(self, input, batch_sizes):
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.shape[0] if self.batch_first else input.shape[1]
        directions = 2 if self.bidirectional else 1
        return (self.num_layers * directions, mini_batch, self.hidden_size)

    def check_forward_args(self, input, hidden, batch_sizes):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden[0], self.get_expected_hidden_size(input, batch_sizes),
                               "Expected hidden[0] size {}, got {}")
        self.check_hidden_size(hidden[1], self.get_expected_cell_size(input, batch_sizes),
                               "Expected hidden[1] size {}, got {}")

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return hx[0].index_select(1, permutation), hx[1].index_select(1, permutation)

    def forward(self, input, hx=None):
        orig = input
        input, batch_sizes, sorted_indices, unsorted_indices, batched = self._unpack_input(input)
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        if hx is None:
            hx = (self._zeros_state(input, batch_sizes, real_hidden),
                  self._zeros_state(input, batch_sizes, self.hidden_size))
        else:
            if batch_sizes is None:
                if batched:
                    if hx[0].dim() != 3 or hx[1].dim() != 3:
                        raise EmberRuntimeError(
                            "For batched 3-D input, hx and cx should also be 3-D but got "
                            f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
                else:
                    if hx[0].dim() != 2 or hx[1].dim() != 2:
                        raise EmberRuntimeError(
                            "For unbatched 2-D input, hx and cx should also be 2-D but got "
                            f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
                    hx = (hx[0].unsqueeze(1), hx[1].unsqueeze(1))
            hx = self.permute_hidden(hx, sorted_indices)
        self.check_forward_args(input, hx, batch_sizes)
        out, h_n, c_n = self._run(input, batch_sizes, hx[0], hx[1])
        out = self._finish(out, orig, batched)
        if isinstance(orig, PackedSequence):
            return out, self.permute_hidden((h_n, c_n), unsorted_indices)
        if not batched:
            return out, (h_n.squeeze(1), c_n.squeeze(1))
        return out, (h_n, c_n)


# --- cells --------------------------------------------------------------------------------------
class RNNCellBase(Module):
    """RNNCellBase(input_size, hidden_size, bias, num_chunks, device=None, dtype=None): the
    parameters of a cell (``weight_ih`` (num_chunks*hidden, input), ``weight_hh``, biases).

    Example:
        >>> cell = nn.LSTMCell(3, 4)
        >>> isinstance(cell, nn.RNNCellBase), cell.weight_ih.shape
        (True, torch.Size([16, 3]))
    """

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(empty((num_chunks * hidden_size, input_size), **kw))
        self.weight_hh = Parameter(empty((num_chunks * hidden_size, hidden_size), **kw))
        if bias:
            self.bias_ih = Parameter(empty(num_chunks * hidden_size, **kw))
            self.bias_hh = Parameter(empty(num_chunks * hidden_size, **kw))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += f", bias={self.bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _batch_input(self, name, input, hx, what="hidden"):
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D "
                             "instead")
        if hx is not None and hx.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected {what} to be 1D or 2D, got {hx.dim()}D instead")
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
        if hx is None:
            hx = zeros((input.shape[0], self.hidden_size), dtype=input.dtype)
        elif not batched:
            hx = hx.unsqueeze(0)
        return input, hx, batched


class RNNCell(RNNCellBase):
    """RNNCell(input_size, hidden_size, bias=True, nonlinearity='tanh', device=None,
    dtype=None): h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or ReLU).

    Shape:
        Input ``(N, H_in)`` or ``(H_in)``; hidden and output ``(N, H_out)`` or ``(H_out)``.

    Example::

        >>> cell = nn.RNNCell(10, 20)
        >>> h = torch.zeros(3, 20)
        >>> for x in torch.randn(6, 3, 10):
        ...     h = cell(x, h)
        ...
        >>> h.shape
        torch.Size([3, 20])
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        super().__init__(input_size, hidden_size, bias, 1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        input, hx, batched = self._batch_input("RNNCell", input, hx)
        if self.nonlinearity == "tanh":
            fn = rnn_ops.rnn_tanh_cell
        elif self.nonlinearity == "relu":
            fn = rnn_ops.rnn_relu_cell
        else:
            raise EmberRuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        h = fn(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """LSTMCell(input_size, hidden_size, bias=True, device=None, dtype=None):
    ``forward(input, (h, c)=None) -> (h', c')``, gates i, f, g, o.

    Shape:
        Input ``(N, H_in)`` or ``(H_in)``; h and c ``(N, H_out)`` or ``(H_out)``.

    Example::

        >>> cell = nn.LSTMCell(10, 20)
        >>> h, c = cell(torch.randn(3, 10))
        >>> h.shape, c.shape
        (torch.Size([3, 20]), torch.Size([3, 20]))
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        if input.dim() not in (1, 2):
            raise ValueError(f"LSTMCell: Expected input to be 1D or 2D, got {input.dim()}D "
                             "instead")
        if hx is not None:
            for idx, value in enumerate(hx):
                if value.dim() not in (1, 2):
                    raise ValueError(f"LSTMCell: Expected hx[{idx}] to be 1D or 2D, got "
                                     f"{value.dim()}D instead")
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
        if hx is None:
            z = zeros((input.shape[0], self.hidden_size), dtype=input.dtype)
            hx = (z, z)
        elif not batched:
            hx = (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
        h, c = rnn_ops.lstm_cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih,
                                 self.bias_hh)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """GRUCell(input_size, hidden_size, bias=True, device=None, dtype=None): one GRU step,
    gates r, z, n with b_hn inside r ⊙ (W_hn h + b_hn).

    Shape:
        Input ``(N, H_in)`` or ``(H_in)``; hidden and output ``(N, H_out)`` or ``(H_out)``.

    Example::

        >>> cell = nn.GRUCell(10, 20)
        >>> cell(torch.randn(3, 10)).shape
        torch.Size([3, 20])
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        input, hx, batched = self._batch_input("GRUCell", input, hx)
        h = rnn_ops.gru_cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih,
                             self.bias_hh)
        return h if batched else h.squeeze(0)
