"""TRANSPOSE, SLICE and STRIDED_SLICE int8 against TFLite BUILTIN_REF: Keras Permute,
Cropping1D/2D, keras.ops.slice and tensor indexing (steps, reversal, dropped axes); the
zero-copy prefix view; the C contract; bad parameters."""

from __future__ import annotations

import numpy as np
import pytest

from tests.ops._c_contract import sanitized_run, strict_builds
from tests.ops._tflite_edit import set_data
from tests.util import check_keras, int8_tflite, keras, write_model
from tinycc_ml.errors import CompileError
from tinycc_ml.frontends.tflite import read
from tinycc_ml.reference import TFLiteReference, random_inputs


def _single(shape, fn):
    def build():
        k = keras()
        inp = k.Input(shape)
        return k.Model(inp, fn(k, inp))
    return build


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
    check_keras(_single(shape, fn), [shape], tmp_path, n=5, expect_kinds=[kind])


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
    path = check_keras(_single(shape, lambda k, x: k.layers.Conv2D(4, 1)(x)[:, :3]), [shape],
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
    strict_builds(path, tmp_path / "strict")
    x = random_inputs([((1, 6, 5, 4), np.int8)], np.random.default_rng(5))
    got = sanitized_run(path, x, tmp_path / "asan")[0]
    np.testing.assert_array_equal(got, TFLiteReference(path).run(x)[0].reshape(got.shape))


def _compile_error(data: bytes, tmp_path) -> str:
    from tinycc_ml.compiler import Options, compile_file
    path = write_model(data, tmp_path, "bad.tflite")
    with pytest.raises(CompileError) as e:
        compile_file(path, Options(name="m"))
    assert "\n" not in str(e.value)
    return str(e.value)


def test_transpose_perm_not_a_permutation(tmp_path):
    shape, fn, _ = CASES["permute_hw"]
    data = int8_tflite(_single(shape, fn), [shape])
    op = read(data, "m").ops[0]
    msg = _compile_error(set_data(data, op.inputs[1], np.array([0, 1, 1, 3], np.int32)), tmp_path)
    assert msg.endswith("invalid parameters: perm [0, 1, 1, 3] is not a permutation of 4 axes")


def test_strided_slice_zero_stride(tmp_path):
    shape, fn, _ = CASES["index_step2"]
    data = int8_tflite(_single(shape, fn), [shape])
    op = read(data, "m").ops[0]
    msg = _compile_error(set_data(data, op.inputs[3], np.array([1, 1, 0, 1], np.int32)), tmp_path)
    assert msg.endswith("invalid parameters: strides [1, 1, 0, 1] include 0")


def test_slice_outside_the_input(tmp_path):
    shape, fn, _ = CASES["ops_slice"]
    data = int8_tflite(_single(shape, fn), [shape])
    op = read(data, "m").ops[0]
    msg = _compile_error(set_data(data, op.inputs[1], np.array([0, 4, 0, 1], np.int32)), tmp_path)
    assert "lie outside [1, 6, 5, 3]" in msg
