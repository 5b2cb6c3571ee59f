"""Validation (passes/validate.py) runs before shape inference: an op with the wrong number of
operands or a wrong type is refused in one line by its signature, and no `output_shape` ever
sees it (a fuzz crash came from FULLY_CONNECTED shape inference on a missing filter)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tests.ops._ir import compile_error, single_op, tensor
from tinycc_ml.ops.base import _REGISTRY, supported_kinds


@pytest.fixture
def no_shape_inference_on_bad_ops(monkeypatch):
    """Every op's output_shape fails the test if called: the graphs below are malformed, so
    validation must have refused them before shape inference."""
    def refuse(self, op, g):
        raise AssertionError(f"output_shape ran on malformed {op.kind}")
    for opdef in {type(o) for o in _REGISTRY.values()}:
        monkeypatch.setattr(opdef, "output_shape", refuse)


@pytest.mark.parametrize("kind", supported_kinds())
def test_every_op_declares_its_operands(kind, no_shape_inference_on_bad_ops):
    """No inputs at all: each op's signature says how many it takes."""
    assert _REGISTRY[kind].signature is not None
    msg = compile_error(single_op(kind, [], tensor("y", (1, 4))))
    assert msg.startswith(f"bad.tflite: op 0 ({kind} 'y'): expects "), msg
    assert msg.endswith("input(s), has 0"), msg


def test_fully_connected_without_weights(no_shape_inference_on_bad_ops):
    """The fuzz regression (tests/fuzz/seeds/regress_fc_missing_filter.tflite), by hand."""
    g = single_op("FULLY_CONNECTED", [tensor("x", (1, 8))], tensor("y", (1, 4)),
                  fused_activation_function="NONE")
    assert compile_error(g) == ("bad.tflite: op 0 (FULLY_CONNECTED 'y'): expects 2 or 3 "
                                "input(s), has 1")


def test_types_and_constness_before_shapes(no_shape_inference_on_bad_ops):
    shape = tensor("s", (2,), "float32", scale=None, data=np.array([np.nan, 4], np.float32))
    g = single_op("RESHAPE", [tensor("x", (1, 8)), shape], tensor("y", (2, 4)))
    assert compile_error(g).startswith("bad.tflite: op 0 (RESHAPE 'y'): shape 's' has type "
                                       "float32; supported: int32, int64")   # then a hint
    axis = tensor("axis", (1,), "int32", scale=None)           # not a constant
    g = single_op("ARG_MAX", [tensor("x", (2, 5)), axis], tensor("y", (2,), "int32", scale=None),
                  output_type=2)
    assert compile_error(g) == "bad.tflite: op 0 (ARG_MAX 'y'): axis 'axis' must be a constant"
    g = single_op("SPLIT", [tensor("axis", (), "int32", scale=None, data=np.array(1, np.int32)),
                            tensor("x", (2, 4))], tensor("y", (2, 2), "uint8"), num_splits=1)
    assert compile_error(g) == ("bad.tflite: op 0 (SPLIT 'y'): output 0 'y' has type uint8; "
                                "supported: int8, int16")


def test_missing_required_operand(no_shape_inference_on_bad_ops):
    """TFLite writes -1 for an absent optional input; a required one absent is refused."""
    b = tensor("b", (6,), "int32", data=np.zeros(6, np.int32))
    g = single_op("CONV_2D", [tensor("x", (1, 5, 5, 4)), b], tensor("y", (1, 5, 5, 6)))
    op = g.ops[0]
    g = g.with_ops([dataclasses.replace(op, inputs=(op.inputs[0], None, op.inputs[1]))])
    assert compile_error(g) == "bad.tflite: op 0 (CONV_2D 'y'): the filter is missing"
