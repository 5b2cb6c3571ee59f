"""ARG_MAX and ARG_MIN against TFLite BUILTIN_REF: tf.math.argmax / argmin over each axis of
rank-2..4 inputs, negative axes, int32 and int64 indices, ties (ReLU zeros: the first index
wins); the C contract; bad input."""

from __future__ import annotations

import numpy as np
import pytest

from tests.ops._c_contract import assert_c_contract, compile_error
from tests.ops._tflite_edit import set_data, set_option
from tests.util import check_keras, int8_tflite, keras, tf
from tinycc_ml.frontends.tflite import read
from tinycc_ml.reference import random_inputs


def _arg(shape, axis, kind="max", out="int64", before=None):
    def build():
        k = keras()
        t = tf()
        fn = t.math.argmax if kind == "max" else t.math.argmin
        dtype = t.int64 if out == "int64" else t.int32
        inp = k.Input(shape)
        x = before(k, inp) if before else inp
        return k.Model(inp, k.layers.Lambda(lambda v: fn(v, axis=axis, output_type=dtype))(x))
    return build


def _relu_conv(k, x):
    """Many exact zeros after the ReLU: ties along the channel axis."""
    return k.layers.Conv2D(7, 1, activation="relu")(x)


CASES = {
    "max_last_i64": ((6, 10), -1, "max", "int64", None),
    "max_middle_i32": ((5, 9, 4), 1, "max", "int32", None),
    "min_last_i32": ((3, 5, 11), 2, "min", "int32", None),
    "min_neg2_i64": ((4, 6, 3), -2, "min", "int64", None),
    "max_rank4_axis2": ((3, 7, 5, 2), 2, "max", "int32", None),
    "max_ties_channels": ((5, 6, 3), -1, "max", "int32", _relu_conv),
    "min_ties_channels_i64": ((5, 6, 3), 3, "min", "int64", _relu_conv),
    "max_ties_height": ((5, 6, 3), 1, "max", "int64", _relu_conv),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_arg_min_max_bitexact(case, tmp_path):
    shape, axis, kind, out, before = CASES[case]
    check_keras(_arg(shape, axis, kind, out, before), [shape], tmp_path, n=8,
                expect_kinds=["ARG_MAX" if kind == "max" else "ARG_MIN"])


def test_arg_min_max_c_contract(tmp_path):
    shape = (5, 6, 3)
    path = check_keras(_arg(shape, -1, "max", "int64", _relu_conv), [shape], tmp_path, n=3)
    assert_c_contract(path, random_inputs([((1,) + shape, np.int8)], np.random.default_rng(1)),
                      tmp_path)


# --- bad input --------------------------------------------------------------------------------

def test_arg_axis_out_of_range_rejected(tmp_path):
    data = int8_tflite(_arg((6, 10), -1), [(6, 10)])
    op = read(data, "m").ops[0]
    msg = compile_error(set_data(data, op.inputs[1], np.array(3, np.int32)), tmp_path)
    assert msg.endswith("axis 3 is out of range for rank 3")


def test_arg_output_type_mismatch_rejected(tmp_path):
    """The option says int32, the tensor is int64: TFLite would write int32 into it."""
    data = int8_tflite(_arg((6, 10), -1), [(6, 10)])
    msg = compile_error(set_option(data, 0, "outputType", 2), tmp_path)
    assert "has type int64 but the op's output type is int32" in msg
