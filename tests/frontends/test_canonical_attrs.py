"""The TFLite frontend's translation of builtin options into canonical attrs (PLAN contract),
and the rule that nothing outside tinycc_ml/frontends/ reads TFLite's vocabulary.

Expected pads are worked out by hand from TFLite's rule (tensorflow/lite/kernels/padding.h:
out = ceil(in / stride) for SAME, total = max((out - 1) * stride + (k - 1) * dil + 1 - in, 0),
floor(total / 2) before, the rest after), never by tinycc-ml's code.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tinycc_ml.compiler import pipeline
from tinycc_ml.frontends.tflite import canonical_attrs, read
from tests.util import int8_tflite, keras

PACKAGE = Path(__file__).resolve().parents[2] / "tinycc_ml"


def _conv(**options):
    base = dict(padding="SAME", stride_h=1, stride_w=1, dilation_hfactor=1, dilation_wfactor=1,
                fused_activation_function="NONE")
    return {**base, **options}


@pytest.mark.parametrize("options, x, w, pads", [
    # 9x10 input, 4x4 filter, stride 2: out 5x5; totals 4*2+4-9 = 3 (odd: 1 before, 2 after)
    # and 4*2+4-10 = 2
    (_conv(stride_h=2, stride_w=2), (1, 9, 10, 3), (8, 4, 4, 3), (1, 1, 2, 1)),
    # 3x3 filter, dilation 2 (effective 5): total 4 on both axes
    (_conv(dilation_hfactor=2, dilation_wfactor=2), (1, 7, 7, 3), (8, 3, 3, 3), (2, 2, 2, 2)),
    # 2x2 filter, stride 1: total 1 (odd: 0 before, 1 after)
    (_conv(), (1, 6, 6, 3), (8, 2, 2, 3), (0, 0, 1, 1)),
    # 1x1 filter, stride 2 on 7: out 4, total 3*2+1-7 = 0
    (_conv(stride_h=2, stride_w=2), (1, 7, 7, 3), (8, 1, 1, 3), (0, 0, 0, 0)),
    # stride (2, 1), 3x2 filter on 5x4: h out 3, total 2*2+3-5 = 2; w out 4, total 3+2-4 = 1
    (_conv(stride_h=2), (1, 5, 4, 3), (8, 3, 2, 3), (1, 0, 1, 1)),
    (_conv(padding="VALID", stride_h=2, stride_w=2), (1, 9, 10, 3), (8, 4, 4, 3), (0, 0, 0, 0)),
])
def test_conv_geometry(options, x, w, pads):
    a = canonical_attrs("CONV_2D", options, [x, w, (8,)])
    assert a["pads"] == pads
    assert a["strides"] == (options["stride_h"], options["stride_w"])
    assert a["dilations"] == (options["dilation_hfactor"], options["dilation_wfactor"])
    assert a["clamp"] == (None, None) and a["numerics"] == "tflite"
    assert not {"padding", "stride_h", "stride_w", "dilation_hfactor", "dilation_wfactor",
                "fused_activation_function"} & set(a)


def test_pool_and_activation_and_other_tables():
    # 3x3 window, stride 2 on 8x7: h out 4, total 3*2+3-8 = 1; w out 4, total 3*2+3-7 = 2
    a = canonical_attrs("AVERAGE_POOL_2D", dict(padding="SAME", stride_h=2, stride_w=2,
                                                filter_height=3, filter_width=3,
                                                fused_activation_function="RELU6"),
                        [(1, 8, 7, 4)])
    assert (a["window"], a["strides"], a["dilations"], a["pads"]) == (
        (3, 3), (2, 2), (1, 1), (0, 1, 1, 1))
    assert a["clamp"] == (0.0, 6.0)
    for act, clamp in (("RELU", (0.0, None)), ("RELU_N1_TO_1", (-1.0, 1.0))):
        assert canonical_attrs("ADD", {"fused_activation_function": act}, [])["clamp"] == clamp
    fc = canonical_attrs("FULLY_CONNECTED", dict(fused_activation_function="NONE",
                                                 weights_format=0, keep_num_dims=True), [])
    assert fc["keep_dims"] is True and "unsupported" not in fc and "keep_num_dims" not in fc
    assert canonical_attrs("ARG_MAX", {"output_type": 4}, [])["output_dtype"] == "int64"
    assert canonical_attrs("ARG_MIN", {"output_type": 2}, [])["output_dtype"] == "int32"
    dw = canonical_attrs("DEPTHWISE_CONV_2D", _conv(depth_multiplier=2), [(1, 4, 4, 2),
                                                                          (1, 3, 3, 4)])
    assert dw["depth_multiplier"] == 2 and dw["pads"] == (1, 1, 1, 1)
    assert canonical_attrs("SOFTMAX", {"beta": 0.5}, [])["beta"] == 0.5


@pytest.mark.parametrize("kind, options, reason", [
    ("CONV_2D", _conv(fused_activation_function="TANH"), "fused activation TANH is not supported"),
    ("CONV_2D", _conv(padding="unknown(7)"), "padding unknown(7) is not supported"),
    ("FULLY_CONNECTED", {"weights_format": 1}, "shuffled weights format is not supported"),
])
def test_untranslatable_options(kind, options, reason):
    assert canonical_attrs(kind, options, [(1, 4, 4, 3), (2, 3, 3, 3)])["unsupported"] == reason


def test_malformed_window_has_no_pads():
    """Pads need a rank-4 input and filter and positive strides: otherwise none are written
    and the op's check words the problem (tests/ops/test_conv2d.py)."""
    assert "pads" not in canonical_attrs("CONV_2D", _conv(), [(1, 4, 4), (2, 3, 3, 3)])
    assert "pads" not in canonical_attrs("CONV_2D", _conv(stride_h=0), [(1, 4, 4, 3), (2, 3, 3, 3)])
    assert "pads" not in canonical_attrs("CONV_2D", _conv(), [(1, 4, 4, 3)])


def test_converted_model():
    """A converter's option tables, read from the file: SAME with odd totals, stride 2,
    pools, fused activations, FC keep_dims; and the dilation, which the converter writes as
    SPACE_TO_BATCH_ND -> CONV_2D -> BATCH_TO_SPACE_ND for a dynamic batch, after the pipeline
    fused it (passes/dilate.py)."""
    def build():
        k = keras()
        inp = k.Input((9, 10, 3))
        x = k.layers.Conv2D(4, 4, strides=2, padding="same", activation="relu")(inp)  # 5x5
        x = k.layers.Conv2D(4, 3, dilation_rate=2, padding="same")(x)                   # 5x5
        x = k.layers.DepthwiseConv2D((2, 3), padding="same")(x)                         # 5x5
        x = k.layers.AveragePooling2D(2, strides=2, padding="same")(x)                  # 3x3
        x = k.layers.MaxPooling2D(2, padding="valid")(x)                               # 1x1
        return k.Model(inp, k.layers.Dense(3)(k.layers.Flatten()(x)))
    g = read(int8_tflite(build, [(9, 10, 3)]), "m.tflite")
    assert all(op.attrs["numerics"] == "tflite" and op.source_kind == op.kind for op in g.ops)
    assert "SPACE_TO_BATCH_ND" in [op.kind for op in g.ops]
    g = pipeline(g)
    convs = [op for op in g.ops if op.kind in ("CONV_2D", "DEPTHWISE_CONV_2D")]
    pools = [op for op in g.ops if op.kind.endswith("POOL_2D")]
    got = [(op.kind, op.attrs["strides"], op.attrs["dilations"], op.attrs["pads"],
            op.attrs["clamp"]) for op in convs + pools]
    assert got == [
        # h: out 5, total 4*2+4-9 = 3; w: out 5, total 4*2+4-10 = 2
        ("CONV_2D", (2, 2), (1, 1), (1, 1, 2, 1), (0.0, None)),
        # effective 5 on 5x5: total 4
        ("CONV_2D", (1, 1), (2, 2), (2, 2, 2, 2), (None, None)),
        # 2x3 on 5x5: totals 1 and 2
        ("DEPTHWISE_CONV_2D", (1, 1), (1, 1), (0, 1, 1, 1), (None, None)),
        # 2x2 stride 2 on 5x5: out 3, total 2*2+2-5 = 1
        ("AVERAGE_POOL_2D", (2, 2), (1, 1), (0, 0, 1, 1), (None, None)),
        ("MAX_POOL_2D", (2, 2), (1, 1), (0, 0, 0, 0), (None, None)),
    ]
    assert [op.attrs["window"] for op in pools] == [(2, 2), (2, 2)]
    fc = next(op for op in g.ops if op.kind == "FULLY_CONNECTED")
    assert fc.attrs["keep_dims"] is False


# TFLite's option fields (snake_case as the reflection reader names them, and the generated
# accessors) that only the frontend may name; the project's own C struct fields (tcm_window's
# stride_h, CMSIS-NN's padding) are not attrs and are allowed.
_TFLITE_WORDS = re.compile(
    r"\b(fused_activation_function|dilation_[hw]_?factor|filter_(height|width)|keep_num_dims"
    r"|weights_format|output_type|asymmetric_quantize_inputs|pot_scale_int16)\b"
    r"|attrs(\.get\(|\[)\s*[\"'](padding|stride_[hw])[\"']"
    r"|\.(FusedActivationFunction|Padding|StrideH|StrideW|DilationHFactor|DilationWFactor"
    r"|FilterHeight|FilterWidth|KeepNumDims|WeightsFormat|OutputType|BuiltinOptions)\("
    r"|^\s*(import|from)\s+tflite\b(?!_)", re.M)


def tflite_vocabulary(text: str) -> list[str]:
    return [m.group(0).strip() for m in _TFLITE_WORDS.finditer(text)]


def test_the_pattern_finds_what_it_must():
    """The check below can fail: each forbidden form is caught, the allowed ones are not."""
    assert tflite_vocabulary("import tflite\nfrom tflite.Model import Model\n") == [
        "import tflite", "from tflite"]
    assert tflite_vocabulary('a = op.attrs.get("fused_activation_function", "NONE")')
    assert tflite_vocabulary('op.attrs["padding"]; op.attrs.get("stride_h", 1)') == [
        'attrs["padding"', 'attrs.get("stride_h"']
    assert tflite_vocabulary("x.DilationHFactor()") == [".DilationHFactor("]
    assert not tflite_vocabulary('from tflite_micro import runtime\nwin.stride_h, "padding": 1')


def test_nothing_outside_frontends_names_tflite_options():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "frontends" in path.relative_to(PACKAGE).parts:
            continue
        found += [f"{path.relative_to(PACKAGE)}: {w}"
                  for w in tflite_vocabulary(path.read_text(encoding="utf-8"))]
    assert found == []
