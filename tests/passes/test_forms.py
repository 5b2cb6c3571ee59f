"""Numerics as data: each requantizing layer's Params carry a Requant naming its form, the
chosen kernel implements that form, and selection passes over a kernel that does not.

The expected forms are TFLite's, read from its reference kernels (tensorflow/lite/kernels/
internal/reference): conv and depthwise requantize with MultiplyByQuantizedMultiplier's two
roundings, BUILTIN_REF's int8 FULLY_CONNECTED with one (../shared/BASELINES.md, "Rounding"),
ADD with the double rounding too, AVERAGE_POOL_2D divides with rounding, SOFTMAX runs its
gemmlowp fixed point; RESHAPE does not rescale."""

from __future__ import annotations

import dataclasses

import pytest

from tests.util import SHARED
from tinycc_ml.compiler import Options, compile_file
from tinycc_ml.ops import _requant
from tinycc_ml.ops.base import Context, Layer
from tinycc_ml.passes.select import select_layer

EXPECTED = {"CONV_2D": "tflite_double", "DEPTHWISE_CONV_2D": "tflite_double",
            "FULLY_CONNECTED": "tflite_single", "ADD": "tflite_double",
            "AVERAGE_POOL_2D": "tflite_round_divide", "SOFTMAX": "tflite_softmax",
            "RESHAPE": None, "EXPAND_CHANNELS": None}

TARGETS = [("generic", "portable"), ("host", "portable"), ("cortex-m4", "portable"),
           ("cortex-m55", "portable"), ("cortex-m0plus", "portable"), ("cortex-m4", "cmsis-nn")]


@pytest.mark.parametrize("target,kernels", TARGETS)
@pytest.mark.parametrize("model", SHARED)
def test_each_layer_names_its_form_and_its_kernel_implements_it(model, target, kernels,
                                                                shared_models):
    c = compile_file(shared_models / f"{model}.tflite",
                     Options(name="m", target=target, kernels=kernels))
    for op, choice in zip(c.graph.ops, c.choices):
        rq = getattr(op.params, "rq", None)
        assert rq is None or isinstance(rq, _requant.Requant), op.kind
        assert (rq.form if rq else None) == EXPECTED[op.kind], op.kind
        if rq is not None:
            assert rq.form in choice.kernel.forms, (op.kind, choice.kernel.name)


def test_a_kernel_without_the_layers_form_is_passed_over(shared_models):
    c = compile_file(shared_models / "ic_resnet8_int8.tflite", Options(name="m"))
    op = next(op for op in c.graph.ops if op.kind == "ADD")
    p = op.params
    other = dataclasses.replace(op, params=dataclasses.replace(
        p, rq=dataclasses.replace(p.rq, form=_requant.TFLITE_INT64)))
    with pytest.raises(RuntimeError, match="implements tflite_double requantization, the "
                                           "layer needs tflite_int64"):
        select_layer(Layer(other, c.graph), Context())
    assert select_layer(Layer(op, c.graph), Context()).kernel.c_function == "tcm_add_s8"
