"""Elementwise int8 activations (ops/unary_lut.py) against TFLite BUILTIN_REF.

1. The tables: for many input/output quantizations, written into converted models, the TFLite
   interpreter runs every op on all 256 input values, and each op's compile-time table (the
   Python emulation of its kernel) must equal that output.
2. The generated C: Keras models with each activation, compiled, built and compared with
   BUILTIN_REF on random and exhaustive inputs; strict builds; a run under ASan + UBSan.
3. Bad input: what TFLite's Prepare rejects, tinycc-ml rejects with one line.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest

from tests.ops._c_contract import assert_c_contract, compile_error
from tests.ops._tflite_edit import set_opcode, set_option, set_quant, set_quants
from tests.util import assert_bitexact, check_keras, int8_tflite, keras, tf, write_model
from tinycc_ml.frontends.tflite import read
from tinycc_ml.ops.base import lookup

ALL_INPUTS = np.arange(-128, 128, dtype=np.int8)


def _model(*layers, shape=(256,), low=-4.0, high=4.0) -> bytes:
    """Input -> each of `layers` (one output each), converted to int8."""
    def build():
        k = keras()
        inp = k.Input(shape)
        return k.Model(inp, [f(inp) for f in layers])
    return int8_tflite(build, [shape], low=low, high=high)


@lru_cache(maxsize=None)
def _branches() -> bytes:
    """One converted model: the graph input feeds eight activations, one per output."""
    k = keras()
    return _model(lambda x: k.layers.Activation("sigmoid")(x),
                  lambda x: k.layers.Activation("tanh")(x),
                  lambda x: k.layers.Activation("hard_swish")(x),
                  lambda x: k.layers.LeakyReLU(0.2)(x),
                  lambda x: k.layers.ReLU()(x),
                  lambda x: k.layers.ReLU(max_value=6.0)(x),
                  lambda x: k.ops.clip(x, -1.0, 1.0),
                  lambda x: k.layers.Activation("gelu")(x))


@lru_cache(maxsize=None)
def _single(kind: str) -> bytes:
    k = keras()
    if kind == "GELU_APPROXIMATE":
        return _model(lambda x: k.ops.gelu(x, approximate=True))
    if kind == "RELU_0_TO_1":   # no Keras layer becomes it: a RELU6 renamed (same options)
        return set_opcode(_model(lambda x: k.layers.ReLU(max_value=6.0)(x)), "RELU6",
                          "RELU_0_TO_1", version=1)
    raise KeyError(kind)


def _interpreter_outputs(data: bytes) -> dict[str, np.ndarray]:
    """BUILTIN_REF on the 256 input values: output tensor name -> int8 [256]."""
    lite = tf().lite
    ref_kernels = lite.experimental.OpResolverType.BUILTIN_REF
    it = lite.Interpreter(model_content=data, experimental_op_resolver_type=ref_kernels)
    it.allocate_tensors()
    d = it.get_input_details()[0]
    it.set_tensor(d["index"], ALL_INPUTS.reshape(d["shape"]))
    it.invoke()
    return {o["name"]: it.get_tensor(o["index"]).reshape(-1) for o in it.get_output_details()}


def _tables(data: bytes) -> dict[str, tuple[str, np.ndarray]]:
    """Our compile-time table of every op: output name -> (kind, int8 [256])."""
    g = read(data, "model.tflite")
    out = {}
    for op in g.ops:
        opdef = lookup(op, g)
        opdef.check(op, g)
        out[op.outputs[0]] = (op.kind, opdef.prepare(op, g).table)
    return out


def _quant_grid(seed: int, n: int):
    """(in_scale, in_zp, out_scale_ratio, out_zp) points: log-uniform scales, all zero points,
    plus the extremes."""
    rng = np.random.default_rng(seed)
    points = [(1e-4, 0, 1.0, 0), (2.0, 127, 1 / 64, -128), (0.05, -128, 100.0, 127),
              (1 / 32, 0, 1 / 4, 0)]
    for _ in range(n):
        points.append((float(np.exp(rng.uniform(np.log(1e-3), np.log(2.0)))),
                       int(rng.integers(-128, 128)),
                       float(np.exp(rng.uniform(np.log(1 / 100), np.log(100)))),
                       int(rng.integers(-128, 128))))
    return points


def _check_tables(data: bytes, points, fixed_out=None) -> int:
    """Patch each quantization into `data`, compare every table; returns the cases compared."""
    g = read(data, "model.tflite")
    x = g.inputs[0]
    compared = 0
    for in_scale, in_zp, ratio, out_zp in points:
        quants = {x: (in_scale, in_zp)}
        for op in g.ops:                        # SigmoidPrepare requires (1/256, -128)
            quants[op.outputs[0]] = ((1 / 256, -128) if op.kind == "LOGISTIC" else
                                     (in_scale * ratio, out_zp))
        edited = set_quants(data, quants)
        want = _interpreter_outputs(edited)
        for name, (kind, table) in _tables(edited).items():
            np.testing.assert_array_equal(
                table, want[name], err_msg=f"{kind} table, input ({in_scale!r}, {in_zp}), "
                                           f"output scale ratio {ratio!r}, zero point {out_zp}")
            compared += 1
    return compared


def test_tables_match_interpreter_on_all_inputs():
    """8 activations x 44 quantizations x 256 inputs, each table equal to BUILTIN_REF's output."""
    data = _branches()
    kinds = sorted(op.kind for op in read(data, "m").ops)
    assert kinds == sorted(["LOGISTIC", "TANH", "HARD_SWISH", "LEAKY_RELU", "RELU", "RELU6",
                            "RELU_N1_TO_1", "GELU"])
    assert _check_tables(data, _quant_grid(seed=1, n=40)) == 8 * 44


@pytest.mark.parametrize("kind", ["GELU_APPROXIMATE", "RELU_0_TO_1"])
def test_tables_other_kinds(kind):
    assert _check_tables(_single(kind), _quant_grid(seed=2, n=20)) == 24


@pytest.mark.parametrize("alpha", [0.01, 0.3, 1.0, 2.5, -0.5, 0.0])
def test_leaky_relu_alphas(alpha):
    """LeakyReluPrepare's alpha multiplier (float32 product), alphas of any sign and size."""
    k = keras()
    data = _model(lambda x: k.layers.LeakyReLU(0.2)(x))
    edited = set_option(data, 0, "alpha", alpha)
    assert read(edited, "m").ops[0].attrs["alpha"] == pytest.approx(alpha)
    assert _check_tables(edited, _quant_grid(seed=3, n=12)) == 16


def _conv_then(act):
    def build():
        k = keras()
        inp = k.Input((6, 6, 3))
        x = k.layers.Conv2D(8, 3, padding="same", bias_initializer="random_normal")(inp)
        return k.Model(inp, act(k)(x))
    return build


@pytest.mark.parametrize("kind,act", [
    ("LOGISTIC", lambda k: k.layers.Activation("sigmoid")),
    ("TANH", lambda k: k.layers.Activation("tanh")),
    ("HARD_SWISH", lambda k: k.layers.Activation("hard_swish")),
    ("LEAKY_RELU", lambda k: k.layers.LeakyReLU(0.1)),
    ("GELU", lambda k: k.layers.Activation("gelu")),
], ids=["sigmoid", "tanh", "hard_swish", "leaky_relu", "gelu"])
def test_after_conv_bitexact(kind, act, tmp_path):
    check_keras(_conv_then(act), [(6, 6, 3)], tmp_path, n=10, expect_kinds=[kind, "CONV_2D"])


def test_generated_c_all_kinds(tmp_path):
    """The branches model in C: exhaustive input, random inputs, in-place tables, strict builds,
    and ASan + UBSan."""
    from tinycc_ml.reference import TFLiteReference
    from tests.util import compile_and_build
    path = write_model(_branches(), tmp_path)
    host = compile_and_build(path)
    ref = TFLiteReference(path)
    for got, want in zip(host.run([ALL_INPUTS]), ref.run([ALL_INPUTS])):
        np.testing.assert_array_equal(got, want.reshape(got.shape))
    assert_bitexact(path, n=5, host=host)
    assert_c_contract(path, [ALL_INPUTS], tmp_path)


def test_runs_in_place(tmp_path):
    """A table op between two convolutions writes over its input, which dies there."""
    from tinycc_ml.compiler import Options, compile_file

    def build():
        k = keras()
        inp = k.Input((6, 6, 3))
        x = k.layers.Activation("hard_swish")(k.layers.Conv2D(8, 3, padding="same")(inp))
        return k.Model(inp, k.layers.Conv2D(4, 1)(x))
    path = check_keras(build, [(6, 6, 3)], tmp_path, n=3, expect_kinds=["HARD_SWISH"])
    compiled = compile_file(path, Options(name="m"))
    positions = [i for i, op in enumerate(compiled.graph.ops) if op.kind == "HARD_SWISH"]
    assert any(link.position in positions for link in compiled.plan.inplace)


# --- bad input --------------------------------------------------------------------------------

def _interpreter_rejects(data: bytes) -> None:
    with pytest.raises(RuntimeError):
        _interpreter_outputs(data)


def test_logistic_output_scale_must_be_1_256(tmp_path):
    k = keras()
    data = _model(lambda x: k.layers.Activation("sigmoid")(x))
    y = read(data, "m").ops[0].outputs[0]
    bad = set_quant(data, y, 1 / 128, -128)
    _interpreter_rejects(bad)
    assert "must have scale 1/256" in compile_error(bad, tmp_path)


def test_hard_swish_output_scale_too_small(tmp_path):
    """HardSwishPrepare: TF_LITE_ENSURE(output_multiplier_exponent <= 0)."""
    k = keras()
    data = _model(lambda x: k.layers.Activation("hard_swish")(x))
    op = read(data, "m").ops[0]
    bad = set_quant(set_quant(data, op.inputs[0], 1.0, 0), op.outputs[0], 1.0 / 1000, 0)
    _interpreter_rejects(bad)
    assert "more than 128 x the output scale" in compile_error(bad, tmp_path)


def test_unsupported_kind_lists_supported(tmp_path):
    """int8 ELU is not in BUILTIN_REF's op set: not supported, and the message says where the list is."""
    k = keras()
    bad = set_opcode(_model(lambda x: k.layers.Activation("tanh")(x)), "TANH", "ELU")
    msg = compile_error(bad, tmp_path)
    assert "(ELU " in msg and msg.endswith("not supported (`tinycc-ml ops` lists the supported ops)")


def test_relu_requantization_too_large(tmp_path):
    """in/out = 1e10 needs a left shift of 34 bits, undefined in MultiplyByQuantizedMultiplier."""
    k = keras()
    data = _model(lambda x: k.layers.ReLU()(x))
    op = read(data, "m").ops[0]
    bad = set_quant(set_quant(data, op.inputs[0], 1e4, 0), op.outputs[0], 1e-6, 0)
    assert "is too large (shift 34 > 30)" in compile_error(bad, tmp_path)
