"""TRANSPOSE, SLICE and STRIDED_SLICE int8 against TFLite BUILTIN_REF: Keras Permute,
Cropping1D/2D, keras.ops.slice and tensor indexing (steps, reversal, dropped axes); the
zero-copy prefix view; the C contract; bad parameters."""

from __future__ import annotations

import numpy as np
import pytest

from tests.ops._c_contract import assert_c_contract, compile_error
from tests.ops._tflite_edit import set_data
from tests.util import single_layer, check_keras, int8_tflite, keras
from tinycc_ml.frontends.tflite import read
from tinycc_ml.reference import random_inputs


CASES = {
    "permute_hw": ((4, 5, 3), lambda k, x: k.layers.Permute((2, 1, 3))(x), "TRANSPOSE"),
    "permute_chw": ((4, 5, 3), lambda k, x: k.layers.Permute((3, 1, 2))(x), "TRANSPOSE"),
    "permute_rank5": ((2, 3, 4, 5), lambda k, x: k.layers.Permute((4, 2, 3, 1))(x),
                      "TRANSPOSE"),
    "cropping2d": ((6, 5, 3), lambda k, x: k.layers.Cropping2D(((1, 2), (0, 1)))(x),
                   "STRIDED_SLICE"),
    "cropping1d": ((6, 3), lambda k, x: k.layers.Cropping1D((1, 2))(x), "STRIDED_SLICE"),
    "index_step2": ((6, 5, 3), lambda k, x: x[:, 1:4, ::2, :], "STRIDED_SLICE"),
    "index_reverse_drop_axis": ((6, 5, 3), lambda k, x: x[:, ::-1, 1, :], "STRIDED_SLICE"),
    "index_channels_reversed": ((4, 4, 6), lambda k, x: x[..., 5:0:-2], "STRIDED_SLICE"),
    "ops_slice": ((6, 5, 3), lambda k, x: k.ops.slice(x, (0, 1, 0, 1), (1, 3, 5, 2)), "SLICE"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_view_bitexact(case, tmp_path):
    shape, fn, kind = CASES[case]
    check_keras(single_layer(shape, fn), [shape], tmp_path, n=5, expect_kinds=[kind])


def test_prefix_slice_shares_the_buffer(tmp_path):
    """x[:, :3] of an arena tensor is its first bytes: no copy, no code."""
    from tinycc_ml.compiler import Options, compile_file

    def build():
        k = keras()
        inp = k.Input((6, 5, 3))
        x = k.layers.Conv2D(4, 1)(inp)[:, :3]
        return k.Model(inp, k.layers.Conv2D(2, 1)(x))
    path = check_keras(build, [(6, 5, 3)], tmp_path, n=5, expect_kinds=["STRIDED_SLICE"])
    compiled = compile_file(path, Options(name="m"))
    layer = next(info for info in compiled.layers if info.kind == "STRIDED_SLICE")
    assert layer.backend == "" and layer.describe == "zero-copy view"


def test_prefix_slice_into_a_smaller_graph_output_copies(tmp_path):
    """The same view as the graph output: the caller's buffer is too small to alias."""
    shape = (6, 5, 3)
    path = check_keras(single_layer(shape, lambda k, x: k.layers.Conv2D(4, 1)(x)[:, :3]), [shape],
                       tmp_path, n=5, expect_kinds=["STRIDED_SLICE"])
    from tinycc_ml.compiler import Options, compile_file
    layer = next(i for i in compile_file(path, Options(name="m")).layers
                 if i.kind == "STRIDED_SLICE")
    assert layer.backend == "portable"


def test_views_c_contract(tmp_path):
    """Reversal, dropped axis and a transpose in one model: strict builds, ASan + UBSan."""
    def build():
        k = keras()
        inp = k.Input((6, 5, 4))
        x = k.layers.Permute((2, 1, 3))(inp[:, ::-1, :, 1:])
        return k.Model(inp, x[:, 3, ::-2])
    path = check_keras(build, [(6, 5, 4)], tmp_path, n=3,
                       expect_kinds=["STRIDED_SLICE", "TRANSPOSE"])
    assert_c_contract(path, random_inputs([((1, 6, 5, 4), np.int8)], np.random.default_rng(5)),
                      tmp_path)


@pytest.mark.parametrize("case, operand, values, reason", [
    ("permute_hw", 1, [0, 1, 1, 3], "invalid parameters: perm [0, 1, 1, 3] is not a "
                                    "permutation of 4 axes"),
    ("index_step2", 3, [1, 1, 0, 1], "invalid parameters: strides [1, 1, 0, 1] include 0"),
    ("ops_slice", 1, [0, 4, 0, 1], "lie outside [1, 6, 5, 3]"),
], ids=["perm_not_a_permutation", "zero_stride", "slice_outside_the_input"])
def test_bad_parameters(case, operand, values, reason, tmp_path):
    shape, fn, _ = CASES[case]
    data = int8_tflite(single_layer(shape, fn), [shape])
    op = read(data, "m").ops[0]
    msg = compile_error(set_data(data, op.inputs[operand], np.array(values, np.int32)), tmp_path)
    assert reason in msg


# --- TILE -------------------------------------------------------------------------------------

TILES = {
    "rank3_rows": ((3, 4, 2), (1, 2, 1, 1)),
    "rank4_all": ((2, 3, 2, 3), (1, 2, 1, 3, 2)),
    "channels": ((5, 3), (1, 1, 4)),
}


@pytest.mark.parametrize("case", sorted(TILES))
def test_tile(case, tmp_path):
    shape, reps = TILES[case]
    path = check_keras(single_layer(shape, lambda k, x: k.ops.tile(x, reps[:len(shape) + 1])),
                       [shape], tmp_path, n=5, expect_kinds=["TILE"])
    assert_c_contract(path, random_inputs([((1,) + shape, np.int8)], np.random.default_rng(2)),
                      tmp_path)


def test_upsampling_nearest_is_reshape_and_tile(tmp_path):
    """Keras 3's UpSampling2D(nearest) is RESHAPE/TILE; TF 2.21's reference resolver has no TILE
    v3, so the comparison runs on TFLite's builtin kernels without delegates, and says so."""
    from tinycc_ml.reference import TFLiteReference
    path = check_keras(single_layer((4, 3, 5), lambda k, x: k.layers.UpSampling2D((2, 3))(x)),
                       [(4, 3, 5)], tmp_path, n=5, expect_kinds=["TILE"])
    resolver = TFLiteReference(path).resolver
    assert resolver.startswith("BUILTIN_WITHOUT_DEFAULT_DELEGATES") and "TILE" in resolver


def test_tile_multiples_must_be_positive(tmp_path):
    shape, reps = TILES["channels"]
    data = int8_tflite(single_layer(shape, lambda k, x: k.ops.tile(x, reps)), [shape])
    op = read(data, "m").ops[0]
    msg = compile_error(set_data(data, op.inputs[1], np.array([1, 0, 4], np.int32)), tmp_path)
    assert "multiples [1, 0, 4] must be positive" in msg
