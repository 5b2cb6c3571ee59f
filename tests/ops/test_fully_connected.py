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
    return int8_tflite(build, [shape], seed=seed, n_calib=16, per_channel=False)


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


# (input, weights, output scale): in * w / out is a short decimal (0.01 for the first, the
# streaming SVDF keyword spotter's FULLY_CONNECTED), so some accumulators land on an exact .5 of
# the real arithmetic; the float32 product in * w and the double product give multipliers on
# either side of it. Shifts -6 and -3 (the SMLAD and scalar short forms), -1 and +2 (their
# general forms); the float32 product is above the double one for three, below for one.
TIE_SCALES = [(0.05, 0.02, 0.1), (0.3, 0.1, 0.3), (0.15, 0.005, 0.003), (0.7, 0.06, 0.02)]
TIE_TARGETS = [("generic", ("-O2",)), ("host", ("-O2",)), ("host", ("-O3", "-march=native")),
               ("cortex-m4", ("-O2",)), ("cortex-m3", ("-O2",)),
               ("cortex-m3", ("-O2", "-DTCM_SCALAR_PIXELS=1", "-DTCM_SCALAR_NO_MUL64")),
               ("cortex-m55", ("-O2",))]


def _tie_model(sx: float, sw: float, sy: float, bias: bool) -> bytes:
    """x [256, 1] (every int8 value once, zero point -3) -> 8 units of weights 1 .. 127."""
    import numpy as np
    from tests.stateful._build import ModelBuilder
    m = ModelBuilder()
    m.tensor("x", (256, 1), "int8", sx, -3)
    m.tensor("w", (8, 1), "int8", sw, 0, np.array([[1], [2], [3], [5], [10], [25], [50], [127]]))
    inputs = ["x", "w", None]
    if bias:
        inputs[2] = m.tensor("b", (8,), "int32", np.float32(sx) * np.float32(sw), 0,
                             np.array([1000, -700, 333, -2000, 5, 150, -5001, 77]))
    m.tensor("y", (256, 8), "int8", sy, 4)
    m.op("FULLY_CONNECTED", inputs, ["y"], m.s.FullyConnectedOptionsT(),
         "FullyConnectedOptions", version=4)
    return m.bytes(["x"], ["y"])


@pytest.mark.parametrize("scales", TIE_SCALES, ids=lambda s: "_".join(map(str, s)))
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
def test_fully_connected_multiplier_ties(scales, bias, tmp_path):
    """Per-tensor weights: BUILTIN_REF's multiplier is QuantizeMultiplier of in * w / out in
    double (a 1-LSB difference at the ties otherwise), on every kernel variant, each output."""
    import numpy as np
    from tinycc_ml import quant
    from tinycc_ml.reference import TFLiteReference
    path = write_model(_tie_model(*scales, bias), tmp_path)
    ref = TFLiteReference(path)
    x = np.arange(-128, 128, dtype=np.int8).reshape(256, 1)
    want = ref.run([x])[0]
    # the case reaches a tie: the float32-product multiplier, single rounding, differs somewhere
    m32, s32 = quant.per_tensor_conv_multiplier(*(float(np.float32(v)) for v in scales))
    w = np.array([1, 2, 3, 5, 10, 25, 50, 127], np.int64)
    b = np.array([1000, -700, 333, -2000, 5, 150, -5001, 77], np.int64) * bias
    acc = (x.astype(np.int64) + 3) * w + b
    n = 31 - s32
    f32_way = np.clip(((acc * m32 + (1 << (n - 1))) >> n) + 4, -128, 127)
    assert np.any(f32_way != want), "no tie reached: the case would not see the multiplier"
    for target, cflags in TIE_TARGETS:
        host = compile_and_build(path, target=target, cflags=cflags)
        np.testing.assert_array_equal(host.run([x])[0].reshape(want.shape), want,
                                      err_msg=f"{target} {' '.join(cflags)}")
