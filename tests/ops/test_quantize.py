"""QUANTIZE and DEQUANTIZE against TFLite BUILTIN_REF: float32-I/O models end to end, the model
header's quantize/dequantize helpers against TFLite's own QUANTIZE/DEQUANTIZE, requantization
int8 <-> uint8 (converter uint8 I/O, and models edited to requantize between scales), and the
int16 / int32 requantizations of the 16x8 scheme."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tests.ops._ir import compile_error, single_op, tensor
from tests.util import assert_bitexact, compile_and_build, int8_tflite, keras, write_model


def _pool_model(shape, kind="max", size=1):
    def build():
        k = keras()
        inp = k.Input(shape)
        layer = k.layers.MaxPooling2D if kind == "max" else k.layers.AveragePooling2D
        return k.Model(inp, layer(size)(inp))
    return build


def _residual_model(shape):
    def build():
        k = keras()
        inp = k.Input(shape)
        x = k.layers.Conv2D(shape[-1], 3, padding="same")(inp)
        return k.Model(inp, k.layers.ReLU()(x + inp))
    return build


def _edge_values(scale: float, zero_point: int, n: int, rng) -> np.ndarray:
    """Floats QUANTIZE must round and clamp exactly: signed zeros, both clamp ends and beyond,
    (k + 1/2) * scale ties and their neighbours one ulp away, then random values.
    |x / scale| stays below 2^31: beyond it (and for NaN) TFLite's static_cast<int32_t> is
    undefined behaviour (x86 gives INT32_MIN, so +inf quantizes to -128); tinycc-ml saturates."""
    big = np.float32(2.0**30) * np.float32(scale)
    special = np.array([0.0, -0.0, big, -big, 1e6 * scale, -1e6 * scale,
                        (127 - zero_point) * scale, (-128 - zero_point) * scale,
                        (127.5 - zero_point) * scale, (-128.5 - zero_point) * scale,
                        (128 - zero_point) * scale, (-129 - zero_point) * scale, 1e-30, -1e-30],
                       dtype=np.float32)
    k = np.arange(-140, 140, dtype=np.float32)
    ties = (k + np.float32(0.5)) * np.float32(scale)
    ties = np.stack([ties, np.nextafter(ties, np.float32(np.inf)),
                     np.nextafter(ties, np.float32(-np.inf))], axis=1).reshape(-1)
    values = np.concatenate([special, ties, rng.uniform(-3, 3, max(n, 1)).astype(np.float32)])
    return values[:n]


def _float_bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, np.float32).view(np.int32)


# id: (model builder, input HWC)
FLOAT_IO = {
    "float_io_maxpool_identity": (_pool_model((8, 8, 4)), (8, 8, 4)),
    "float_io_avgpool_k2": (_pool_model((8, 8, 4), "avg", 2), (8, 8, 4)),
    "float_io_conv_add_relu": (_residual_model((6, 6, 3)), (6, 6, 3)),
}


@pytest.mark.parametrize("case", list(FLOAT_IO))
def test_float_io_bitexact(case, tmp_path):
    """float32 in, float32 out: QUANTIZE first, DEQUANTIZE last, equal to the bit."""
    build, shape = FLOAT_IO[case]
    path = write_model(int8_tflite(build, [shape], seed=3, n_calib=8, io_type="float32"), tmp_path)
    host = compile_and_build(path)
    g = host.compiled.graph
    assert (g.ops[0].kind, g.ops[-1].kind) == ("QUANTIZE", "DEQUANTIZE")
    assert g.tensor(g.inputs[0]).dtype == g.tensor(g.outputs[0]).dtype == "float32"
    assert_bitexact(path, n=5, host=host)

    from tinycc_ml.reference import TFLiteReference
    ref = TFLiteReference(path)
    scale, zp = g.tensor(g.ops[0].outputs[0]).qparams()
    x = _edge_values(scale, zp, int(np.prod(shape)), np.random.default_rng(0)).reshape((1,) + shape)
    np.testing.assert_array_equal(_float_bits(host.run([x])[0]), _float_bits(ref.run([x])[0]))


def test_io_helpers_match_tflite(tmp_path):
    """NAME_quantize_input0 / NAME_dequantize_output0 of an int8-I/O model equal TFLite's QUANTIZE
    and DEQUANTIZE in the float-I/O conversion of the same model (same scales)."""
    from tinycc_ml.frontends import load
    from tinycc_ml.reference import TFLiteReference
    shape = (32, 32, 4)
    build = _pool_model(shape)
    int8_path = write_model(int8_tflite(build, [shape], seed=1, n_calib=8), tmp_path, "i8.tflite")
    float_path = write_model(int8_tflite(build, [shape], seed=1, n_calib=8, io_type="float32"),
                             tmp_path, "f32.tflite")
    g8, gf = load(int8_path), load(float_path)
    quantize, dequantize = gf.ops[0], gf.ops[-1]
    assert (quantize.kind, dequantize.kind) == ("QUANTIZE", "DEQUANTIZE")
    assert g8.tensor(g8.inputs[0]).qparams() == gf.tensor(quantize.outputs[0]).qparams()
    assert g8.tensor(g8.outputs[0]).qparams() == gf.tensor(dequantize.inputs[0]).qparams()

    lib = compile_and_build(int8_path, name="m").lib
    ref = TFLiteReference(float_path, preserve_all=True)
    index = gf.meta["tensor_index"]
    scale, zp = gf.tensor(quantize.outputs[0]).qparams()
    codes = np.arange(-128, 128, dtype=np.float32)
    on_grid = np.resize((codes - zp) * np.float32(scale), 1024)       # every int8 code once
    x = np.concatenate([on_grid, _edge_values(scale, zp, 1024 * 3, np.random.default_rng(1))])
    x = x.reshape((1,) + shape)
    y = ref.run([x])[0]

    q_ref = ref.tensor(index[quantize.outputs[0]]).reshape(-1)
    q_ours = np.array([lib.m_quantize_input0(float(v)) for v in x.reshape(-1)], np.int8)
    np.testing.assert_array_equal(q_ours, q_ref)

    q_out = ref.tensor(index[dequantize.inputs[0]]).reshape(-1)
    assert len(np.unique(q_out)) == 256
    f_ours = np.array([lib.m_dequantize_output0(int(q)) for q in q_out], np.float32)
    np.testing.assert_array_equal(_float_bits(f_ours), _float_bits(y.reshape(-1)))


def _edit_model(data: bytes, output=None, input=None) -> bytes:
    """The model with a QUANTIZE appended after its output and/or prepended before its input,
    each (dtype, scale, zero point): requantizations the converter does not emit on its own."""
    import copy

    import flatbuffers
    from tensorflow.lite.python import schema_py_generated as fb
    types = {"int8": fb.TensorType.INT8, "uint8": fb.TensorType.UINT8}
    m = fb.ModelT.InitFromPackedBuf(data, 0)
    sg = m.subgraphs[0]
    code = fb.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = fb.BuiltinOperator.QUANTIZE
    code.version = 2
    m.operatorCodes.append(code)

    def new_tensor(like, name, q):
        t = copy.deepcopy(sg.tensors[like])
        t.name, t.type, t.buffer = name.encode(), types[q[0]], 0
        t.quantization = fb.QuantizationParametersT()
        t.quantization.scale, t.quantization.zeroPoint = [float(q[1])], [int(q[2])]
        sg.tensors.append(t)
        return len(sg.tensors) - 1

    def quantize_op(src, dst):
        op = fb.OperatorT()
        op.opcodeIndex, op.inputs, op.outputs = len(m.operatorCodes) - 1, [src], [dst]
        return op

    if output is not None:
        dst = new_tensor(sg.outputs[0], "requantized_output", output)
        sg.operators.append(quantize_op(sg.outputs[0], dst))
        sg.outputs = [dst]
    if input is not None:
        src = new_tensor(sg.inputs[0], "raw_input", input)
        sg.operators.insert(0, quantize_op(src, sg.inputs[0]))
        sg.inputs = [src]
    m.signatureDefs = []
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


# id: (appended output (dtype, scale ratio to the model's output, zero point) or None,
#      prepended input (dtype, scale ratio to the model's input, zero point) or None)
REQUANTIZE = {
    "s8_to_s8_scale_x2.7_zp5": (("int8", 2.7, 5), None),        # multiplier < 1
    "s8_to_s8_scale_x0.37_zp-20": (("int8", 0.37, -20), None),  # shift > 0: values clamp
    "s8_to_s8_scale_x0.001": (("int8", 0.001, 0), None),        # large left shift
    "s8_to_s8_same_scale_zp-128": (("int8", 1.0, -128), None),
    "s8_to_u8_scale_x1.9_zp130": (("uint8", 1.9, 130), None),
    "u8_to_s8_scale_x0.6_zp200": (None, ("uint8", 0.6, 200)),
    "u8_to_s8_and_s8_to_u8": (("uint8", 1.3, 7), ("uint8", 1.7, 3)),
}


@pytest.mark.parametrize("case", list(REQUANTIZE))
def test_requantize_bitexact(case, tmp_path):
    output, inp = REQUANTIZE[case]
    from tinycc_ml.frontends import load
    base = write_model(int8_tflite(_pool_model((6, 6, 8), "avg", 2), [(6, 6, 8)], seed=2,
                                   n_calib=8), tmp_path, "base.tflite")
    g = load(base)
    s_out, _ = g.tensor(g.outputs[0]).qparams()
    s_in, _ = g.tensor(g.inputs[0]).qparams()
    edit = {}
    if output:
        edit["output"] = (output[0], s_out * output[1], output[2])
    if inp:
        edit["input"] = (inp[0], s_in * inp[1], inp[2])
    path = write_model(_edit_model(base.read_bytes(), **edit), tmp_path)
    kinds = [op.kind for op in load(path).ops]
    assert kinds.count("QUANTIZE") == len(edit), kinds
    assert_bitexact(path, n=20)


def test_uint8_io_converter(tmp_path):
    """The converter's uint8 I/O: QUANTIZE uint8 -> int8 in front, int8 -> uint8 at the end."""
    path = write_model(int8_tflite(_residual_model((5, 5, 4)), [(5, 5, 4)], seed=4, n_calib=8,
                                   io_type="uint8"), tmp_path)
    host = compile_and_build(path)
    g = host.compiled.graph
    assert [g.tensor(g.ops[i].inputs[0]).dtype for i in (0, -1)] == ["uint8", "int8"]
    assert (g.ops[0].kind, g.ops[-1].kind) == ("QUANTIZE", "QUANTIZE")
    assert_bitexact(path, n=20, host=host)


def test_quantize_bad_input():
    x = tensor("x", (1, 8), "float32", scale=None)
    assert compile_error(single_op("QUANTIZE", [x], tensor("q", (1, 8), "int32"))) == (
        "bad.tflite: op 0 (QUANTIZE 'q'): TFLite has no float32 -> int32 quantization")
    assert compile_error(single_op("QUANTIZE", [x], tensor("q", (1, 8), "int64"))) == (
        "bad.tflite: op 0 (QUANTIZE 'q'): output 'q' has type int64; supported: int8, uint8, "
        "int16, int32")
    assert compile_error(single_op("QUANTIZE", [tensor("x", (1, 8), "uint8")],
                                   tensor("q", (1, 8), "int16"))) == (
        "bad.tflite: op 0 (QUANTIZE 'q'): TFLite has no uint8 -> int16 requantization")
    per_channel = tensor("q", (1, 8))
    per_channel = dataclasses.replace(per_channel, scale=np.full(8, 0.1, np.float32),
                                      zero_point=np.zeros(8, np.int64), quant_axis=1)
    assert compile_error(single_op("QUANTIZE", [x], per_channel)) == (
        "bad.tflite: op 0 (QUANTIZE 'q'): output 'q' is quantized per channel; only per-tensor "
        "is supported")
    assert compile_error(single_op("QUANTIZE", [x], tensor("q", (1, 8), scale=0.0))) == (
        "bad.tflite: op 0 (QUANTIZE 'q'): output scale 0.0 must be positive and finite")
    assert compile_error(single_op("QUANTIZE", [tensor("x", (1, 8), scale=1.0)],
                                   tensor("q", (1, 8), scale=1e-9))) == (
        "bad.tflite: op 0 (QUANTIZE 'q'): the rescale (input scale / output scale) is above "
        "2^23; the int32 arithmetic would overflow")
    assert compile_error(single_op("DEQUANTIZE", [tensor("q", (1, 8), "int32")],
                                   tensor("y", (1, 8), "float32", scale=None))) == (
        "bad.tflite: op 0 (DEQUANTIZE 'y'): input 'q' has type int32; supported: int8, uint8, "
        "int16")


def test_c_contract(tmp_path):
    """The float kernels build warning-free under gcc, clang and arm-none-eabi-gcc; the
    requantizing kernels (uint8 in and out) run clean under ASan + UBSan and equal BUILTIN_REF."""
    from tests.ops._c_contract import sanitized_run, strict_builds
    from tinycc_ml.frontends import load
    from tinycc_ml.reference import TFLiteReference, random_inputs
    build = _pool_model((6, 6, 8), "avg", 2)
    float_path = write_model(int8_tflite(build, [(6, 6, 8)], seed=2, n_calib=8,
                                         io_type="float32"), tmp_path, "f32.tflite")
    strict_builds(float_path, tmp_path / "strict")
    base = int8_tflite(build, [(6, 6, 8)], seed=2, n_calib=8)
    g = load(write_model(base, tmp_path, "base.tflite"))
    s_in, s_out = g.tensor(g.inputs[0]).qparams()[0], g.tensor(g.outputs[0]).qparams()[0]
    path = write_model(_edit_model(base, output=("uint8", s_out * 1.3, 7),
                                   input=("uint8", s_in * 0.45, 250)), tmp_path)
    ref = TFLiteReference(path)
    xs = random_inputs([(d["shape"], d["dtype"]) for d in ref.inputs], np.random.default_rng(3))
    got = sanitized_run(path, xs, tmp_path / "asan")[0].view(np.uint8)
    np.testing.assert_array_equal(got, ref.run(xs)[0].reshape(got.shape))


# QUANTIZE with int32 (TensorFlow 2.21's quantize.cc: int16 -> int32, int32 -> int8 / int16):
# id: (input dtype, output dtype, input scale / output scale, input zero point, output zp)
INT32 = {
    # keyword_scrambled (TFLite Micro's SVDF keyword spotter) ends in int16 -> int32
    "s16_to_s32_left_shift_12": ("int16", "int32", 0.0004943124 / 1.4901161e-07, 0, 0),
    "s16_to_s32_left_shift_15_zp_wraps": ("int16", "int32", 32767.0, 5, 2_000_000_000),
    "s16_to_s32_right_shift": ("int16", "int32", 0.37, -7, -11),
    "s32_to_s16_seanet": ("int32", "int16", 1.4901161e-07 / 0.00092197146, 0, 0),
    "s32_to_s16_zp_wraps": ("int32", "int16", 0.001, 2_000_000_000, 3),
    "s32_to_s8": ("int32", "int8", 1e-6, -1_000, -5),
    "s32_to_s8_scale_x0.75": ("int32", "int8", 0.75, 0, 0),
}


def _quantize_model(src, dst, ratio, zp_in, zp_out, shape=(1, 4, 64)) -> bytes:
    from tests.stateful._build import ModelBuilder
    b = ModelBuilder()
    s_out = 0.01
    b.tensor("x", shape, src, scale=np.float32(s_out * ratio), zero_point=zp_in)
    b.tensor("y", shape, dst, scale=np.float32(s_out), zero_point=zp_out)
    b.op("QUANTIZE", ["x"], ["y"])
    return b.bytes(["x"], ["y"])


@pytest.mark.parametrize("case", list(INT32))
def test_requantize_int32_bitexact(case, tmp_path):
    """Random inputs over the whole input type and its extremes, every output against
    BUILTIN_REF: the wrapping int32 subtraction and addition included."""
    from tinycc_ml.reference import TFLiteReference
    src, dst, ratio, zp_in, zp_out = INT32[case]
    path = write_model(_quantize_model(src, dst, ratio, zp_in, zp_out), tmp_path)
    host = compile_and_build(path)
    ref = TFLiteReference(path)
    info = np.iinfo(np.dtype(src))
    rng = np.random.default_rng(len(case))
    for k in range(4):
        x = rng.integers(info.min, int(info.max) + 1, size=(1, 4, 64), dtype=src)
        x.reshape(-1)[:6] = [info.min, info.min + 1, -1, 0, info.max - 1, info.max]
        if k == 1:
            x = (x >> 16).astype(src)      # small values: the non-saturated outputs
        np.testing.assert_array_equal(host.run([x])[0], ref.run([x])[0], err_msg=case)


def test_quantize_int32_refused_as_tflite_refuses():
    """The pairs quantize.cc's Prepare refuses (probed on TensorFlow 2.21's interpreter)."""
    for src, dst in (("int32", "int32"), ("int8", "int32"), ("uint8", "int32"),
                     ("int32", "uint8")):
        assert compile_error(single_op("QUANTIZE", [tensor("x", (1, 8), src)],
                                       tensor("q", (1, 8), dst))) == (
            f"bad.tflite: op 0 (QUANTIZE 'q'): TFLite has no {src} -> {dst} requantization")
    assert compile_error(single_op("QUANTIZE", [tensor("x", (1, 8), "int32", scale=1.0)],
                                   tensor("q", (1, 8), "int16", scale=0.5))) == (
        "bad.tflite: op 0 (QUANTIZE 'q'): the rescale (input scale / output scale) is above "
        "2^0; the int32 arithmetic would overflow")


@pytest.mark.parametrize("case", ["s16_to_s32_left_shift_15_zp_wraps", "s32_to_s16_zp_wraps"])
def test_int32_c_contract(case, tmp_path):
    """The int32 requantizations build warning-free under gcc, clang and arm-none-eabi-gcc and
    run clean under ASan + UBSan where their int32 arithmetic wraps, equal to BUILTIN_REF."""
    from tests.ops._c_contract import sanitized_run, strict_builds
    from tinycc_ml.reference import TFLiteReference
    src, dst, ratio, zp_in, zp_out = INT32[case]
    path = write_model(_quantize_model(src, dst, ratio, zp_in, zp_out), tmp_path)
    strict_builds(path, tmp_path / "strict")
    info = np.iinfo(np.dtype(src))
    x = np.random.default_rng(5).integers(info.min, int(info.max) + 1, size=(1, 4, 64), dtype=src)
    x.reshape(-1)[:2] = [info.min, info.max]
    got = sanitized_run(path, [x], tmp_path / "asan")[0]
    want = TFLiteReference(path).run([x])[0]
    np.testing.assert_array_equal(got.view(want.dtype).reshape(want.shape), want)
