"""FULLY_CONNECTED against TFLite BUILTIN_REF: Keras Dense layers, converted to full int8."""

from __future__ import annotations

import pytest

from tests.util import assert_bitexact, compile_and_build, int8_tflite, tf, write_model
from tests.ops._conv_edits import check_scalar_builds

CASES = {
    # id: (input shape without batch, units per layer, activation, per-channel weights)
    "d20_to7_relu_to5": ((20,), (7, 5), "relu", True),
    "d1_to1": ((1,), (1,), None, False),  # one unit: one scale, per-tensor by nature
    "d64_to12_none": ((64,), (12,), None, True),
    "d300_to33_relu6": ((300,), (33,), "relu6", True),
    "d17_to9_tanh_free_relu_n1": ((17,), (9,), None, False),
    "per_tensor_d40_to16_relu": ((40,), (16, 4), "relu", False),
    # Dense on [5, 8]: Keras 3's Tensordot computes shapes at run time (folded at compile time)
    "seq5x8_to6_relu_tensordot": ((5, 8), (6,), "relu", True),
    # host kernel paths: blocks of 8 units (VNNI), of 4, single units; depth not a multiple of 32
    "d100_to28_relu": ((100,), (28,), "relu", True),
    "per_tensor_seq3x40_to19_relu": ((3, 40), (19,), "relu", False),
}


def _assert_native_bitexact(path):
    """The default builds run tcm_fc.c's portable C (TFLite's reference loop); --target host
    runs tcm_fc_host.c: its C paths at -O2, and at -O3 -march=native on an x86 CPU with VNNI its
    intrinsics path (blocks of 8 units, vector requantization)."""
    assert_bitexact(path, n=5, target="host")
    assert_bitexact(path, n=10, cflags=("-O3", "-march=native"), target="host")


def _model(shape, units, act):
    def build():
        keras = tf().keras
        x = inp = keras.Input(shape)
        for u in units:
            x = keras.layers.Dense(u, activation=act, bias_initializer="random_normal",
                                   kernel_initializer="glorot_uniform")(x)
        return keras.Model(inp, x)
    return build


def _convert(build, shape, per_channel, seed):
    if per_channel:
        return int8_tflite(build, [shape], seed=seed)
    t = tf()
    import numpy as np
    t.keras.utils.set_random_seed(seed)
    model = build()
    rng = np.random.default_rng(seed)
    conv = t.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [t.lite.Optimize.DEFAULT]
    conv.representative_dataset = lambda: ([rng.uniform(-1, 1, (1,) + shape).astype(np.float32)]
                                           for _ in range(16))
    conv.target_spec.supported_ops = [t.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = t.int8
    conv.inference_output_type = t.int8
    conv._experimental_disable_per_channel = True  # per-tensor weight scales
    conv._experimental_disable_per_channel_quantization_for_dense_layers = True
    return conv.convert()


@pytest.mark.parametrize("case", sorted(CASES))
def test_fully_connected_bitexact(case, tmp_path):
    shape, units, act, per_channel = CASES[case]
    data = _convert(_model(shape, units, act), shape, per_channel, seed=len(case))
    path = write_model(data, tmp_path)
    from tinycc_ml.frontends import load
    g = load(path)
    kinds = {op.kind for op in g.ops}
    assert "FULLY_CONNECTED" in kinds
    fc = [op for op in g.ops if op.kind == "FULLY_CONNECTED"]
    assert any(len(op.inputs) > 2 and op.inputs[2] for op in fc) or any(
        op.kind == "ADD" for op in g.ops), "the case should carry a bias"
    assert any(g.tensor(op.inputs[1]).per_channel for op in fc) == per_channel
    assert_bitexact(path, n=30)
    _assert_native_bitexact(path)
    # the Cortex-M SMLAD kernel, built on the host (tcm_dsp.h emulates the DSP instructions)
    assert_bitexact(path, n=10, host=compile_and_build(path, target="cortex-m4"))
    check_scalar_builds(path, seed=len(case))


def _with_multiplier(data: bytes, multiplier: float) -> bytes:
    """The last FULLY_CONNECTED's output scale set so that its effective requantization
    multiplier (input scale * weight scale / output scale) is `multiplier`."""
    import numpy as np
    from tests.cli.tflite_edit import edit

    def change(model):
        sg = model.subgraphs[0]
        op = sg.operators[-1]
        x, w, y = (sg.tensors[op.inputs[0]], sg.tensors[op.inputs[1]], sg.tensors[op.outputs[0]])
        scale = float(x.quantization.scale[0]) * float(w.quantization.scale[0]) / multiplier
        y.quantization.scale = np.array([scale], np.float32)
    return edit(data, change)


# multiplier -> requantization shift: 0.2 -> -2 (the SMLAD kernel's short form, at its edge),
# 0.4 -> -1 and 3.0 -> +2 (its general form)
@pytest.mark.parametrize("multiplier", [0.2, 0.4, 3.0])
def test_fully_connected_shift_edges(multiplier, tmp_path):
    shape, units, act, _ = CASES["per_tensor_d40_to16_relu"]
    data = _with_multiplier(_convert(_model(shape, units, act), shape, False, seed=3), multiplier)
    path = write_model(data, tmp_path)
    from tinycc_ml.frontends import load
    from tinycc_ml.ops import fully_connected
    g = load(path)
    op = [op for op in g.ops if op.kind == "FULLY_CONNECTED"][-1]
    shift = int(fully_connected.FullyConnected().prepare(op, g).rq.shift[0])
    assert shift == {0.2: -2, 0.4: -1, 3.0: 2}[multiplier]
    assert_bitexact(path, n=10)
    _assert_native_bitexact(path)
    assert_bitexact(path, n=10, host=compile_and_build(path, target="cortex-m4"))
    check_scalar_builds(path, seed=3)   # the scalar short form at its edge (shift -2) too
