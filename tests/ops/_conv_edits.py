"""What the CONV_2D and DEPTHWISE_CONV_2D tests share: the grids of converted single-layer Keras
models (the layer named by the case id), edits of converted models (tests/cli/tflite_edit.py
`edit`) for the cases the converter never writes (batches above 1, a given output shape after a
dilation edit with VALID padding, other dilations and fused activations), the bit-exactness
check of every kernel build, the per-tensor, BatchNorm-folded and C-contract checks, and
hand-built graphs for the bad-input tests. The TFLite interpreter, run on the converted or
edited bytes, remains the reference."""

from __future__ import annotations

import functools
import re
from typing import Callable, NamedTuple

import numpy as np
import pytest

from tests.cli.tflite_edit import edit, schema
from tests.ops._c_contract import assert_c_contract
from tests.ops._ir import compile_error, single_op, tensor
from tests.ops._tflite_edit import set_option
from tests.util import (assert_bitexact, compile_and_build, int8_tflite, keras, single_layer,
                        write_model)


class Layer(NamedTuple):
    """The layer a grid case id names (`layer_of`)."""
    kernel: tuple[int, int]
    strides: tuple[int, int]
    padding: str                 # "same" or "valid"
    act: str | None              # None, "relu" or "relu6" after the layer (`activation`)
    in_c: int
    filters: int | None          # CONV_2D ids: "{in_c}to{filters}"; None in DEPTHWISE ids
    mult: int                    # the depth multiplier: 1 unless "_mult{m}"


_ID = re.compile(r"k(\d+)(?:x(\d+))?_s(\d+)(?:x(\d+))?_(same|valid)_(relu6|relu|none)_"
                 r"(?:c(\d+)|(\d+)to(\d+))(?:_mult(\d+))?(?:_\w+)?")


def layer_of(case: str) -> Layer:
    """k{h}[x{w}] kernel, s{h}[x{w}] strides, same or valid, relu / relu6 / none, then c{channels}
    (depthwise) or {in_c}to{filters} (conv), [_mult{m}], then free tags: "k3x1_s1x2_same_none_c7",
    "k1_s1_valid_relu_17to33", "k3_s1_same_relu_c4_mult2", "k3_s1_same_relu_c8_vww"."""
    m = _ID.fullmatch(case)
    if m is None:
        raise ValueError(f"{case!r} is not a grid id")
    kh, kw, sh, sw, padding, act, c, in_c, filters, mult = m.groups()
    return Layer((int(kh), int(kw or kh)), (int(sh), int(sw or sh)), padding,
                 None if act == "none" else act, int(c or in_c),
                 int(filters) if filters else None, int(mult or 1))


def grid(cases: dict, layer: Callable) -> Callable[..., bytes]:
    """`converted(case, per_channel=True)`, cached: the full-int8 conversion (8 calibration
    inputs, the id's length as seed) of the Keras layer `layer(k, layer_of(case))` on an input of
    `cases[case]` (height, width) and the id's channels, then the id's activation."""
    @functools.lru_cache(maxsize=None)
    def converted(case: str, per_channel: bool = True) -> bytes:
        spec = layer_of(case)
        shape = (*cases[case], spec.in_c)
        build = single_layer(shape, lambda k, x: activation(k, layer(k, spec)(x), spec.act))
        return int8_tflite(build, [shape], seed=len(case), n_calib=8, per_channel=per_channel)
    return converted


def op_index(data: bytes, kind: str) -> int:
    """Index of the first operator of builtin `kind` (e.g. 'CONV_2D') in subgraph 0."""
    model = schema().ModelT.InitFromPackedBuf(bytearray(data), 0)
    code = vars(schema().BuiltinOperator)[kind]
    for i, op in enumerate(model.subgraphs[0].operators):
        oc = model.operatorCodes[op.opcodeIndex]
        if max(oc.builtinCode, oc.deprecatedBuiltinCode) == code:
            return i
    raise KeyError(f"the model has no {kind} operator")


def _is_const(model, tensor) -> bool:
    buf = model.buffers[tensor.buffer]
    return buf.data is not None and len(buf.data) > 0


def with_batch(data: bytes, n: int) -> bytes:
    """Every 4-D activation tensor (not constant) with batch size n."""
    def change(model):
        for t in model.subgraphs[0].tensors:
            if t.shape is not None and len(t.shape) == 4 and not _is_const(model, t):
                t.shape = np.array([n, *t.shape[1:]], np.int32)
                if t.shapeSignature is not None and len(t.shapeSignature) == 4:
                    t.shapeSignature = np.array([n, *t.shapeSignature[1:]], np.int32)
    return edit(data, change)


def with_shape(data: bytes, which: str, shape) -> bytes:
    """The graph's `which` ('input' or 'output') tensor with another stored shape."""
    def change(model):
        sg = model.subgraphs[0]
        t = sg.tensors[(sg.inputs if which == "input" else sg.outputs)[0]]
        t.shape = np.array(shape, np.int32)
        t.shapeSignature = None
    return edit(data, change)


def with_dilation(data: bytes, kind: str, h: int, w: int) -> bytes:
    """The first `kind` op with dilation factors (h, w)."""
    i = op_index(data, kind)
    return set_option(set_option(data, i, "dilationHFactor", h), i, "dilationWFactor", w)


def with_activation(data: bytes, kind: str, name: str) -> bytes:
    """The first `kind` op with fused activation `name` ('RELU_N1_TO_1', ...)."""
    code = vars(schema().ActivationFunctionType)[name]
    return set_option(data, op_index(data, kind), "fusedActivationFunction", code)


def activation(k, x, act):
    """The Keras builders' activation after the layer: None, "relu6" or a Keras name."""
    if act == "relu6":
        return k.layers.ReLU(6.0)(x)
    return k.layers.Activation(act)(x) if act else x


def check_builds(data: bytes, tmp_path, seed: int, cortex_m: bool = True) -> None:
    """Bit-exact with BUILTIN_REF: the portable kernel (--target generic, -O2), the host kernel
    (--target host) at -O2 (its C paths) and -O3 -march=native (the VNNI intrinsics where the
    CPU has AVX-VNNI or AVX512-VNNI) and, with cortex_m, the Cortex-M kernel built on the host
    (tcm_dsp.h emulates the DSP instructions in C)."""
    path = write_model(data, tmp_path)
    assert_bitexact(path, n=4, seed=seed)
    assert_bitexact(path, n=3, seed=seed, target="host")
    assert_bitexact(path, n=3, seed=seed, cflags=("-O3", "-march=native"), target="host")
    if cortex_m:
        assert_bitexact(path, n=3, seed=seed, host=compile_and_build(path, target="cortex-m4"))
        check_scalar_builds(path, seed)


def grid_tests(converted: Callable, cases: dict, edits: dict):
    """A grid's two tests, for a test module's names: every case of `cases` converted (`grid`),
    and every edit of `edits` (id: (case, change of the bytes)) on its case's conversion,
    bit-exact in every build (`check_builds`, the id's length as seed)."""
    @pytest.mark.parametrize("case", list(cases))
    def test_bitexact(case, tmp_path):
        check_builds(converted(case), tmp_path, seed=len(case))

    @pytest.mark.parametrize("edit", list(edits))
    def test_edited_bitexact(edit, tmp_path):
        case, change = edits[edit]
        check_builds(change(converted(case)), tmp_path, seed=len(edit))
    return test_bitexact, test_edited_bitexact


def check_per_tensor_filter(data: bytes, kind: str, tmp_path, seed: int) -> None:
    """A model converted with per-tensor filter scales: its `kind` op's filter is read as
    per-tensor, and the builds (not the Cortex-M ones) are bit-exact."""
    from tinycc_ml.frontends import load
    g = load(write_model(data, tmp_path, "per_tensor.tflite"))
    op = next(op for op in g.ops if op.kind == kind)
    assert not g.tensor(op.inputs[1]).per_channel
    check_builds(data, tmp_path, seed=seed, cortex_m=False)


def check_batchnorm_folded(tmp_path, seed: int, shape, layer: Callable, relu_max=None) -> None:
    """`layer(k)` (no bias) + BatchNorm + ReLU(relu_max), as trained models have it: the converter
    folds BN into the filter, per channel; the builds (not the Cortex-M ones) are bit-exact."""
    def build():
        k = keras()
        inp = k.Input(shape)
        x = layer(k)(inp)
        x = k.layers.BatchNormalization(beta_initializer="random_normal",
                                        gamma_initializer="random_uniform",
                                        moving_mean_initializer="random_normal",
                                        moving_variance_initializer="ones")(x)
        return k.Model(inp, k.layers.ReLU(relu_max)(x))
    check_builds(int8_tflite(build, [shape], n_calib=8), tmp_path, seed=seed, cortex_m=False)


def check_c_contract(tmp_path, seed: int, shape, *layers: Callable):
    """A Keras model of `layers` (each `layer(k)`) in a row on an input of `shape`, converted to
    full int8 with `seed`: the C contract (tests/ops/_c_contract.py `assert_c_contract`, against
    BUILTIN_REF) on random inputs of the same seed. Returns the model's path."""
    from tinycc_ml.reference import TFLiteReference, random_inputs

    def build():
        k = keras()
        x = inp = k.Input(shape)
        for layer in layers:
            x = layer(k)(x)
        return k.Model(inp, x)
    path = write_model(int8_tflite(build, [shape], seed=seed, n_calib=8), tmp_path)
    specs = [(d["shape"], d["dtype"]) for d in TFLiteReference(path).inputs]
    assert_c_contract(path, random_inputs(specs, np.random.default_rng(seed)), tmp_path)
    return path


# The variants of the scalar kernels (runtime_c/tcm_conv_scalar.h: 1 pixel and 32-bit
# multiplies as on ARMv6-M, 4 pixels as on RV32; 2 pixels is the host's default), on the host.
SCALAR_VARIANTS = (("-O2", "-DTCM_SCALAR_PIXELS=1", "-DTCM_SCALAR_NO_MUL64"),
                   ("-O2", "-DTCM_SCALAR_PIXELS=4"), ("-O2",))


def check_scalar_builds(path, seed: int) -> None:
    """The kernels of cores without SIMD (--target cortex-m3 / m0plus / rv32imc) built on the
    host, bit-exact with BUILTIN_REF: one variant per case, chosen by the seed, so that a grid
    runs each variant on a third of its cases (one host build per case, not three)."""
    cflags = SCALAR_VARIANTS[seed % len(SCALAR_VARIANTS)]
    assert_bitexact(path, n=3, seed=seed,
                    host=compile_and_build(path, target="cortex-m3", cflags=cflags))


def window_graph(kind: str, x_shape, w_shape, y_shape, x_dtype="int8", w_const=True, w_zp=0,
                 bias=0, **attrs):
    """A one-op CONV_2D / DEPTHWISE_CONV_2D graph with an all-ones filter and a zero bias of
    `bias` values (none if 0): stride 1, SAME, no dilation or activation unless `attrs` say."""
    opts = dict(stride_h=1, stride_w=1, padding="SAME", dilation_hfactor=1, dilation_wfactor=1,
                fused_activation_function="NONE")
    if kind == "DEPTHWISE_CONV_2D":
        opts["depth_multiplier"] = 1
    opts.update(attrs)
    w = tensor("w", w_shape, zero_point=w_zp,
               data=np.ones(w_shape, np.int8) if w_const else None)
    inputs = [tensor("x", x_shape, x_dtype), w]
    if bias:
        inputs.append(tensor("b", (bias,), "int32", data=np.zeros(bias, np.int32)))
    return single_op(kind, inputs, tensor("y", y_shape, x_dtype), **opts)


# What CONV_2D and DEPTHWISE_CONV_2D reject alike: (window_graph arguments, message)
_BAD_INPUT = [
    ({"w_const": False}, "filter 'w' must be a constant"),
    ({"x_dtype": "int16"},   # 16x8: an int64 bias
     "bias 'b' has type int32; a 16x8 layer has an int64 bias (a 16x8 layer with an int32 bias, "
     "the converter's _experimental_use_int32_bias, is not supported)"),
]


def check_bad_input(kind: str, graph: Callable, cases) -> None:
    """Each of `cases` ((arguments of graph, message)) and the bad inputs both ops reject: the
    compile stops with the one line "bad.tflite: op 0 (KIND 'y'): message"."""
    for kw, message in _BAD_INPUT + list(cases):
        assert compile_error(graph(**kw)) == f"bad.tflite: op 0 ({kind} 'y'): {message}"
