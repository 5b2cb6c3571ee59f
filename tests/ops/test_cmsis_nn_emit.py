"""--kernels cmsis-nn without CMSIS-NN: the emitted calls, their arguments and scratch.

CMSIS-NN is the user's (never built by the tests), so these tests read the generated C instead:
which function each layer calls, the argument structs and values, the scratch size and where the
arena holds it, and the compile summary. Expected values come from the model itself (read by
TFLite's interpreter, not by tinycc-ml's frontend) and CMSIS-NN's documented formulas:
arm_avgpool_s8_get_buffer_size_dsp = channels * sizeof(int32_t) (_mve: 0),
arm_fully_connected_s8_get_buffer_size_mve = filter_dims->c * sizeof(int32_t) (_dsp: 0),
arm_vector_sum_s8 = bias + lhs_offset * sum(row), TFLite's SAME padding (total // 2 before),
CalculateInputRadius for softmax's diff_min. The numerics of the same layers on real CMSIS-NN
are checked by hand (`tinycc-ml verify --kernels cmsis-nn --cmsis-nn DIR --target cortex-m4`).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from tests.ops._ir import single_op, tensor
from tests.util import int8_tflite, keras, tf, write_model
from tinycc_ml.backends.calls import split_args
from tinycc_ml.compiler import Options, compile_file, compile_graph
from tinycc_ml.ir import Tensor, frozen_array

IN_SHAPE = (9, 7, 6)        # SAME 3x3 stride 2 pools: out 5x4, one row/column of padding before
BIAS_SHAPE = (1, 1, 6)
UNITS = 10


def _build():
    k = keras()
    x = k.Input(IN_SHAPE, name="x")
    bias = k.Input(BIAS_SHAPE, name="bias")
    a = k.layers.AveragePooling2D(3, strides=2, padding="same")(x)
    m = k.layers.MaxPooling2D(3, strides=2, padding="same")(x)
    s = k.layers.Add()([a, m])                  # equal shapes: arm_elementwise_add_s8
    t = k.layers.Add()([s, bias])               # broadcast: tinycc-ml's kernel
    y = k.layers.Dense(UNITS, bias_initializer=k.initializers.RandomUniform(-1, 1))(
        k.layers.Flatten()(t))
    return k.Model([x, bias], k.layers.Softmax()(y))


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    data = int8_tflite(_build, [IN_SHAPE, BIAS_SHAPE], seed=3, n_calib=8, per_channel=False)
    return write_model(data, tmp_path_factory.mktemp("cmsis"))


@pytest.fixture(scope="module")
def tflite_tensors(model):
    """The model's tensors as TFLite's own interpreter reads them: index -> (details, data)."""
    it = tf().lite.Interpreter(model_path=str(model))
    it.allocate_tensors()
    out = {}
    for d in it.get_tensor_details():
        try:
            data = it.get_tensor(d["index"])
        except ValueError:
            data = None
        out[d["index"]] = (d, data)
    return it, out


def _compile(model, target, **kw):
    return compile_file(model, Options(name="m", target=target, kernels="cmsis-nn", **kw))


# --- reading the generated C ---------------------------------------------------------------------

def calls(c_text: str, function: str) -> list[list[str]]:
    """The argument lists of every call to `function` in the model's C."""
    out = []
    for m in re.finditer(rf"\b{function}\(", c_text):
        depth, i = 1, m.end()
        while depth:
            depth += {"(": 1, ")": -1}.get(c_text[i], 0)
            i += 1
        out.append(split_args(c_text[m.end():i - 1]))
    return out


def one_line_calls(c_text: str) -> str:
    """`c_text` with every call's arguments back on one line (the generated C writes them one
    per line), for comparing whole statements."""
    return re.sub(r"\(\n\s*", "(", re.sub(r",\n\s*", ", ", c_text))


def _value(v: str):
    v = v.strip()
    if v.startswith("{"):
        return {k: _value(x) for k, x in re.findall(r"\.(\w+) = (-?\d+|\(-2147483647 - 1\))", v)}
    if v == "(-2147483647 - 1)":
        return -2**31
    return int(v) if re.fullmatch(r"-?\d+", v) else v


def struct(c_text: str, ref: str) -> tuple[str, dict]:
    """(C type, fields) of the static const struct `&name` refers to."""
    name = ref.lstrip("&")
    m = re.search(rf"static const (\w+) {name} = \{{\n(.*?)\n\}};", c_text, re.DOTALL)
    assert m, f"no struct {name}"
    fields = {}
    for line in re.split(r",\n", m.group(2)):
        key, val = line.strip().split(" = ", 1)
        fields[key.lstrip(".")] = _value(val)
    return m.group(1), fields


def const_array(c_text: str, name: str) -> np.ndarray:
    m = re.search(rf"static const \w+ {name}\[(\d+)\] = \{{(.*?)\}};", c_text, re.DOTALL)
    assert m, f"no array {name}"
    body = re.sub(r"\(-2147483647 - 1\)", str(-2**31), m.group(2))
    return np.array([int(x) for x in body.replace("\n", " ").split(",") if x.strip()], np.int64)


def context(arg: str) -> tuple[str, int]:
    """The (buffer expression, size) of a `&(cmsis_nn_context){ buf, size }` argument."""
    m = re.fullmatch(r"&\(cmsis_nn_context\)\{ (.*), (\d+) \}", arg)
    assert m, arg
    return m.group(1).replace("(void *)", ""), int(m.group(2))


def _layer(c, kind):
    layers = [layer for layer in c.layers if layer.kind == kind]
    assert len(layers) == 1, [layer.kind for layer in c.layers]
    return layers[0]


def _same_pad(size, k, stride):
    out = (size + stride - 1) // stride
    return max((out - 1) * stride + k - size, 0) // 2


# --- pools -----------------------------------------------------------------------------------

@pytest.mark.parametrize("target,scratch", [
    ("cortex-m4", IN_SHAPE[2] * 4),      # arm_avgpool_s8_get_buffer_size_dsp: ch * sizeof(int32)
    ("cortex-m7", IN_SHAPE[2] * 4),
    ("cortex-m55", 0),                   # _mve: 0
    ("generic", 0),                      # pure C: 0
])
def test_avgpool_call_and_scratch_in_arena(model, target, scratch):
    c = _compile(model, target)
    text = c.files["m.c"]
    (args,) = calls(text, "arm_avgpool_s8")
    layer = _layer(c, "AVERAGE_POOL_2D")
    assert layer.backend == "cmsis-nn" and layer.scratch_bytes == scratch
    buf, size = context(args[0])
    assert size == scratch
    if scratch:
        offset = c.plan.scratch[layer.position]
        assert buf == f"(arena + {offset})"
        assert offset + scratch <= c.plan.arena_bytes
    else:
        assert buf == "NULL"
    # built with -DTCM_CHECK_CMSIS_NN_BUFFERS, CMSIS-NN's own answer is compared with the size
    assert (f"#ifdef TCM_CHECK_CMSIS_NN_BUFFERS\n    if (arm_avgpool_s8_get_buffer_size(4, 6) != "
            f"{scratch}) {{\n        return -2;") in one_line_calls(text)
    ctype, p = struct(text, args[1])
    assert ctype == "cmsis_nn_pool_params"
    assert p["stride"] == {"w": 2, "h": 2}
    assert p["padding"] == {"w": _same_pad(IN_SHAPE[1], 3, 2), "h": _same_pad(IN_SHAPE[0], 3, 2)}
    assert p["activation"] == {"min": -128, "max": 127}
    assert struct(text, args[2])[1] == {"n": 1, "h": 9, "w": 7, "c": 6}
    assert struct(text, args[4])[1] == {"n": 1, "h": 3, "w": 3, "c": 1}
    assert struct(text, args[5])[1] == {"n": 1, "h": 5, "w": 4, "c": 6}


def test_maxpool_call_needs_no_scratch(model):
    c = _compile(model, "cortex-m4")
    text = c.files["m.c"]
    (args,) = calls(text, "arm_max_pool_s8")
    assert context(args[0]) == ("NULL", 0)
    assert _layer(c, "MAX_POOL_2D").scratch_bytes == 0
    p = struct(text, args[1])[1]
    assert p["stride"] == {"w": 2, "h": 2} and p["padding"] == {"w": 1, "h": 1}
    assert not calls(text, "tcm_max_pool_s8") and not calls(text, "tcm_avg_pool_s8")


# --- ADD -------------------------------------------------------------------------------------

def _add_quant(tensors, op_details):
    (s1, z1), (s2, z2) = (tensors[i][0]["quantization"] for i in op_details["inputs"])
    so, zo = tensors[op_details["outputs"][0]][0]["quantization"]
    return (s1, z1), (s2, z2), (so, zo)


def test_add_same_shape_calls_cmsis_nn_broadcast_keeps_ours(model, tflite_tensors):
    it, tensors = tflite_tensors
    adds = [op for op in it._get_ops_details() if op["op_name"] == "ADD"]
    same = [op for op in adds
            if list(tensors[op["inputs"][0]][0]["shape"]) == list(tensors[op["inputs"][1]][0]["shape"])]
    assert len(adds) == 2 and len(same) == 1
    c = _compile(model, "cortex-m4")
    text = c.files["m.c"]
    (args,) = calls(text, "arm_elementwise_add_s8")
    assert len(calls(text, "tcm_add_s8_table")) == 1    # the broadcast one: ours (a core's)
    (s1, z1), (s2, z2), (so, zo) = _add_quant(tensors, same[0])
    # offsets, left_shift 20 (TFLite's int8 ADD), block size = all elements
    assert int(args[2]) == -z1 and int(args[5]) == -z2 and int(args[8]) == 20
    assert int(args[10]) == zo and int(args[15]) == 5 * 4 * 6
    assert (int(args[13]), int(args[14])) == (-128, 127)
    # each multiplier/shift pair encodes its real scale (shift <= 0: CMSIS-NN's right shift)
    twice_max = 2 * max(s1, s2)
    for (m, sh), real in (((args[3], args[4]), s1 / twice_max), ((args[6], args[7]), s2 / twice_max),
                          ((args[11], args[12]), twice_max / (2**20 * so))):
        m, sh = int(m), int(sh)
        assert sh <= 0 and 2**30 <= m < 2**31
        assert math.isclose(m * 2.0**(sh - 31), real, rel_tol=1e-6)
    notes = "\n".join(c.notes)
    assert "(ADD) keeps tinycc-ml's kernel: its operands broadcast" in notes


# --- SOFTMAX ---------------------------------------------------------------------------------

def _softmax_graph(shape, out_dtype, beta=1.0, in_scale=0.0625):
    x = tensor("x", shape, "int8", scale=in_scale, zero_point=3)
    if out_dtype == "int8":
        y = tensor("y", shape, "int8", scale=1 / 256, zero_point=-128)
    else:
        y = tensor("y", shape, "int16", scale=1 / 32768, zero_point=0)
    return single_op("SOFTMAX", [x], y, beta=beta)


@pytest.mark.parametrize("shape,beta", [((1, 10), 1.0), ((3, 5, 7), 0.5)])
def test_softmax_int8_calls_arm_softmax_s8(shape, beta):
    c = compile_graph(_softmax_graph(shape, "int8", beta), Options(name="m", target="cortex-m55",
                                                                    kernels="cmsis-nn"))
    (args,) = calls(c.files["m.c"], "arm_softmax_s8")
    rows, depth, mult, shift, diff_min = (int(a) for a in args[1:6])
    assert (rows, depth) == (int(np.prod(shape[:-1])), shape[-1])
    # mult * 2^(shift - 31) = beta * input_scale * 2^(31 - 5)   (PreprocessSoftmaxScaling)
    assert math.isclose(mult * 2.0**(shift - 31), beta * 0.0625 * 2**26, rel_tol=1e-8)
    # CalculateInputRadius(5, shift): floor((2^5 - 1) * 2^(31 - 5) / 2^shift)
    assert diff_min == -(((1 << 5) - 1) * (1 << 26) >> shift)
    assert c.layers[0].backend == "cmsis-nn" and c.layers[0].scratch_bytes == 0
    assert c.notes == ["CMSIS-NN: 1 layers call CMSIS-NN, 0 keep tinycc-ml's kernel"]


def test_softmax_int16_output_keeps_ours():
    c = compile_graph(_softmax_graph((1, 10), "int16"), Options(name="m", target="cortex-m4",
                                                                 kernels="cmsis-nn"))
    assert not calls(c.files["m.c"], "arm_softmax_s8")
    assert calls(c.files["m.c"], "tcm_softmax_s8_s16")
    assert c.layers[0].backend == "portable"
    assert "op 0 (SOFTMAX) keeps tinycc-ml's kernel: int16 output" in c.notes[1]


def test_softmax_in_model(model):
    c = _compile(model, "cortex-m4")
    assert _layer(c, "SOFTMAX").backend == "cmsis-nn"
    (args,) = calls(c.files["m.c"], "arm_softmax_s8")
    assert (int(args[1]), int(args[2])) == (1, UNITS)


# --- FULLY_CONNECTED -------------------------------------------------------------------------

def _fc_reference(it, tensors):
    (fc,) = [op for op in it._get_ops_details() if op["op_name"] == "FULLY_CONNECTED"]
    x_d = tensors[fc["inputs"][0]][0]
    w = tensors[fc["inputs"][1]][1].astype(np.int64)
    b = tensors[fc["inputs"][2]][1].astype(np.int64)
    return x_d["quantization"][1], w, b, tensors[fc["outputs"][0]][0]["quantization"]


def test_fc_keeps_exact_kernel_by_default(model):
    c = _compile(model, "cortex-m55")
    assert not calls(c.files["m.c"], "arm_fully_connected_s8")
    assert _layer(c, "FULLY_CONNECTED").backend == "portable"
    assert any("(FULLY_CONNECTED) keeps tinycc-ml's kernel: arm_fully_connected_s8 rounds twice"
               in n for n in c.notes)


@pytest.mark.parametrize("target", ["cortex-m55", "cortex-m4"])
def test_fc_inexact_opt_in(model, tflite_tensors, target):
    it, tensors = tflite_tensors
    in_zp, w, b, (_, out_zp) = _fc_reference(it, tensors)
    c = _compile(model, target, cmsis_nn_inexact=("FULLY_CONNECTED",))
    text = c.files["m.c"]
    (args,) = calls(text, "arm_fully_connected_s8")
    layer = _layer(c, "FULLY_CONNECTED")
    assert layer.backend == "cmsis-nn" and layer.scratch_bytes == 0
    units, depth = w.shape
    ctype, p = struct(text, args[1])
    assert ctype == "cmsis_nn_fc_params"
    assert p == {"input_offset": -in_zp, "filter_offset": 0, "output_offset": out_zp,
                 "activation": {"min": -128, "max": 127}}
    assert struct(text, args[3])[1] == {"n": 1, "h": 1, "w": 1, "c": depth}
    assert struct(text, args[5])[1] == {"n": depth, "h": 1, "w": 1, "c": units}   # [N = depth, C = units]
    assert struct(text, args[9])[1] == {"n": 1, "h": 1, "w": 1, "c": units}
    np.testing.assert_array_equal(const_array(text, args[6]), w.reshape(-1))
    np.testing.assert_array_equal(const_array(text, args[8]), b)
    buf, size = context(args[0])
    assert (f"if (arm_fully_connected_s8_get_buffer_size({args[5]}) != {size}) {{"
            in one_line_calls(text))
    if target == "cortex-m55":
        # arm_fully_connected_s8_get_buffer_size_mve: filter_dims->c * sizeof(int32_t), holding
        # arm_vector_sum_s8(.., lhs_offset = input_offset, rhs_offset = 0, bias)
        assert size == units * 4
        np.testing.assert_array_equal(const_array(text, buf), b + (-in_zp) * w.sum(axis=1))
    else:
        assert (buf, size) == ("NULL", 0)
        assert "kernel_sums" not in text
    notes = "\n".join(c.notes)
    assert "(FULLY_CONNECTED) calls CMSIS-NN, NOT bit-exact (opted in)" in notes
    assert "not bit-exact with TFLite" in text        # the layer's comment says so too


def test_inexact_opt_in_is_per_op_kind(model):
    c = _compile(model, "cortex-m55", cmsis_nn_inexact=("SUB",))
    assert not calls(c.files["m.c"], "arm_fully_connected_s8")
    assert not any("NOT bit-exact" in n for n in c.notes)


def test_per_channel_fc_keeps_ours_even_opted_in():
    w = np.arange(-12, 12, dtype=np.int8).reshape(4, 6)
    x = tensor("x", (1, 6), "int8", scale=0.1, zero_point=2)
    wt = Tensor(name="w", shape=(4, 6), dtype="int8",
                scale=frozen_array(np.array([0.01, 0.02, 0.03, 0.04], np.float32)),
                zero_point=frozen_array(np.zeros(4, np.int64)), data=frozen_array(w),
                quant_axis=0)
    y = tensor("y", (1, 4), "int8", scale=0.2, zero_point=-1)
    g = single_op("FULLY_CONNECTED", [x, wt], y, fused_activation_function="NONE")
    c = compile_graph(g, Options(name="m", target="cortex-m55", kernels="cmsis-nn",
                                 cmsis_nn_inexact=("FULLY_CONNECTED",)))
    assert not calls(c.files["m.c"], "arm_fully_connected_s8")
    assert c.layers[0].backend == "portable"
