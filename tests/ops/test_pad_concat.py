"""PAD, PADV2 and CONCATENATION against TFLite BUILTIN_REF: Keras ZeroPadding1D/2D/3D,
keras.ops.pad (with constant values: PADV2), Concatenate of branches along each axis, a constant
input; the C contract; bad input."""

from __future__ import annotations

import numpy as np
import pytest

from tests.ops._c_contract import assert_c_contract, compile_error
from tests.ops._tflite_edit import set_data, set_quant
from tests.util import single_layer, assert_bitexact, check_keras, int8_tflite, keras, tf, write_model
from tinycc_ml.errors import CompileError
from tinycc_ml.frontends.tflite import read
from tinycc_ml.reference import TFLiteReference, random_inputs


PADS = {
    "zeropad2d_hw": ((5, 7, 3), lambda k, x: k.layers.ZeroPadding2D(((1, 2), (0, 1)))(x), "PAD"),
    "zeropad2d_sym": ((4, 4, 8), lambda k, x: k.layers.ZeroPadding2D(1)(x), "PAD"),
    "zeropad1d": ((6, 3), lambda k, x: k.layers.ZeroPadding1D((2, 1))(x), "PAD"),
    "zeropad3d_rank5": ((3, 4, 2, 2),
                        lambda k, x: k.layers.ZeroPadding3D(((1, 0), (0, 2), (1, 1)))(x), "PAD"),
    "pad_channels": ((3, 4, 5), lambda k, x: k.ops.pad(x, ((0, 0), (1, 1), (0, 0), (2, 1))),
                     "PAD"),
    "pad_rank3_last": ((3, 4), lambda k, x: k.ops.pad(x, ((0, 0), (1, 0), (0, 3))), "PAD"),
    "padv2_constant": ((3, 4, 5), lambda k, x: k.ops.pad(x, ((0, 0), (1, 0), (2, 3), (0, 0)),
                                                         constant_values=0.25), "PADV2"),
}


@pytest.mark.parametrize("case", sorted(PADS))
def test_pad_bitexact(case, tmp_path):
    shape, fn, kind = PADS[case]
    check_keras(single_layer(shape, fn), [shape], tmp_path, n=5, expect_kinds=[kind])


def test_pad_output_quantization_differs(tmp_path):
    """TFLite copies the input bytes as they are and pads with the output zero point."""
    shape, fn, _ = PADS["zeropad2d_hw"]
    data = int8_tflite(single_layer(shape, fn), [shape])
    op = read(data, "m").ops[0]
    path = write_model(set_quant(data, op.outputs[0], 0.05, 17), tmp_path)
    assert_bitexact(path, n=5)


def _branches(shape, axis, n_branches=2):
    """Convolutions with different channel counts (or one reshaped), concatenated on `axis`."""
    def build():
        k = keras()
        inp = k.Input(shape)
        parts = [k.layers.Conv2D(3 + 2 * i, 1 + 2 * (i % 2), padding="same")(inp)
                 for i in range(n_branches)]
        if axis != -1:
            parts = [k.layers.Conv2D(4, 1)(p) for p in parts]
        return k.Model(inp, k.layers.Concatenate(axis=axis)(parts))
    return build


@pytest.mark.parametrize("axis,n", [(-1, 2), (-1, 3), (1, 2), (2, 3)],
                         ids=["channels_2", "channels_3", "height", "width_3"])
def test_concatenate_branches(axis, n, tmp_path):
    check_keras(_branches((6, 5, 4), axis, n), [(6, 5, 4)], tmp_path, n=5,
                expect_kinds=["CONCATENATION"])


def test_concatenate_two_inputs_and_a_constant(tmp_path):
    def build():
        k = keras()
        t = tf()
        a, b = k.Input((4, 3)), k.Input((4, 5))
        c = np.linspace(-1, 1, 8, dtype=np.float32).reshape(1, 4, 2)
        return k.Model([a, b], k.layers.Lambda(
            lambda ts: t.concat([ts[0], ts[1], t.constant(c)], axis=-1))([a, b]))
    path = check_keras(build, [(4, 3), (4, 5)], tmp_path, n=5, expect_kinds=["CONCATENATION"])
    g = read(path.read_bytes(), "m")
    assert [g.tensor(t).is_const for t in g.ops[-1].inputs] == [False, False, True]


def test_pad_concat_c_contract(tmp_path):
    """ZeroPadding2D and a concatenation in one model: strict builds, ASan + UBSan."""
    def build():
        k = keras()
        inp = k.Input((5, 5, 3))
        x = k.layers.ZeroPadding2D(((1, 0), (2, 1)))(inp)
        a = k.layers.Conv2D(4, 3)(x)
        b = k.layers.Conv2D(2, 3)(x)
        return k.Model(inp, k.layers.Concatenate()([a, b]))
    path = check_keras(build, [(5, 5, 3)], tmp_path, n=3, expect_kinds=["PAD", "CONCATENATION"])
    assert_c_contract(path, random_inputs([((1, 5, 5, 3), np.int8)], np.random.default_rng(4)),
                      tmp_path)


# --- bad input --------------------------------------------------------------------------------

def test_concatenate_different_scales_rejected(tmp_path):
    """TFLite's int8 CONCATENATION does not rescale; its Prepare fails, so does the compiler."""
    def build():
        k = keras()
        a, b = k.Input((4, 3)), k.Input((4, 5))
        return k.Model([a, b], k.layers.Concatenate()([a, b]))
    data = int8_tflite(build, [(4, 3), (4, 5)])
    op = read(data, "m").ops[0]
    bad = write_model(set_quant(data, op.inputs[1], 0.05, 3), tmp_path, "bad.tflite")
    with pytest.raises(CompileError, match="reference interpreter refuses.*scale"):
        TFLiteReference(bad)
    msg = compile_error(bad.read_bytes(), tmp_path)
    assert msg.startswith(f"bad.tflite: op 0 (CONCATENATION '{op.name}'): input 1 ")
    assert "does not rescale" in msg


def test_pad_negative_padding_rejected(tmp_path):
    shape, fn, _ = PADS["zeropad2d_hw"]
    data = int8_tflite(single_layer(shape, fn), [shape])
    op = read(data, "m").ops[0]
    pads = np.array([[0, 0], [1, 2], [-1, 1], [0, 0]], np.int32)
    msg = compile_error(set_data(data, op.inputs[1], pads), tmp_path)
    assert msg.endswith("paddings [[0, 0], [1, 2], [-1, 1], [0, 0]] are negative")


def test_pad_batch_axis_shape_mismatch(tmp_path):
    """Keras pads the batch axis of a [None, 3, 4] input; the converted file keeps the output
    [1, 4, 4] (TFLite resizes at run time). The compiler trusts no such shape."""
    data = int8_tflite(single_layer((3, 4), lambda k, x: k.ops.pad(x, ((1, 1), (1, 0), (0, 0)))),
                       [(3, 4)])
    msg = compile_error(data, tmp_path)
    assert msg.endswith("output shape [1, 4, 4] is not the padded shape [3, 4, 4]")


def test_padv2_constant_quantization_must_match(tmp_path):
    """pad.cc EvalInt ENSUREs it (TFLite 2.21's Python invoke() then returns without raising,
    the padding left unwritten)."""
    shape, fn, _ = PADS["padv2_constant"]
    data = int8_tflite(single_layer(shape, fn), [shape])
    op = read(data, "m").ops[0]
    msg = compile_error(set_quant(data, op.inputs[2], 0.5, 0), tmp_path)
    assert "constant_values must share the output's scale and zero point" in msg
