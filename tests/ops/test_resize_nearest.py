"""RESIZE_NEAREST_NEIGHBOR against TFLite BUILTIN_REF: Keras Resizing (half_pixel_centers),
tf.compat.v1 resize with align_corners and with neither; up, down, mixed and size-1 targets;
the index rule against the reference for many sizes; output quantized unlike the input; the C
contract; bad input."""

from __future__ import annotations

import numpy as np
import pytest

from tests.ops._c_contract import assert_c_contract, compile_error
from tests.ops._tflite_edit import set_data, set_quant
from tests.util import assert_bitexact, check_keras, int8_tflite, keras, tf, write_model
from tinycc_ml.frontends.tflite import read
from tinycc_ml.reference import random_inputs


def _resize(shape, size, mode):
    def build():
        k = keras()
        t = tf()
        inp = k.Input(shape)
        if mode == "keras":
            out = k.layers.Resizing(*size, interpolation="nearest")(inp)
        else:
            out = k.layers.Lambda(lambda v: t.compat.v1.image.resize_nearest_neighbor(
                v, size, align_corners=(mode == "align")))(inp)
        return k.Model(inp, out)
    return build


CASES = {
    "keras_up_odd": ((4, 5, 3), (7, 9), "keras"),
    "keras_down": ((9, 11, 2), (4, 3), "keras"),
    "keras_mixed": ((5, 6, 3), (8, 4), "keras"),
    "align_up": ((4, 5, 3), (7, 13), "align"),
    "align_to_one_row": ((4, 5, 3), (1, 3), "align"),
    "plain_up_x2": ((4, 5, 3), (8, 10), "plain"),
    "plain_down_odd": ((10, 7, 4), (3, 5), "plain"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_resize_nearest_bitexact(case, tmp_path):
    shape, size, mode = CASES[case]
    check_keras(_resize(shape, size, mode), [shape], tmp_path, n=4,
                expect_kinds=["RESIZE_NEAREST_NEIGHBOR"])


@pytest.mark.parametrize("mode", ["keras", "align", "plain"])
def test_resize_index_rule_many_sizes(mode, tmp_path):
    """The compile-time float32 index rule (ops/resize_nearest.py `nearest`) against
    BUILTIN_REF for 3 input widths x 24 output widths: the input is its column numbers."""
    from tinycc_ml.ops.resize_nearest import nearest
    from tinycc_ml.reference import TFLiteReference
    for n_in in (3, 7, 13):
        data = int8_tflite(_resize((1, n_in, 1), (1, 24), mode), [(1, n_in, 1)])
        g = read(data, "m")
        x = np.arange(n_in, dtype=np.int8).reshape(1, 1, n_in, 1)
        for out_w in range(1, 25):
            path = write_model(_with_size(data, g, (1, out_w)), tmp_path)
            got = TFLiteReference(path).run([x])[0].reshape(-1).tolist()
            assert got == nearest(out_w, n_in, mode == "align", mode == "keras"), (n_in, out_w)


def _with_size(data: bytes, g, size) -> bytes:
    from tests.cli.tflite_edit import edit
    op = g.ops[0]
    data = set_data(data, op.inputs[1], np.array(size, np.int32))

    def change(model):
        for t in model.subgraphs[0].tensors:
            if t.name.decode() == op.outputs[0]:
                t.shape = np.array([1, size[0], size[1], 1], np.int32)
    return edit(data, change)


def test_resize_output_quantization_differs(tmp_path):
    shape, size, mode = CASES["keras_mixed"]
    data = int8_tflite(_resize(shape, size, mode), [shape])
    op = read(data, "m").ops[0]
    path = write_model(set_quant(data, op.outputs[0], 0.05, 7), tmp_path)
    assert_bitexact(path, n=4)


def test_resize_c_contract(tmp_path):
    shape, size, mode = CASES["align_up"]
    path = check_keras(_resize(shape, size, mode), [shape], tmp_path, n=2)
    assert_c_contract(path, random_inputs([((1,) + shape, np.int8)], np.random.default_rng(6)),
                      tmp_path)


# --- bad input --------------------------------------------------------------------------------

def test_resize_size_not_positive(tmp_path):
    shape, size, mode = CASES["plain_up_x2"]
    data = int8_tflite(_resize(shape, size, mode), [shape])
    op = read(data, "m").ops[0]
    msg = compile_error(set_data(data, op.inputs[1], np.array([0, 10], np.int32)), tmp_path)
    assert msg.endswith("output size 0x10 must be positive")
