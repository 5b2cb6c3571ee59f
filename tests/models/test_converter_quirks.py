"""What real models from other converters contain, reproduced on small Keras models.

Found by compiling the public models of tensorflow/tflite-micro (person_detect, micro_speech,
hello_world, keyword_scrambled, the LSTM examples) by hand: each quirk below made tinycc-ml
refuse a model it can compile, or refuse it for the wrong reason.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from tests.cli.tflite_edit import edit, schema
from tests.util import assert_bitexact, int8_tflite, keras, tf, write_model


def _conv_model() -> bytes:
    def build():
        k = keras()
        x = k.Input((8, 8, 3))
        y = k.layers.Conv2D(6, 3, padding="same", activation="relu")(x)
        y = k.layers.DepthwiseConv2D(3, padding="same")(y)
        return k.Model(x, y)
    return int8_tflite(build, [(8, 8, 3)], seed=3)


def _bias_axis_3(model) -> int:
    """Give every 1-D per-channel tensor (the biases) quantized_dimension 3, as the converter
    that wrote TFLite Micro's person_detect.tflite did; returns how many were changed."""
    changed = 0
    for t in model.subgraphs[0].tensors:
        q = t.quantization
        if q is not None and q.scale is not None and len(q.scale) > 1 and len(t.shape) == 1:
            q.quantizedDimension = 3
            changed += 1
    return changed


def test_per_channel_bias_with_the_filters_axis(tmp_path):
    counted = []
    data = edit(_conv_model(), lambda m: counted.append(_bias_axis_3(m)))
    assert counted[0] == 2
    path = write_model(data, tmp_path)
    # TF 2.x itself refuses the file as written...
    with pytest.raises(ValueError, match="quantized_dimension"):
        tf().lite.Interpreter(model_content=data).allocate_tensors()
    # ...tinycc-ml compiles it (TFLite Micro runs it) and verify compares with the interpreter
    # given the same numbers with the unread field set to 0
    assert_bitexact(path, n=10)
    proc = subprocess.run([sys.executable, "-m", "tinycc_ml", "verify", str(path), "--inputs", "3"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "BIT-EXACT" in proc.stdout


def test_unsupported_stateful_op_is_named_first(tmp_path):
    """An LSTM/SVDF reads variable (state) tensors that no op writes; the error must name the op
    as unsupported, not call the graph out of order."""
    s = schema()

    def change(model):
        sg = model.subgraphs[0]
        state = s.TensorT()
        state.shape = np.array([1, 4], np.int32)
        state.type = s.TensorType.INT8
        state.name = b"lstm_state"
        state.isVariable = True
        state.buffer = 0
        sg.tensors.append(state)
        code = s.OperatorCodeT()
        code.builtinCode = code.deprecatedBuiltinCode = s.BuiltinOperator.SVDF
        code.version = 1
        model.operatorCodes.append(code)
        op = s.OperatorT()
        op.opcodeIndex = len(model.operatorCodes) - 1
        op.inputs = np.array([sg.operators[-1].outputs[0], len(sg.tensors) - 1], np.int32)
        op.outputs = np.array([len(sg.tensors) - 1], np.int32)
        sg.operators.append(op)
    path = write_model(edit(_conv_model(), change), tmp_path)
    proc = subprocess.run([sys.executable, "-m", "tinycc_ml", "compile", str(path), "-o",
                           str(tmp_path / "out")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    # SVDF is supported now: this one writes its own state input, which is named as such
    assert len(lines) == 1 and "(SVDF" in lines[0] and "execution order" not in lines[0], lines
    assert "written twice" in lines[0] or "not supported" in lines[0], lines
    assert not (tmp_path / "out").exists()


def test_reference_refusal_is_one_line(tmp_path, monkeypatch, capsys):
    """When TFLite's interpreter cannot load a model tinycc-ml compiles, verify says so in one
    line (exit 2), without a traceback: here the interpreter gets the quirky bytes unpatched."""
    from tinycc_ml import cli, reference
    path = write_model(edit(_conv_model(), _bias_axis_3), tmp_path)
    monkeypatch.setattr(reference, "accepted_by_tflite", lambda data: data)
    assert cli.main(["verify", str(path), "--inputs", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {path.name}: TFLite's reference "
                                               "interpreter refuses the model"), err
