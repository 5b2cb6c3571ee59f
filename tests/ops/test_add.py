"""ADD, SUB and MUL int8 against TFLite BUILTIN_REF: a grid of shapes (broadcasting up to rank 6),
fused activations, differing scales and constant operands; in-place ADD; bad input."""

from __future__ import annotations

import numpy as np
import pytest

from tests.ops._ir import compile_error, single_op, tensor
from tinycc_ml.quant import CLAMPS
from tests.util import assert_bitexact, compile_and_build, int8_tflite, keras, write_model

# id: (op, input 1 shape, input 2 shape or "const", activation, input 2 multiplied by)
# Shapes leave out the batch; "const" makes input 2 a constant of input 1's last dimension.
CASES = {
    "add_same_8x8x4": ("add", (8, 8, 4), (8, 8, 4), None, 1.0),
    "add_ic_32x32x16_relu": ("add", (32, 32, 16), (32, 32, 16), "relu", 1.0),
    "add_same_relu6_scales_differ": ("add", (5, 7, 3), (5, 7, 3), "relu6", 3.7),
    "add_rank2_scales_differ": ("add", (10,), (10,), None, 0.3),
    "add_bcast_1x1xC": ("add", (8, 8, 16), (1, 1, 16), None, 1.0),
    "add_bcast_HxWx1_relu": ("add", (6, 5, 4), (6, 5, 1), "relu", 2.0),
    "add_bcast_both_1xWxC_Hx1xC": ("add", (1, 5, 4), (6, 1, 4), None, 1.0),
    "add_bcast_lower_rank_C": ("add", (4, 3, 7), (7,), None, 1.0),
    "add_const_C": ("add", (8, 8, 4), "const", None, 1.0),
    "add_bcast_rank5": ("add", (2, 3, 4, 5), (1, 3, 1, 5), None, 1.0),
    "add_bcast_rank6": ("add", (2, 3, 2, 3, 4), (2, 1, 2, 1, 4), None, 1.0),
    "sub_same_scales_differ": ("sub", (6, 6, 8), (6, 6, 8), None, 2.5),
    "sub_bcast_1x1xC_relu": ("sub", (5, 5, 8), (1, 1, 8), "relu", 1.0),
    "sub_bcast_first_operand": ("sub", (1, 1, 8), (5, 5, 8), None, 1.0),
    "sub_const_C": ("sub", (4, 4, 6), "const", None, 1.0),
    "mul_same": ("mul", (8, 8, 4), (8, 8, 4), None, 1.0),
    "mul_same_relu_scales_differ": ("mul", (6, 6, 3), (6, 6, 3), "relu", 4.0),
    "mul_bcast_HxWx1": ("mul", (6, 5, 4), (6, 5, 1), None, 1.0),
    "mul_bcast_1x1xC_first_operand": ("mul", (1, 1, 8), (4, 4, 8), None, 0.2),
    "mul_const_C": ("mul", (4, 4, 6), "const", None, 1.0),
    "mul_bcast_rank5": ("mul", (2, 3, 4, 5), (2, 1, 4, 1), None, 1.0),
}

_KIND = {"add": "ADD", "sub": "SUB", "mul": "MUL"}
_ACT = {None: "NONE", "relu": "RELU", "relu6": "RELU6"}


def _model(kind, shape1, shape2, act, factor):
    def build():
        k = keras()
        x1 = k.Input(shape1, name="in_a")
        if shape2 == "const":
            inputs = [x1]
            x2 = np.linspace(-0.9, 0.7, shape1[-1]).astype(np.float32)
        else:
            inputs = [x1, k.Input(shape2, name="in_b")]
            x2 = inputs[1] * factor if factor != 1.0 else inputs[1]
        y = {"add": x1 + x2, "sub": x1 - x2, "mul": x1 * x2}[kind]
        if act:
            y = k.layers.ReLU(6.0 if act == "relu6" else None)(y)
        return k.Model(inputs, y)
    return build


@pytest.mark.parametrize("case", list(CASES))
def test_binary_bitexact(case, tmp_path):
    kind, shape1, shape2, act, factor = CASES[case]
    shapes = [shape1] if shape2 == "const" else [shape1, shape2]
    data = int8_tflite(_model(kind, shape1, shape2, act, factor), shapes, seed=len(case),
                       n_calib=8)
    path = write_model(data, tmp_path)
    from tinycc_ml.frontends import load
    g = load(path)
    ops = [op for op in g.ops if op.kind == _KIND[kind]
           and op.attrs["clamp"] == CLAMPS[_ACT[act]]]
    assert ops, [(op.kind, dict(op.attrs)) for op in g.ops]
    assert_bitexact(path, n=8, seed=len(case))
    if kind != "mul":   # tcm_add_s8's vectorized build (gcc -O3 -march=native)
        assert_bitexact(path, n=4, seed=len(case), cflags=("-O3", "-march=native"))
        # the microcontroller cores' table kernel (tcm_add_s8_table), built on the host, with
        # ARMv6-M's 32-bit multiplies on every other case
        flags = ("-O2", "-DTCM_SCALAR_NO_MUL64") if len(case) % 2 else ("-O2",)
        host = compile_and_build(path, target="cortex-m3", cflags=flags)
        assert "tcm_add_s8_table(" in host.compiled.files["m.c"]
        assert_bitexact(path, n=4, seed=len(case), host=host)


def _residual_model(input1_read_later: bool):
    """x -> two 1x1 convolutions -> ADD -> max pool: the ADD's inputs and output live in the arena.
    With input1_read_later, the ADD's first input is read again by a second ADD."""
    def build():
        k = keras()
        x = k.Input((16, 16, 8))
        a = k.layers.Conv2D(8, 1)(x)
        b = k.layers.Conv2D(8, 1, activation="relu")(x)
        s = k.layers.ReLU()(a + b)
        if input1_read_later:
            s = s + a
        return k.Model(x, k.layers.MaxPooling2D(2)(s))
    return build


@pytest.mark.parametrize("input1_read_later", [False, True], ids=["over_input1", "over_input2"])
def test_add_in_place(input1_read_later, tmp_path):
    """The planner writes the ADD's output over an input that dies there (the other one when
    input 1 is read later); the kernel then reads and writes the same bytes: still bit-exact."""
    path = write_model(int8_tflite(_residual_model(input1_read_later), [(16, 16, 8)], seed=5,
                                   n_calib=8), tmp_path)
    host = compile_and_build(path)
    g, plan = host.compiled.graph, host.compiled.plan
    first_add = next(pos for pos, op in enumerate(g.ops) if op.kind == "ADD")
    links = [link for link in plan.inplace if link.position == first_add]
    assert len(links) == 1, plan.inplace
    assert links[0].input == (1 if input1_read_later else 0)
    add = g.ops[first_add]
    assert plan.location[add.outputs[0]] == plan.location[add.inputs[links[0].input]]
    assert_bitexact(path, n=8, host=host)


def test_binary_bad_input():
    def err(kind, a, b, y, **attrs):
        return compile_error(single_op(kind, [a, b], y, fused_activation_function="NONE", **attrs))

    assert err("ADD", tensor("a", (1, 4, 4, 3)), tensor("b", (1, 4, 4, 2)),
               tensor("sum", (1, 4, 4, 3))) == (
        "bad.tflite: op 0 (ADD 'sum'): input shapes [1, 4, 4, 3] and [1, 4, 4, 2] do not broadcast")
    # int16 ADD is the 16x8 scheme's (tests/ops/test_int16_ops.py): all three int16
    assert err("ADD", tensor("a", (1, 4, 4, 3), "int16"), tensor("b", (1, 4, 4, 3)),
               tensor("sum", (1, 4, 4, 3), "int16")) == (
        "bad.tflite: op 0 (ADD 'sum'): input 2 'b' has type int8; a 16x8 layer has int16 "
        "input and output")
    assert err("SUB", tensor("a", (1, 4, 1, 3), "uint8"), tensor("b", (1, 1, 5, 3), "uint8"),
               tensor("diff", (1, 4, 5, 3), "uint8")) == (
        "bad.tflite: op 0 (SUB 'diff'): input 1 'a' has type uint8; supported: int8, int16")
    assert err("MUL", tensor("a", (2, 1, 2, 1, 2, 1, 2)), tensor("b", (2, 1)),
               tensor("prod", (2, 1, 2, 1, 2, 2, 2))) == (
        "bad.tflite: op 0 (MUL 'prod'): rank 7 is above the supported 6")
    assert err("ADD", tensor("a", (1, 3), scale=1.0), tensor("b", (1, 3), scale=1.0),
               tensor("sum", (1, 3), scale=1e-7)) == (
        "bad.tflite: op 0 (ADD 'sum'): the output scale 1.00000001e-07 is too small for the "
        "input scales 1 and 1 (TFLite needs a rescale below 1)")
    assert err("ADD", tensor("a", (1, 3)), tensor("b", (1, 3), scale=None),
               tensor("sum", (1, 3))) == (
        "bad.tflite: op 0 (ADD 'sum'): input 2 'b' has no quantization parameters")


def test_c_contract(tmp_path):
    """ADD, SUB and MUL broadcasting both ways: warning-free under gcc, clang and
    arm-none-eabi-gcc, clean under ASan + UBSan, and equal to BUILTIN_REF there too."""
    from tests.ops._c_contract import sanitized_run, strict_builds
    from tinycc_ml.reference import TFLiteReference, random_inputs

    def build():
        k = keras()
        a, b = k.Input((4, 5, 6), name="in_a"), k.Input((1, 5, 1), name="in_b")
        return k.Model([a, b], [k.layers.ReLU()(a + b), a - b, b - a, a * b])
    path = write_model(int8_tflite(build, [(4, 5, 6), (1, 5, 1)], seed=9, n_calib=8), tmp_path)
    strict_builds(path, tmp_path / "strict")
    ref = TFLiteReference(path)
    xs = random_inputs([(d["shape"], d["dtype"]) for d in ref.inputs], np.random.default_rng(9))
    for got, want in zip(sanitized_run(path, xs, tmp_path / "asan"), ref.run(xs)):
        np.testing.assert_array_equal(got, want.reshape(got.shape))
