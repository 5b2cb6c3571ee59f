"""RESIZE_BILINEAR int8 against TFLite BUILTIN_REF: Keras UpSampling2D and Resizing
(half_pixel_centers), tf.compat.v1.image.resize_bilinear (align_corners, and neither flag) over
odd shapes, up- and downscaling, several batches; an output quantization that differs from the
input's (raw values, no rescaling); the C contract; bad input (both flags; a size whose rounded
10-bit scale would read past the input). RESIZE_NEAREST_NEIGHBOR: test_resize_nearest.py."""

from __future__ import annotations

import numpy as np
import pytest

from tests.cli.tflite_edit import edit
from tests.ops._c_contract import assert_c_contract, compile_error
from tests.ops._tflite_edit import set_data, set_option, set_quant
from tests.util import (assert_bitexact, check_keras, int8_tflite, keras, single_layer, tf,
                        write_model)
from tinycc_ml.frontends.tflite import read

BILINEAR = "RESIZE_BILINEAR"


def _resizing(size):
    return lambda k, x: k.layers.Resizing(*size, interpolation="bilinear")(x)


def _v1(size, align_corners):
    """tf.compat.v1.image.resize_bilinear: half_pixel_centers False."""
    def fn(k, x):
        op = tf().compat.v1.image.resize_bilinear
        return k.layers.Lambda(lambda t: op(t, size, align_corners=align_corners))(x)
    return fn


# name: (input shape HWC, layer)
CASES = {
    # half_pixel_centers (TF2 / Keras)
    "upsampling2d_bilinear_x2": ((5, 7, 3), lambda k, x: k.layers.UpSampling2D(
        2, interpolation="bilinear")(x)),
    "upsampling2d_bilinear_3x2": ((4, 3, 5), lambda k, x: k.layers.UpSampling2D(
        (3, 2), interpolation="bilinear")(x)),
    "bilinear_hp_up_odd": ((5, 7, 3), _resizing((11, 16))),
    "bilinear_hp_down": ((13, 9, 4), _resizing((5, 4))),
    "bilinear_hp_mixed": ((6, 10, 2), _resizing((9, 3))),
    "bilinear_hp_to_1x1": ((5, 4, 3), _resizing((1, 1))),
    "upsampling2d_bilinear_x4_c1": ((3, 4, 1), lambda k, x: k.layers.UpSampling2D(
        4, interpolation="bilinear")(x)),
    # align_corners
    "bilinear_ac_up": ((5, 7, 3), _v1((9, 13), True)),
    "bilinear_ac_down": ((11, 8, 2), _v1((4, 3), True)),
    "bilinear_ac_to_1": ((5, 7, 3), _v1((1, 6), True)),
    # neither flag
    "bilinear_plain_up": ((5, 7, 3), _v1((12, 10), False)),
    "bilinear_plain_down": ((11, 8, 2), _v1((4, 5), False)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_resize_bitexact(case, tmp_path):
    shape, fn = CASES[case]
    check_keras(single_layer(shape, fn), [shape], tmp_path, n=4, expect_kinds=[BILINEAR])


def _converted(case):
    shape, fn = CASES[case]
    data = int8_tflite(single_layer(shape, fn), [shape], n_calib=4)
    index = next(i for i, op in enumerate(read(data, "m").ops) if op.kind == BILINEAR)
    return data, index


def test_bilinear_rejects_both_flags(tmp_path):
    data, i = _converted("bilinear_hp_up_odd")
    data = set_option(data, i, "alignCorners", True)
    msg = compile_error(data, tmp_path)
    assert "align_corners and half_pixel_centers" in msg, msg


def test_resize_output_quantization_differs(tmp_path):
    """TFLite's int8 kernel interpolates raw values; so does ours."""
    data, i = _converted("bilinear_hp_mixed")
    op = read(data, "m").ops[i]
    data = set_quant(data, op.outputs[0], 0.37, -20)
    assert_bitexact(write_model(data, tmp_path), n=4)


def test_resize_batches(tmp_path):
    """Three images in one batch: the tables apply to each."""
    def build():
        k = keras()
        inp = k.Input((5, 6, 2), batch_size=3)
        return k.Model(inp, k.layers.Resizing(7, 4, interpolation="bilinear")(inp))
    data = int8_tflite(build, [(5, 6, 2)], n_calib=4)
    g = read(data, "m")
    assert g.tensor(g.inputs[0]).shape[0] == 3
    assert_bitexact(write_model(data, tmp_path), n=4)


@pytest.mark.parametrize("case", ["bilinear_hp_up_odd", "bilinear_ac_down"])
def test_resize_c_contract(case, tmp_path):
    """Strict builds with gcc, clang, arm-none-eabi-gcc; ASan + UBSan at the extremes."""
    shape = CASES[case][0]
    data, _ = _converted(case)
    path = write_model(data, tmp_path)
    alt = np.where(np.arange(np.prod(shape)) % 3 == 0, 127, -128).astype(np.int8)
    assert_c_contract(path, [alt.reshape((1,) + shape)], tmp_path)


def test_bilinear_rejects_read_past_input(tmp_path):
    """1 -> 55 rows without half pixel: TFLite's rounded 10-bit scale reads row 1 of 1."""
    data, i = _converted("bilinear_plain_up")
    g = read(data, "m")
    op = g.ops[i]
    data = set_data(data, op.inputs[1], np.array([55, 10], np.int32))

    def reshape(model):
        for t in model.subgraphs[0].tensors:
            if t.name.decode() == op.outputs[0]:
                t.shape = np.array([1, 55, 10, 3], np.int32)
            if t.name.decode() == op.inputs[0]:
                t.shape = np.array([1, 1, 7, 3], np.int32)
    msg = compile_error(edit(data, reshape), tmp_path)
    assert "past the input" in msg, msg
