"""SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND and the dilation pass (passes/dilate.py) against TFLite
BUILTIN_REF: Keras dilated Conv2D / DepthwiseConv2D (fused into one dilated conv), dilated
Conv1D and patterns the pass must leave alone (run as three ops), tf.space_to_batch_nd /
tf.batch_to_space directly; the C contract; bad input."""

from __future__ import annotations

import numpy as np
import pytest

from tests.cli.tflite_edit import edit
from tests.ops._c_contract import assert_c_contract, compile_error
from tests.ops._tflite_edit import set_data, set_option, set_quant
from tests.util import assert_bitexact, check_keras, int8_tflite, keras, tf, write_model
from tinycc_ml.compiler import pipeline
from tinycc_ml.errors import CompileError
from tinycc_ml.frontends.tflite import read
from tinycc_ml.passes.dilate import dilate
from tinycc_ml.passes.shapes import infer_shapes
from tinycc_ml.reference import TFLiteReference, random_inputs


def _single(shape, fn, batch_size=None):
    """batch_size=1 gives the converter a static batch; with None it stores batch 1 for the
    tensors between SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND (a placeholder, see below)."""
    def build():
        k = keras()
        inp = k.Input(shape, batch_size=batch_size)
        return k.Model(inp, fn(k, inp))
    return build


def _set_shape(data: bytes, name: str, shape) -> bytes:
    def change(model):
        for t in model.subgraphs[0].tensors:
            if t.name.decode() == name:
                t.shape = np.array(shape, np.int32)
    return edit(data, change)


def _kinds(path) -> list[str]:
    return [op.kind for op in pipeline(read(path.read_bytes(), path.name)).ops]


DILATED = {
    "conv_same_d2": ((9, 9, 3), lambda k, x: k.layers.Conv2D(4, 3, dilation_rate=2,
                                                            padding="same")(x)),
    "conv_valid_d2": ((9, 10, 3), lambda k, x: k.layers.Conv2D(5, 3, dilation_rate=2)(x)),
    "conv_same_d3_relu_odd": ((11, 7, 2), lambda k, x: k.layers.Conv2D(
        3, (3, 2), dilation_rate=3, padding="same", activation="relu")(x)),
    "conv_same_d_2x3": ((10, 13, 3), lambda k, x: k.layers.Conv2D(
        4, 3, dilation_rate=(2, 3), padding="same")(x)),
    "dw_same_d_2x3": ((10, 11, 3), lambda k, x: k.layers.DepthwiseConv2D(
        3, dilation_rate=(2, 3), padding="same")(x)),
    "dw_valid_d2_mult2": ((8, 9, 3), lambda k, x: k.layers.DepthwiseConv2D(
        3, dilation_rate=2, depth_multiplier=2, activation="relu6")(x)),
    "dw_same_d4_even_k": ((12, 12, 4), lambda k, x: k.layers.DepthwiseConv2D(
        2, dilation_rate=4, padding="same")(x)),
}


@pytest.mark.parametrize("case", sorted(DILATED))
def test_dilated_conv_fused(case, tmp_path):
    """The converter's STB -> conv -> BTS becomes one dilated conv, bit-exact."""
    shape, fn = DILATED[case]
    path = check_keras(_single(shape, fn), [shape], tmp_path, n=5,
                       expect_kinds=["SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND"])
    kinds = _kinds(path)
    assert "SPACE_TO_BATCH_ND" not in kinds and "BATCH_TO_SPACE_ND" not in kinds, kinds
    conv = next(op for op in pipeline(read(path.read_bytes(), "m")).ops
                if op.kind in ("CONV_2D", "DEPTHWISE_CONV_2D"))
    assert conv.attrs["dilations"] != (1, 1)


@pytest.mark.parametrize("side", ["input", "output"])
def test_requantizing_space_batch_rejected(side, tmp_path):
    """TFLite 2.21's Prepare of both ops ENSUREs equal input and output quantization."""
    shape, fn = DILATED["conv_same_d2"]
    data = int8_tflite(_single(shape, fn), [shape])
    g = read(data, "m")
    op = g.ops[0] if side == "input" else g.ops[2]
    bad = write_model(set_quant(data, op.outputs[0], 0.02, -7), tmp_path, "bad.tflite")
    with pytest.raises(CompileError, match="scale"):
        TFLiteReference(bad)
    msg = compile_error(bad.read_bytes(), tmp_path, starts=f"bad.tflite: op {op.index} (")
    assert msg.endswith("quantized differently; TFLite's int8 kernel requires equal scale and "
                        "zero point")


@pytest.mark.parametrize("op_at,values", [
    (2, [[1, 0], [0, 1]]),          # crops: 1 row before, so 1 (not SAME's 2) rows of padding
    (0, [[1, 4], [2, 3]]),          # paddings likewise
    (2, [[0, 0], [0, 2]]),          # one column fewer than SAME's output
], ids=["crops_shifted", "paddings_shifted", "crops_short"])
def test_dilated_conv_not_same_unfused(op_at, values, tmp_path):
    """Paddings / crops that give neither SAME nor VALID placement: left as three ops (the
    conv's placeholder batch resized), still bit-exact."""
    shape, fn = DILATED["conv_same_d2"]
    data = int8_tflite(_single(shape, fn), [shape])
    op = read(data, "m").ops[op_at]
    path = write_model(set_data(data, op.inputs[2], np.array(values, np.int32)), tmp_path)
    if values == [[0, 0], [0, 2]]:   # the converter stored [1, 9, 9, 4]: TFLite resizes it
        path = write_model(_set_shape(path.read_bytes(), op.outputs[0], [1, 10, 8, 4]), tmp_path)
    assert _kinds(path) == ["SPACE_TO_BATCH_ND", "CONV_2D", "BATCH_TO_SPACE_ND"]
    assert_bitexact(path, n=5)


def test_dilate_pass_keeps_intermediate_graph_outputs():
    """An intermediate tensor that is also a graph output keeps the three ops."""
    shape, fn = DILATED["dw_same_d_2x3"]
    g = infer_shapes(read(int8_tflite(_single(shape, fn), [shape]), "m"))
    assert [op.kind for op in dilate(g).ops] == ["DEPTHWISE_CONV_2D"]
    for t in (g.ops[0].outputs[0], g.ops[1].outputs[0]):
        kept = dilate(g.replace(outputs=g.outputs + (t,)))
        assert [op.kind for op in kept.ops] == [op.kind for op in g.ops]


def _lambda(shape, fn):
    def build():
        k = keras()
        inp = k.Input(shape)
        return k.Model(inp, k.layers.Lambda(fn)(inp))
    return build


def test_space_to_batch_then_batch_to_space(tmp_path):
    """tf.space_to_batch_nd with uneven paddings, a conv on the batches, tf.batch_to_space
    with other crops: a pattern the pass does not fuse (SAME conv)."""
    def build():
        k = keras()
        t = tf()
        inp = k.Input((7, 8, 3), batch_size=1)
        x = k.layers.Lambda(lambda v: t.space_to_batch_nd(v, [2, 3], [[1, 2], [3, 1]]))(inp)
        x = k.layers.Conv2D(4, 3, padding="same")(x)
        return k.Model(inp, k.layers.Lambda(
            lambda v: t.batch_to_space(v, [2, 3], [[0, 3], [2, 1]]))(x))
    path = check_keras(build, [(7, 8, 3)], tmp_path, n=5,
                       expect_kinds=["SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND"])
    assert "SPACE_TO_BATCH_ND" in _kinds(path)


def test_space_batch_c_contract(tmp_path):
    """An unfused chain (crops shifted) then a fused dilated depthwise conv:
    strict builds, ASan + UBSan, equal to BUILTIN_REF."""
    def build():
        k = keras()
        inp = k.Input((9, 8, 3))
        x = k.layers.Conv2D(4, 3, dilation_rate=2, padding="same")(inp)
        return k.Model(inp, k.layers.DepthwiseConv2D(3, dilation_rate=(3, 2))(x))
    data = int8_tflite(build, [(9, 8, 3)])
    bts = read(data, "m").ops[2]
    crops = read(data, "m").tensor(bts.inputs[2]).data + np.array([[1, -1], [0, 0]], np.int32)
    path = write_model(set_data(data, bts.inputs[2], crops), tmp_path)
    assert _kinds(path) == ["SPACE_TO_BATCH_ND", "CONV_2D", "BATCH_TO_SPACE_ND",
                            "DEPTHWISE_CONV_2D"]
    assert_bitexact(path, n=3)
    assert_c_contract(path, random_inputs([((1, 9, 8, 3), np.int8)], np.random.default_rng(2)),
                      tmp_path)


CONV1D = {
    "causal_d2": ((13, 3), lambda k, x: k.layers.Conv1D(4, 3, dilation_rate=2,
                                                        padding="causal")(x)),
    "same_d3_relu": ((16, 2), lambda k, x: k.layers.Conv1D(5, 3, dilation_rate=3, padding="same",
                                                           activation="relu")(x)),
    "valid_d2_k2": ((11, 4), lambda k, x: k.layers.Conv1D(3, 2, dilation_rate=2)(x)),
}


@pytest.mark.parametrize("case", sorted(CONV1D))
def test_dilated_conv1d_fused(case, tmp_path):
    """Conv1D's rank-3 chain (EXPAND_DIMS, 1xK conv, RESHAPE inside) becomes EXPAND_DIMS ->
    dilated conv -> RESHAPE on the real shapes, bit-exact."""
    shape, fn = CONV1D[case]
    path = check_keras(_single(shape, fn), [shape], tmp_path, n=5,
                       expect_kinds=["SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND"])
    kinds = _kinds(path)
    assert "SPACE_TO_BATCH_ND" not in kinds and "BATCH_TO_SPACE_ND" not in kinds, kinds


def test_dynamic_batch_unfused_conv1d_refused(tmp_path):
    """A Conv1D chain the pass cannot fuse (its conv given stride 2) keeps the converter's
    batch-1 placeholders between STB and BTS (TFLite resizes them at run time): refused in one
    line where the shapes disagree."""
    shape, fn = CONV1D["causal_d2"]
    data = int8_tflite(_single(shape, fn), [shape])
    conv = next(op for op in read(data, "m").ops if op.kind == "CONV_2D")
    msg = compile_error(set_option(data, conv.index, "strideW", 2), tmp_path,
                        starts="bad.tflite: op ")
    assert "(EXPAND_DIMS " in msg and msg.endswith("input [2, 9, 3] and output [1, 1, 9, 3] "
                                                  "differ in size")


# --- bad input --------------------------------------------------------------------------------

def test_space_to_batch_indivisible_rejected(tmp_path):
    """Paddings that leave the padded size not a multiple of the block: TFLite's Prepare fails."""
    data = int8_tflite(_lambda((7, 8, 3), lambda v: tf().space_to_batch_nd(
        v, [2, 2], [[1, 0], [0, 0]])), [(7, 8, 3)])
    op = read(data, "m").ops[0]
    msg = compile_error(set_data(data, op.inputs[2], np.array([[0, 0], [0, 0]], np.int32)),
                        tmp_path)
    assert "axis 1: 7 + paddings 0/0 = 7 is not a multiple of the block size 2" in msg


def test_batch_to_space_negative_crops_rejected(tmp_path):
    data = int8_tflite(_lambda((6, 4, 3), lambda v: tf().batch_to_space(
        tf().space_to_batch_nd(v, [2, 2], [[0, 0], [0, 0]]), [2, 2], [[1, 1], [0, 0]])),
        [(6, 4, 3)])
    g = read(data, "m")
    bts = g.ops[-1]
    assert bts.kind == "BATCH_TO_SPACE_ND"
    msg = compile_error(set_data(data, bts.inputs[2], np.array([[1, 1], [-1, 1]], np.int32)),
                        tmp_path, starts=f"bad.tflite: op {bts.index} (")
    assert msg.endswith("crops [[1, 1], [-1, 1]] are negative")


def test_rank3_space_to_batch_and_back(tmp_path):
    """Rank-3 [N, S, D] with a 1-D block (the reference kernel's NH1C form), uneven paddings and
    crops, a ReLU between (static batch: no placeholders)."""
    def build():
        k = keras()
        t = tf()
        inp = k.Input((11, 3), batch_size=1)
        x = k.layers.Lambda(lambda v: t.space_to_batch_nd(v, [3], [[2, 2]]))(inp)
        x = k.layers.ReLU()(x)
        return k.Model(inp, k.layers.Lambda(lambda v: t.batch_to_space(v, [3], [[1, 3]]))(x))
    path = check_keras(build, [(11, 3)], tmp_path, n=5,
                       expect_kinds=["SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND"])
    assert [k for k in _kinds(path) if k != "RELU"] == ["SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND"]
