"""ember.onnx.export: exported models run in onnxruntime with ember's outputs (1e-5), at the
export batch size and at another one through a dynamic axis; atomic writes; clear errors."""
import io
import os
import subprocess
import sys

import numpy as np
import pytest

import ember as torch
from ember import nn

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

TOL = {"rtol": 1e-5, "atol": 1e-5}


def _session(path_or_bytes):
    return ort.InferenceSession(path_or_bytes, providers=["CPUExecutionProvider"])


def _outputs(result):
    if isinstance(result, torch.Tensor):
        return [result]
    out = []
    for r in result:
        out.extend(_outputs(r))
    return out


def roundtrip(tmp_path, model, example, others, names, batch_axis=0, opset=None):
    """Export ``model`` with a dynamic batch axis, check the file, and compare onnxruntime with
    ember on ``example`` and on each input tuple in ``others``."""
    model.eval()
    path = tmp_path / "model.onnx"
    dyn = {n: {batch_axis: "batch"} for n in names}
    dyn["output"] = {batch_axis: "batch"}
    torch.onnx.export(model, example, path, input_names=list(names), output_names=["output"],
                      dynamic_axes=dyn, opset_version=opset)
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    graph_in = {i.name: i for i in proto.graph.input}
    assert graph_in[names[0]].type.tensor_type.shape.dim[batch_axis].dim_param == "batch"
    assert proto.graph.output[0].type.tensor_type.shape.dim[batch_axis].dim_param == "batch"
    sess = _session(str(path))
    batches = set()
    for args in [example, *others]:
        args = args if isinstance(args, tuple) else (args,)
        batches.add(args[0].shape[batch_axis])
        with torch.no_grad():
            want = _outputs(model(*args))
        got = sess.run(None, {n: a.numpy() for n, a in zip(names, args)})
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert g.shape == tuple(w.shape)
            np.testing.assert_allclose(g, w.numpy(), **TOL)
    assert len(batches) > 1, "the test must exercise another batch size"
    return proto


# -- the four models of the issue ------------------------------------------------------------------

def test_mlp(tmp_path):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(),
                          nn.Linear(32, 4))
    roundtrip(tmp_path, model, torch.randn(3, 10), [torch.randn(7, 10), torch.randn(1, 10)],
              ["input"])


def test_cnn(tmp_path):
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 8, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
        nn.MaxPool2d(3, stride=2, padding=1), nn.Flatten(), nn.Linear(8 * 2 * 2, 10))
    # non-trivial running statistics, so eval-mode batch norm is really exercised
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(4, 3, 16, 16) * 2 + 1)
    proto = roundtrip(tmp_path, model, torch.randn(2, 3, 16, 16), [torch.randn(5, 3, 16, 16)],
                      ["input"])
    ops = {n.op_type for n in proto.graph.node}
    assert {"Conv", "MaxPool", "Gemm"} <= ops


class LSTMClassifier(nn.Module):
    def __init__(self, vocab=20, emb=8, hidden=16, classes=3, **kw):
        super().__init__()
        self.emb = nn.Embedding(vocab, emb)
        self.lstm = nn.LSTM(emb, hidden, batch_first=True, **kw)
        self.fc = nn.Linear(hidden * (2 if kw.get("bidirectional") else 1), classes)

    def forward(self, tokens):
        out, _ = self.lstm(self.emb(tokens))
        return self.fc(out[:, -1])


def test_lstm(tmp_path):
    torch.manual_seed(0)
    model = LSTMClassifier()
    proto = roundtrip(tmp_path, model, torch.randint(0, 20, (2, 6)),
                      [torch.randint(0, 20, (5, 6))], ["input"])
    assert "LSTM" in {n.op_type for n in proto.graph.node}


def test_lstm_stacked_bidirectional(tmp_path):
    torch.manual_seed(0)
    model = LSTMClassifier(num_layers=2, bidirectional=True)
    roundtrip(tmp_path, model, torch.randint(0, 20, (3, 5)), [torch.randint(0, 20, (4, 5))],
              ["input"])


def test_lstm_initial_state_sequence_first(tmp_path):
    torch.manual_seed(0)

    class WithState(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(6, 5, num_layers=2)

        def forward(self, x, h, c):
            return self.lstm(x, (h, c))

    def inputs(b):
        return torch.randn(4, b, 6), torch.randn(2, b, 5), torch.randn(2, b, 5)
    roundtrip(tmp_path, WithState(), inputs(2), [inputs(3)], ["x", "h", "c"], batch_axis=1)


def test_transformer_encoder(tmp_path):
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(d_model=32, nhead=4, dim_feedforward=64, batch_first=True,
                                       dropout=0.0)
    model = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
    proto = roundtrip(tmp_path, model, torch.randn(2, 7, 32), [torch.randn(5, 7, 32)],
                      ["input"])
    ops = {n.op_type for n in proto.graph.node}
    assert {"MatMul", "Softmax", "LayerNormalization"} <= ops


def test_transformer_encoder_masks(tmp_path):
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0, batch_first=True)
    encoder = nn.TransformerEncoder(layer, 1, enable_nested_tensor=False)
    causal = torch.ones(5, 5, dtype=torch.bool).triu(1)      # True: may not attend

    class Masked(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = encoder

        def forward(self, x, pad):
            return self.encoder(x, mask=causal, src_key_padding_mask=pad)

    def inputs(b):
        pad = torch.zeros(b, 5, dtype=torch.bool)
        pad[0, 3:] = True
        return torch.randn(b, 5, 16), pad
    roundtrip(tmp_path, Masked(), inputs(2), [inputs(3)], ["x", "pad"])


# -- more ops -------------------------------------------------------------------------------------

def test_assorted_layers(tmp_path):
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.AvgPool2d(2), nn.Conv2d(3, 6, 3, padding=1, groups=3, dilation=1),
        nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False), nn.Flatten(),
        nn.LayerNorm(96), nn.GELU(), nn.Linear(96, 12), nn.Tanh(), nn.Dropout(0.5),
        nn.Linear(12, 12), nn.Sigmoid(), nn.GELU(approximate="tanh"), nn.SiLU(),
        nn.LeakyReLU(0.1), nn.ELU(), nn.Softmax(dim=1), nn.LogSoftmax(dim=-1))
    roundtrip(tmp_path, model, torch.randn(2, 3, 8, 8), [torch.randn(3, 3, 8, 8)], ["input"],
              opset=18)


def test_conv1d_batchnorm1d(tmp_path):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv1d(3, 4, 3, stride=2, padding=1), nn.BatchNorm1d(4), nn.ReLU(),
                          nn.MaxPool1d(2))
    roundtrip(tmp_path, model, torch.randn(2, 3, 9), [torch.randn(4, 3, 9)], ["input"])


def test_tensor_ops_and_several_outputs(tmp_path):
    class Ops(nn.Module):
        def forward(self, x):
            y = x.permute(0, 2, 1).unsqueeze(1).squeeze(1)
            z = torch.cat([y, y * 2], dim=-1)
            a = (z[:, 1:3] - 1) / 2 + z.mean(-1, keepdim=True)[:, :2]
            b = torch.stack([x, x.exp(), x.pow(2), x.abs().sqrt(), x.clamp(0, 1),
                             x.masked_fill(x > 0, 0.5), torch.where(x > 0, x, 0.0)], 1)
            c = (x @ x.mT).reshape(x.size(0), -1)
            return a.sum(1), b.flatten(2).amax(-1), c, x[:, 0]

    torch.manual_seed(0)
    model = Ops()
    x = torch.randn(2, 3, 4)
    path = tmp_path / "ops.onnx"
    names = ["a", "b", "c", "d"]
    torch.onnx.export(model, (x,), path, input_names=["x"], output_names=names,
                      dynamic_axes={"x": {0: "n"}, **{k: {0: "n"} for k in names}})
    sess = _session(str(path))
    for b in (2, 5):
        x = torch.randn(b, 3, 4)
        got = sess.run(None, {"x": x.numpy()})
        for g, w in zip(got, model(x)):
            np.testing.assert_allclose(g, w.numpy(), **TOL)


def test_static_shapes_without_dynamic_axes():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
    x = torch.randn(2, 4)
    proto = torch.onnx.export(model, x, None)
    dims = [d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim]
    assert dims == [2, 4]
    assert proto.graph.input[0].name == "input"
    got = _session(proto.SerializeToString()).run(None, {"input": x.numpy()})[0]
    np.testing.assert_allclose(got, model(x).detach().numpy(), **TOL)


def test_exports_in_eval_mode_and_restores_training_flags():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5), nn.BatchNorm1d(4))
    model.train()
    x = torch.randn(3, 4)
    proto = torch.onnx.export(model, x, None)
    assert model.training and all(m.training for m in model.modules())
    assert "Dropout" not in {n.op_type for n in proto.graph.node}
    model.eval()
    got = _session(proto.SerializeToString()).run(None, {"input": x.numpy()})[0]
    np.testing.assert_allclose(got, model(x).detach().numpy(), **TOL)


def test_file_object_and_list_dynamic_axes():
    model = nn.Linear(4, 2)
    buf = io.BytesIO()
    torch.onnx.export(model, (torch.randn(3, 4),), buf, input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": [0], "y": [0]})
    proto = onnx.load_from_string(buf.getvalue())
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param
    x = torch.randn(6, 4)
    got = _session(buf.getvalue()).run(None, {"x": x.numpy()})[0]
    np.testing.assert_allclose(got, model(x).detach().numpy(), **TOL)


# -- writing, errors, the optional dependency ---------------------------------------------------------

def test_write_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "m.onnx"
    path.write_bytes(b"old")
    model = nn.Linear(3, 2)

    def boom(src, dst):
        raise OSError("disk full")
    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        torch.onnx.export(model, torch.randn(1, 3), path)
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx"]   # no temp file left
    monkeypatch.undo()
    torch.onnx.export(model, torch.randn(1, 3), str(path))
    onnx.checker.check_model(onnx.load(str(path)))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx"]


def test_failed_export_writes_nothing(tmp_path):
    class Bad(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x):
            return self.fc(x).cumsum(1)
    with pytest.raises(torch.onnx.UnsupportedOperatorError) as info:
        torch.onnx.export(Bad(), torch.randn(2, 4), tmp_path / "bad.onnx")
    assert "cumsum" in str(info.value) and "Bad" in str(info.value)
    assert not list(tmp_path.iterdir())


def test_unsupported_op_names_the_module():
    class Inner(nn.Module):
        def forward(self, x):
            return x.cumsum(-1)
    model = nn.Sequential(nn.Linear(4, 4), Inner())
    with pytest.raises(torch.onnx.UnsupportedOperatorError,
                       match=r"op 'cumsum' \(in module '1', Inner\)"):
        torch.onnx.export(model, torch.randn(2, 4), io.BytesIO())
    assert isinstance(torch.onnx.UnsupportedOperatorError("x"), RuntimeError)


def test_batch_dependent_constant_is_an_error():
    class Z(nn.Module):
        def forward(self, x):
            return x + torch.zeros(x.shape[0], 4)
    with pytest.raises(torch.onnx.OnnxExporterError, match="dynamic axis"):
        torch.onnx.export(Z(), torch.randn(2, 4), io.BytesIO(), input_names=["x"],
                          dynamic_axes={"x": {0: "batch"}})
    # without dynamic axes the constant is fine
    torch.onnx.export(Z(), torch.randn(2, 4), io.BytesIO())


def test_bad_arguments():
    model = nn.Linear(2, 2)
    with pytest.raises(ValueError, match="opset_version"):
        torch.onnx.export(model, torch.randn(1, 2), io.BytesIO(), opset_version=9)
    with pytest.raises(ValueError, match="input_names"):
        torch.onnx.export(model, torch.randn(1, 2), io.BytesIO(), input_names=["a", "b"])
    with pytest.warns(UserWarning, match="not a valid input/output name"):
        torch.onnx.export(model, torch.randn(1, 2), io.BytesIO(), input_names=["a"],
                          dynamic_axes={"nope": {0: "b"}})


def test_missing_onnx_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)      # makes `import onnx` raise ImportError
    with pytest.raises(ModuleNotFoundError, match=r"pip install ember\[onnx\]"):
        torch.onnx.export(nn.Linear(2, 2), torch.randn(1, 2), io.BytesIO())


def test_import_ember_does_not_import_onnx():
    code = "import sys, ember; ember.onnx.export; assert 'onnx' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
