"""The 16x8 scheme's other ops (int16 activations; ops/_int16.py) against TFLite BUILTIN_REF on
Keras models converted with EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8:
hypothesis over shapes, broadcasting, attributes and the calibration range (which sets the
scales); ADD/SUB/MUL, AVERAGE/MAX_POOL_2D, MEAN, RELU/RELU6/LEAKY_RELU, TRANSPOSE_CONV,
QUANTIZE (float and int8 <-> int16), the data-movement ops (RESHAPE, CONCATENATION, PAD,
STRIDED_SLICE, TRANSPOSE); in-place planning in bytes; the C contract; bad input; the int16
MAXIMUM, GATHER, MIRROR_PAD, ABS, REDUCE_MAX / REDUCE_MIN kernels in one model on Cortex-M4
and M55 under QEMU (each op's own tests hold its int16 properties)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.ops._c_contract import assert_c_contract, quant_error
from tests.ops._int16 import chosen_kernels, x16_tflite
from tests.ops._props import assert_model_bitexact, assert_qemu_bitexact
from tests.util import keras, single_layer, write_model

# each example converts a model (~2 s): fewer than _props.MODELS, no shrinking marathons
X16 = settings(max_examples=8, deadline=None, derandomize=True, database=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SCALES = st.sampled_from([0.1, 1.0, 30.0])


def _two_inputs(shape_a, shape_b, fn):
    def build():
        k = keras()
        a, b = k.Input(shape_a), k.Input(shape_b)
        return k.Model([a, b], fn(k, a, b))
    return build


@X16
@given(kind=st.sampled_from(["ADD", "SUB", "MUL"]), h=st.integers(1, 4), w=st.integers(1, 5),
       c=st.integers(1, 4), broadcast=st.sampled_from(["none", "row", "channel"]),
       act=st.sampled_from([None, "relu"]), scale=SCALES)
def test_int16_binary(kind, h, w, c, broadcast, act, scale):
    shape_b = {"none": (h, w, c), "row": (1, w, c), "channel": (1, 1, c)}[broadcast]
    layer = {"ADD": "Add", "SUB": "Subtract", "MUL": "Multiply"}[kind]

    def fn(k, a, b):
        y = getattr(k.layers, layer)()([a, b])
        return k.layers.Activation(act)(y) if act else y
    data = x16_tflite(_two_inputs((h, w, c), shape_b, fn), [(h, w, c), shape_b],
                      low=-scale, high=scale)
    assert_model_bitexact(data, [kind], n=5)


@X16
@given(kind=st.sampled_from(["AveragePooling2D", "MaxPooling2D"]), h=st.integers(1, 7),
       w=st.integers(1, 7), c=st.integers(1, 4), k_h=st.integers(1, 3), k_w=st.integers(1, 3),
       stride=st.integers(1, 3), padding=st.sampled_from(["same", "valid"]))
def test_int16_pool(kind, h, w, c, k_h, k_w, stride, padding):
    if padding == "valid":
        k_h, k_w = min(k_h, h), min(k_w, w)
    data = x16_tflite(single_layer((h, w, c), lambda k, x: getattr(k.layers, kind)(
        (k_h, k_w), strides=stride, padding=padding)(x)), [(h, w, c)])
    assert_model_bitexact(data, ["AVERAGE_POOL_2D" if kind.startswith("Average")
                                 else "MAX_POOL_2D"], n=4)


@X16
@given(h=st.integers(1, 6), w=st.integers(1, 6), c=st.integers(1, 5),
       axes=st.sampled_from([(1, 2), (3,), (1,), (2, 3)]), keepdims=st.booleans(), scale=SCALES)
def test_int16_mean(h, w, c, axes, keepdims, scale):
    def layer(k, x):
        return k.ops.mean(x, axis=axes, keepdims=keepdims)
    data = x16_tflite(single_layer((h, w, c), layer), [(h, w, c)], low=-scale, high=scale)
    assert_model_bitexact(data, ["MEAN"], n=4)


@X16
@given(act=st.sampled_from(["relu", "relu6", "leaky"]), n=st.integers(1, 40),
       alpha=st.sampled_from([0.01, 0.2, 0.5]), scale=st.sampled_from([0.5, 4.0, 20.0]))
def test_int16_relu_family(act, n, alpha, scale):
    def layer(k, x):
        y = k.layers.Dense(n, bias_initializer="random_normal")(x)   # an int16 producer
        if act == "leaky":
            return k.layers.LeakyReLU(negative_slope=alpha)(y)
        return k.layers.ReLU(6.0 if act == "relu6" else None)(y)
    data = x16_tflite(single_layer((7,), layer), [(7,)], low=-scale, high=scale)
    kinds = {"relu": "RELU", "relu6": "RELU6", "leaky": "LEAKY_RELU"}
    from tinycc_ml.frontends.tflite import read
    present = {op.kind for op in read(data, "m").ops}
    # the converter fuses RELU/RELU6 into the Dense: then the FC's clamp is what is tested
    assert_model_bitexact(data, [kinds[act]] if kinds[act] in present else [], n=5)


@X16
@given(h=st.integers(1, 5), w=st.integers(1, 5), c=st.integers(1, 4), f=st.integers(1, 5),
       k=st.integers(1, 4), stride=st.integers(1, 3), padding=st.sampled_from(["same", "valid"]),
       use_bias=st.booleans(), per_channel=st.booleans())
def test_int16_transpose_conv(h, w, c, f, k, stride, padding, use_bias, per_channel):
    layer = lambda kk, x: kk.layers.Conv2DTranspose(         # noqa: E731
        f, k, strides=stride, padding=padding, use_bias=use_bias,
        bias_initializer="random_normal")(x)
    data = x16_tflite(single_layer((h, w, c), layer), [(h, w, c)], per_channel=per_channel)
    assert_model_bitexact(data, ["TRANSPOSE_CONV"], n=4)


@X16
@given(n=st.integers(1, 30), low=st.sampled_from([0.01, 1.0, 100.0]),
       io=st.sampled_from(["float32", "int8_in_int16"]))
def test_int16_quantize(n, low, io):
    """float32 I/O: QUANTIZE float -> int16 and DEQUANTIZE int16 -> float at the edges; the
    requantizations QUANTIZE int16 -> int16 -> int8 appended by editing (the converter itself
    writes int16 around every op; TFLite has no int8 -> int16 requantization)."""
    def layer(k, x):
        return k.layers.Dense(n, bias_initializer="random_normal")(x)
    data = x16_tflite(single_layer((5,), layer), [(5,)], low=-low, high=low,
                      io_type="float32" if io == "float32" else "int16")
    if io == "float32":
        assert_model_bitexact(data, ["QUANTIZE", "DEQUANTIZE"], n=6)
    else:
        data = _requantize_through_int8(data)
        assert_model_bitexact(data, ["QUANTIZE"], n=6)


def _requantize_through_int8(data: bytes) -> bytes:
    """The model's output passed through QUANTIZE int16 -> int16 -> int8 (appended ops)."""
    from tests.cli.tflite_edit import edit, schema as tflite_schema
    schema = tflite_schema()

    def change(model):
        sg = model.subgraphs[0]
        out = sg.outputs[0]
        src = sg.tensors[out]
        q_code = next((i for i, c in enumerate(model.operatorCodes)
                       if max(c.builtinCode, c.deprecatedBuiltinCode) ==
                       schema.BuiltinOperator.QUANTIZE), None)
        if q_code is None:
            code = schema.OperatorCodeT()
            code.builtinCode = code.deprecatedBuiltinCode = schema.BuiltinOperator.QUANTIZE
            code.version = 1
            model.operatorCodes.append(code)
            q_code = len(model.operatorCodes) - 1

        def tensor(name, dtype, scale):
            t = schema.TensorT()
            t.name, t.shape, t.type, t.buffer = name.encode(), list(src.shape), dtype, 0
            t.quantization = schema.QuantizationParametersT()
            t.quantization.scale = [scale]
            t.quantization.zeroPoint = [0]
            sg.tensors.append(t)
            return len(sg.tensors) - 1
        s = float(src.quantization.scale[0])
        mid = tensor("rescaled", schema.TensorType.INT16, s * 2.5)
        end = tensor("as_int8", schema.TensorType.INT8, s * 300.0)
        for i, o in ((out, mid), (mid, end)):
            op = schema.OperatorT()
            op.opcodeIndex, op.inputs, op.outputs = q_code, [i], [o]
            sg.operators.append(op)
        sg.outputs = [end]
    return edit(data, change)


@X16
@given(rows=st.integers(1, 4), cols=st.integers(1, 6), pad=st.integers(0, 2),
       crop=st.integers(0, 1), scale=SCALES)
def test_int16_data_movement(rows, cols, pad, crop, scale):
    """RESHAPE, PAD, STRIDED_SLICE (Cropping1D), TRANSPOSE (Permute) and CONCATENATION on int16
    tensors: byte copies, the views taken in bytes."""
    def layer(k, x):
        y = k.layers.Dense(cols, bias_initializer="random_normal")(x)      # [rows + .., cols]
        y = k.layers.ZeroPadding1D(pad)(y)
        y = k.layers.Cropping1D((crop, 0))(y)
        z = k.layers.Permute((2, 1))(y)
        return k.layers.Concatenate()([k.layers.Reshape((-1,))(z), k.layers.Reshape((-1,))(y)])
    data = x16_tflite(single_layer((rows, 3), layer), [(rows, 3)], low=-scale, high=scale)
    assert_model_bitexact(data, ["CONCATENATION", "TRANSPOSE"], n=4)


def _residual_block():
    def build():
        k = keras()
        x = k.Input((6, 6, 4))
        a = k.layers.Conv2D(4, 3, padding="same", activation="relu")(x)
        b = k.layers.Conv2D(4, 1)(a)
        s = k.layers.Add()([a, b])
        return k.Model(x, k.layers.MaxPooling2D(2)(k.layers.Multiply()([s, s])))
    return x16_tflite(build, [(6, 6, 4)])


def test_int16_inplace_in_bytes(tmp_path):
    """The planner writes int16 outputs over inputs that die there (the ADD over its operand,
    a convolution's output over its input at the window gap in bytes), and stays bit-exact."""
    from tests.util import compile_and_build, assert_bitexact
    path = write_model(_residual_block(), tmp_path)
    host = compile_and_build(path)
    g, plan = host.compiled.graph, host.compiled.plan
    kinds = {g.ops[link.position].kind for link in plan.inplace}
    assert kinds & {"ADD", "MUL"}, plan.inplace
    for link in plan.inplace:
        assert link.gap % 2 == 0, link          # whole int16 values
    assert_bitexact(path, n=6, host=host)


def test_int16_kernel_choice(tmp_path):
    chosen = chosen_kernels(_residual_block(), tmp_path, "cortex-m4")
    assert chosen["ADD"] == {"tcm_add_s16"} and chosen["MUL"] == {"tcm_mul_s16"}
    assert chosen["MAX_POOL_2D"] == {"tcm_max_pool_s16"}


def test_int16_ops_c_contract(tmp_path):
    path = write_model(_residual_block(), tmp_path)
    rng = np.random.default_rng(0)
    assert_c_contract(path, [rng.integers(-32768, 32768, (1, 6, 6, 4), dtype=np.int16)], tmp_path)


def test_int16_bad_input(tmp_path):
    msg = quant_error(_residual_block(), "ADD", lambda op: {op.outputs[0]: (0.01, 5)}, tmp_path)
    assert "has zero point 5; int16 activations are symmetric (zero point 0)" in msg, msg


def test_int16_io_helpers_match_tflite(tmp_path):
    """NAME_quantize_input0 / NAME_dequantize_output0 of an int16-I/O model equal TFLite's
    QUANTIZE (float -> int16) and DEQUANTIZE (int16 -> float) in the float-I/O conversion of the
    same model (same scales), on values on, between and beyond the int16 grid."""
    from tests.util import compile_and_build
    from tinycc_ml.frontends import load
    from tinycc_ml.reference import TFLiteReference

    def layer(k, x):
        return k.layers.Dense(64, bias_initializer="random_normal")(x)
    build = single_layer((64,), layer)
    i16 = write_model(x16_tflite(build, [(64,)], seed=2), tmp_path, "i16.tflite")
    f32 = write_model(x16_tflite(build, [(64,)], seed=2, io_type="float32"), tmp_path, "f.tflite")
    g16, gf = load(i16), load(f32)
    quantize, dequantize = gf.ops[0], gf.ops[-1]
    assert (quantize.kind, dequantize.kind) == ("QUANTIZE", "DEQUANTIZE")
    assert g16.tensor(g16.inputs[0]).qparams() == gf.tensor(quantize.outputs[0]).qparams()
    lib = compile_and_build(i16, name="m").lib
    ref = TFLiteReference(f32, preserve_all=True)
    index = gf.meta["tensor_index"]
    scale, _ = gf.tensor(quantize.outputs[0]).qparams()
    rng = np.random.default_rng(4)
    s = np.float32(scale)
    for codes in (rng.integers(-32768, 32768, 64), rng.integers(-40000, 40000, 64)):
        x = (codes.astype(np.float32) + rng.choice([0, 0.5, -0.5, 0.25], 64).astype(np.float32)) * s
        y = ref.run([x.reshape(1, 64)])[0]
        q_ref = ref.tensor(index[quantize.outputs[0]]).reshape(-1)
        q_ours = np.array([lib.m_quantize_input0(float(v)) for v in x], np.int16)
        np.testing.assert_array_equal(q_ours, q_ref)
        q_out = ref.tensor(index[dequantize.inputs[0]]).reshape(-1)
        f_ours = np.array([lib.m_dequantize_output0(int(q)) for q in q_out], np.float32)
        np.testing.assert_array_equal(f_ours.view(np.uint32), y.reshape(-1).view(np.uint32))


@X16
@given(rows=st.integers(1, 4), cols=st.integers(2, 6), parts=st.integers(2, 3))
def test_int16_split_pack_unpack(rows, cols, parts):
    """SPLIT, UNPACK and PACK on int16 (keras.ops.split / unstack / stack): byte views and
    byte blocks."""
    def layer(k, x):
        y = k.layers.Dense(cols * parts, bias_initializer="random_normal")(x)   # [rows, c*p]
        pieces = k.ops.split(y, parts, axis=-1)
        stacked = k.ops.stack(k.ops.unstack(pieces[0], axis=1), axis=2)   # [1, rows, cols]
        return k.layers.Concatenate()([k.layers.Flatten()(stacked),
                                       k.layers.Flatten()(pieces[-1])])
    data = x16_tflite(single_layer((rows, 3), layer), [(rows, 3)])
    from tinycc_ml.frontends.tflite import read
    present = {op.kind for op in read(data, "m").ops}
    assert {"SPLIT", "UNPACK", "PACK"} & present, present
    assert_model_bitexact(data, n=4)


def test_int16_data_movement_c_contract(tmp_path):
    """PAD, STRIDED_SLICE, TRANSPOSE, SPLIT, UNPACK, PACK, CONCATENATION on int16: warning-free
    (the byte kernels take int16 tensors through int8_t pointers), clean under ASan + UBSan,
    equal to BUILTIN_REF."""
    def layer(k, x):
        y = k.layers.Dense(8, bias_initializer="random_normal")(x)            # [3, 8]
        y = k.layers.Cropping1D((1, 0))(k.layers.ZeroPadding1D(1)(y))         # [4, 8]
        a, b = k.ops.split(y, 2, axis=-1)
        s = k.ops.stack(k.ops.unstack(a, axis=1), axis=2)
        return k.layers.Concatenate()([k.layers.Flatten()(k.layers.Permute((2, 1))(b)),
                                       k.layers.Flatten()(s)])
    path = write_model(x16_tflite(single_layer((3, 3), layer), [(3, 3)]), tmp_path)
    rng = np.random.default_rng(1)
    assert_c_contract(path, [rng.integers(-32768, 32768, (1, 3, 3), dtype=np.int16)], tmp_path)


@pytest.mark.parametrize("core", ["cortex-m4", "cortex-m55"])
def test_int16_compare_and_gather_ops_on_qemu(core):
    def layer(k, x):
        from tests.util import tf
        y = k.ops.take(k.ops.maximum(k.layers.Dense(8)(x), 0.1), np.array([3, 0, 7, 7]), axis=-1)
        y = k.layers.Lambda(lambda t: tf().pad(t, [[0, 0], [1, 1], [2, 1]], mode="REFLECT"))(y)
        return k.ops.max(k.ops.abs(y), axis=1) + k.ops.min(y, axis=1)
    data = x16_tflite(single_layer((6, 8), layer), [(6, 8)])
    from tinycc_ml.frontends.tflite import read
    kinds = {op.kind for op in read(data, "m").ops}
    assert {"MAXIMUM", "GATHER", "MIRROR_PAD", "ABS", "REDUCE_MAX", "REDUCE_MIN"} <= kinds, kinds
    assert_qemu_bitexact(data, core)
