"""What the CONV_2D and DEPTHWISE_CONV_2D tests share: edits of converted single-layer models
(tests/cli/tflite_edit.py `edit`) for the cases the converter never writes (batches above 1, a
given output shape after a dilation edit with VALID padding, other dilations and fused
activations), the fused activation of the Keras builders, the bit-exactness check of every
kernel build, and hand-built graphs for the bad-input tests. The TFLite interpreter, run on the
edited bytes, remains the reference."""

from __future__ import annotations

import numpy as np

from tests.cli.tflite_edit import edit, schema
from tests.ops._ir import single_op, tensor
from tests.ops._tflite_edit import set_option
from tests.util import assert_bitexact, compile_and_build, write_model


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
