"""SPLIT and SPLIT_V against TFLite BUILTIN_REF: keras.ops.split / tf.split into equal parts and
given sizes (with -1), along each axis, negative axes, outputs consumed in another order;
outputs quantized unlike the input; the C contract; bad input."""

from __future__ import annotations

import numpy as np
import pytest

from tests.ops._c_contract import assert_c_contract, compile_error
from tests.ops._tflite_edit import set_data, set_quant
from tests.util import assert_bitexact, check_keras, int8_tflite, keras, tf, write_model
from tinycc_ml.frontends.tflite import read
from tinycc_ml.reference import random_inputs


def _split(shape, parts, axis, mix=True):
    """tf.split of the input; the parts come back through distinct ops, so each is an output
    or concatenated in reverse order."""
    def build():
        k = keras()
        t = tf()
        inp = k.Input(shape)
        outs = k.layers.Lambda(lambda v: t.split(v, parts, axis=axis))(inp)
        if mix:
            return k.Model(inp, k.layers.Concatenate(axis=axis)(list(outs)[::-1]))
        return k.Model(inp, list(outs))
    return build


CASES = {
    "equal_last_2": ((6, 8), 2, -1, True, "SPLIT"),
    "equal_channels_3_outputs": ((4, 5, 6), 3, 3, False, "SPLIT"),
    "equal_height_neg": ((6, 5, 3), 3, -3, True, "SPLIT"),
    "sizes_width": ((4, 7, 3), [2, 4, 1], 2, False, "SPLIT_V"),
    "sizes_minus1_channels": ((3, 4, 9), [2, -1, 3], -1, True, "SPLIT_V"),
    "sizes_rank2_first": ((9, 2), [4, 5], 1, False, "SPLIT_V"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_split_bitexact(case, tmp_path):
    shape, parts, axis, mix, kind = CASES[case]
    check_keras(_split(shape, parts, axis, mix), [shape], tmp_path, n=5, expect_kinds=[kind])


def test_split_output_quantization_differs(tmp_path):
    """TFLite copies the bytes whatever the outputs' quantization."""
    shape, parts, axis, mix, _ = CASES["sizes_width"]
    data = int8_tflite(_split(shape, parts, axis, mix), [shape])
    op = next(o for o in read(data, "m").ops if o.kind == "SPLIT_V")
    path = write_model(set_quant(data, op.outputs[1], 0.03, 11), tmp_path)
    assert_bitexact(path, n=5)


def test_split_c_contract(tmp_path):
    shape = (4, 5, 6)
    path = check_keras(_split(shape, [1, 3, 2], -1, True), [shape], tmp_path, n=3)
    assert_c_contract(path, random_inputs([((1,) + shape, np.int8)], np.random.default_rng(5)),
                      tmp_path)


# --- bad input --------------------------------------------------------------------------------

def test_split_v_sizes_do_not_add_up(tmp_path):
    shape, parts, axis, mix, _ = CASES["sizes_width"]
    data = int8_tflite(_split(shape, parts, axis, mix), [shape])
    op = read(data, "m").ops[0]
    msg = compile_error(set_data(data, op.inputs[1], np.array([2, 4, 2], np.int32)), tmp_path)
    assert msg.endswith("size_splits [2, 4, 2] do not add up to the axis extent 7")


def test_split_axis_out_of_range(tmp_path):
    shape, parts, axis, mix, _ = CASES["equal_channels_3_outputs"]
    data = int8_tflite(_split(shape, parts, axis, mix), [shape])
    op = read(data, "m").ops[0]
    msg = compile_error(set_data(data, op.inputs[0], np.array(4, np.int32)), tmp_path)
    assert msg.endswith("axis 4 is out of range for rank 4")
