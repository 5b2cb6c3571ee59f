"""Pad and Slice, ops that only move data: int8/uint8 directly and in QDQ form (DQ -> op -> Q
with one quantization; onnxruntime keeps a QDQ Pad in float, where Q(DQ(x)) = x), behind a
QLinearConv (the NHWC layout inside) and on a graph input, compiled to C and compared with
onnxruntime exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto as TP, helper

from tests.onnx._ort import check, const, save, value

F32 = np.float32
TYPES = {"int8": (np.int8, TP.INT8, 0), "uint8": (np.uint8, TP.UINT8, 128)}


def _model(tmp_path: Path, t: str, op_nodes, extra_inits, form: str, conv: bool,
           shape=(1, 3, 5, 6), opset: int = 17, name: str = "m") -> Path:
    """x -> [QLinearConv 1x1, 3 -> 4 channels] -> h -> op (its nodes read 'a', write 'b') -> y:
    QDQ form with DequantizeLinear before and QuantizeLinear after, or the int8 tensors."""
    npt, tp, shift = TYPES[t]
    rng = np.random.default_rng(3)
    inits = [const("s", F32(0.05)), const("z", npt(-7 + shift)),
             const("w", rng.integers(-127, 128, (4, shape[1], 1, 1)).astype(np.int8)),
             const("ws", F32(0.02)), const("wz", np.int8(0)), *extra_inits]
    nodes = []
    h = "x"
    if conv:
        nodes.append(helper.make_node("QLinearConv", ["x", "s", "z", "w", "ws", "wz", "s", "z"],
                                      ["h"]))
        h = "h"
    if form == "qdq":
        nodes += [helper.make_node("DequantizeLinear", [h, "s", "z"], ["a"]), *op_nodes,
                  helper.make_node("QuantizeLinear", ["b", "s", "z"], ["y"])]
    else:
        nodes += [helper.make_node("Identity", [h], ["a"]), *op_nodes,
                  helper.make_node("Identity", ["b"], ["y"])]
    return save(tmp_path / f"{name}.onnx", nodes, [value("x", tp, list(shape))],
                [value("y", tp, None)], inits, opset=opset)


PADS = {  # id: (pads over N, C, H, W: begins then ends, mode, constant_value)
    "zeros": ([0, 1, 2, 0, 0, 2, 1, 3], "constant", None),
    "value": ([0, 0, 1, 1, 0, 0, 2, 0], "constant", 0.7),
    "value_saturates": ([0, 0, 1, 1, 0, 1, 0, 0], "constant", -100.0),
    "reflect": ([0, 0, 2, 1, 0, 0, 4, 5], "reflect", None),
    "edge": ([0, 1, 3, 0, 0, 2, 0, 7], "edge", None),
}


FORMS = {"qdq_after_conv": ("qdq", True), "qdq_on_input": ("qdq", False),
         "int8_after_conv": ("int8", True)}


@pytest.mark.parametrize("where", FORMS, ids=list(FORMS))
@pytest.mark.parametrize("case", PADS, ids=list(PADS))
def test_pad(tmp_path: Path, case, where):
    pads, mode, cv = PADS[case]
    form, conv = FORMS[where]
    for t in TYPES:
        npt, _, shift = TYPES[t]
        inits = [const("p", np.array(pads, np.int64))]
        inputs = ["a", "p"]
        if cv is not None:
            if form == "qdq":
                inits.append(const("cv", F32(cv)))
            else:
                inits.append(const("cv", npt(int(np.clip(round(cv / 0.05) - 7, -128, 127))
                                             + shift)))
            inputs.append("cv")
        node = helper.make_node("Pad", inputs, ["b"], mode=mode)
        p = _model(tmp_path, t, [node], inits, form, conv, name=t)
        check(p, tmp_path / f"w{t}", n=2)


def test_pad_value_dequantized_and_axes(tmp_path: Path):
    """constant_value a DequantizeLinear of an int8 constant with other parameters; opset 18's
    axes input (negative axes)."""
    inits = [const("p", np.array([2, 1, 0, 3], np.int64)), const("ax", np.array([-1, 1])),
             const("c", np.int8(50)), const("cs", F32(0.013)), const("cz", np.int8(-3))]
    nodes = [helper.make_node("DequantizeLinear", ["c", "cs", "cz"], ["cd"]),
             helper.make_node("Pad", ["a", "p", "cd", "ax"], ["b"])]
    p = _model(tmp_path, "int8", nodes, inits, "qdq", True, opset=18)
    check(p, tmp_path / "w", n=2)


SLICES = {  # id: (starts, ends, axes, steps) over N, C, H, W (None: input left out)
    "hw": ([1, 2], [4, 6], [2, 3], None),
    "channels_step2": ([0], [4], [1], [2]),
    "negative_and_huge": ([-4, 1], [np.iinfo(np.int64).max, -1], [-2, 3], None),
    "reverse_all": ([-1, -1], [np.iinfo(np.int64).min, -9], [2, 3], [-1, -2]),
    "reverse_part": ([3], [0], [3], [-1]),
    "all_axes_default": ([0, 1, 1, 0], [1, 3, 5, 5], None, None),
    "steps_3_clamped": ([0, 0], [100, 100], [2, 3], [3, 4]),
}


@pytest.mark.parametrize("where", FORMS, ids=list(FORMS))
@pytest.mark.parametrize("case", SLICES, ids=list(SLICES))
def test_slice(tmp_path: Path, case, where):
    starts, ends, axes, steps = SLICES[case]
    form, conv = FORMS[where]
    inits = [const("st", np.array(starts, np.int64)), const("en", np.array(ends, np.int64))]
    inputs = ["a", "st", "en", "", ""]
    for k, (name, v) in enumerate((("ax", axes), ("sp", steps))):
        if v is not None:
            inits.append(const(name, np.array(v, np.int64)))
            inputs[3 + k] = name
    node = helper.make_node("Slice", inputs, ["b"])
    for t in TYPES:
        p = _model(tmp_path, t, [node], inits, form, conv, shape=(1, 4, 6, 7), name=t)
        check(p, tmp_path / f"w{t}", n=2)


@pytest.mark.parametrize("seed", range(6))
def test_slice_random(tmp_path: Path, seed):
    """Random starts/ends/steps (positive and negative, in and out of range) on every axis."""
    rng = np.random.default_rng(seed)
    shape = (1, 4, 6, 7)
    starts, ends, steps = [], [], []
    for d in shape:
        st = int(rng.choice([-3, -2, -1, 1, 2, 3]))
        while True:
            b, e = (int(v) for v in rng.integers(-d - 2, d + 3, 2))
            nb = min(max(b + d * (b < 0), 0), d - 1 if st < 0 else d)
            ne = min(max(e + d * (e < 0), -1 if st < 0 else 0), d - 1 if st < 0 else d)
            if len(range(nb, ne, st)):
                break
        starts.append(b), ends.append(e), steps.append(st)
    inits = [const("st", np.array(starts, np.int64)), const("en", np.array(ends, np.int64)),
             const("sp", np.array(steps, np.int64)), const("ax", np.arange(4))]
    node = helper.make_node("Slice", ["a", "st", "en", "ax", "sp"], ["b"])
    p = _model(tmp_path, "int8", [node], inits, "qdq", bool(seed % 2), shape=shape)
    check(p, tmp_path / "w", n=1)


RESIZES = [  # scales over H, W, or sizes [H, W], of a 4x8 image; align_corners only: ANY_SIZE
    ("scales", [2.0, 4.0]), ("scales", [0.5, 0.25]), ("scales", [1.0, 0.125]),
    ("scales", [0.25, 2.0]), ("sizes", [8, 4]), ("sizes", [1, 16]), ("sizes", [4, 8]),
]
ANY_SIZE = [("scales", [1.5, 0.6]), ("scales", [0.7, 1.7]), ("sizes", [3, 11]),
            ("sizes", [9, 5]), ("sizes", [1, 1])]
COORDINATES = ["half_pixel", "asymmetric", "pytorch_half_pixel", "tf_half_pixel_for_nn",
               "align_corners", "half_pixel_symmetric"]
ROUNDING = ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"]


@pytest.mark.parametrize("where", FORMS, ids=list(FORMS))
@pytest.mark.parametrize("coordinates", COORDINATES)
def test_resize_nearest(tmp_path: Path, coordinates, where):
    """Every nearest_mode and several scales and sizes (up, down, 1, to 1x1) as graph outputs
    of one model, each Resize between its own DequantizeLinear and QuantizeLinear (QDQ) or on
    the int8 tensor."""
    form, conv = FORMS[where]
    npt, tp, _ = TYPES["int8"]
    rng = np.random.default_rng(3)
    inits = [const("s", F32(0.05)), const("z", npt(-7)),
             const("w", rng.integers(-127, 128, (4, 2, 1, 1)).astype(np.int8)),
             const("ws", F32(0.02)), const("wz", np.int8(0)), const("roi", np.zeros(0, F32))]
    nodes = [helper.make_node("QLinearConv", ["x", "s", "z", "w", "ws", "wz", "s", "z"], ["h"])]
    h = "h" if conv else "x"
    outputs = []
    cases = RESIZES + (ANY_SIZE if coordinates == "align_corners" else [])
    for k, (rounding, (kind, hw)) in enumerate((r, c) for r in ROUNDING for c in cases):
        src = h
        if form == "qdq":
            nodes.append(helper.make_node("DequantizeLinear", [h, "s", "z"], [f"d{k}"]))
            src = f"d{k}"
        channels = 4 if conv else 2
        if kind == "scales":
            inits.append(const(f"p{k}", np.array([1, 1, *hw], F32)))
            inputs = [src, "roi", f"p{k}"]
        else:
            inits.append(const(f"p{k}", np.array([1, channels, *hw], np.int64)))
            inputs = [src, "", "", f"p{k}"]
        y = f"y{k}"
        nodes.append(helper.make_node("Resize", inputs, [f"r{k}" if form == "qdq" else y],
                                      coordinate_transformation_mode=coordinates,
                                      nearest_mode=rounding, mode="nearest"))
        if form == "qdq":
            nodes.append(helper.make_node("QuantizeLinear", [f"r{k}", "s", "z"], [y]))
        outputs.append(value(y, tp, None))
    p = save(tmp_path / "m.onnx", nodes, [value("x", tp, [1, 2, 4, 8])], outputs, inits,
             opset=19)
    check(p, tmp_path / "w", n=2)


def test_resize_index_tables_equal_onnxruntime(tmp_path: Path):
    """resize_nearest.onnx_nearest against onnxruntime's float Resize of an arange, for random
    modes and sizes in what the frontend accepts (power-of-two scales, any with align_corners)."""
    import onnxruntime as ort
    from tinycc_ml.ops.resize_nearest import onnx_nearest
    rng = np.random.default_rng(2)
    tried = 0
    while tried < 150:
        coordinates, rounding = rng.choice(COORDINATES), rng.choice(ROUNDING)
        n_in = int(rng.integers(1, 13))
        if coordinates == "align_corners":
            scale = F32(rng.uniform(0.2, 4))
        else:
            scale = F32(2.0 ** int(rng.integers(-3, 4)))
        n_out = int(scale * F32(n_in))
        if n_out < 1 or (coordinates != "align_corners" and n_out != float(scale) * n_in):
            continue
        tried += 1
        node = helper.make_node("Resize", ["x", "roi", "sc"], ["y"], nearest_mode=rounding,
                                coordinate_transformation_mode=coordinates)
        p = save(tmp_path / "r.onnx", [node], [value("x", TP.FLOAT, [1, 1, 1, n_in])],
                 [value("y", TP.FLOAT, None)],
                 [const("roi", np.zeros(0, F32)), const("sc", np.array([1, 1, 1, scale], F32))],
                 opset=19)
        sess = ort.InferenceSession(str(p), providers=["CPUExecutionProvider"])
        got = sess.run(None, {"x": np.arange(n_in, dtype=F32).reshape(1, 1, 1, n_in)})[0]
        assert onnx_nearest(n_out, n_in, float(scale), coordinates, rounding) == \
            got.reshape(-1).astype(int).tolist(), (coordinates, rounding, n_in, float(scale))


def test_int8_input_moved_before_its_first_quantized_reader(tmp_path: Path):
    """An int8 graph input padded, resized and sliced before the QLinearConv that states its
    scale and zero point (the input's parameters are found through the moves)."""
    rng = np.random.default_rng(8)
    inits = [const("s", F32(0.05)), const("z", np.int8(-7)), const("ys", F32(0.1)),
             const("w", rng.integers(-127, 128, (4, 2, 3, 3)).astype(np.int8)),
             const("ws", F32(0.02)), const("wz", np.int8(0)), const("yz", np.int8(3)),
             const("p", np.array([0, 0, 1, 0, 0, 0, 0, 2], np.int64)),
             const("sc", np.array([1, 1, 2, 2], F32)), const("roi", np.zeros(0, F32)),
             const("st", np.array([1], np.int64)), const("en", np.array([-1], np.int64)),
             const("ax", np.array([2], np.int64))]
    nodes = [helper.make_node("Pad", ["x", "p"], ["a"], mode="edge"),
             helper.make_node("Resize", ["a", "roi", "sc"], ["r"], mode="nearest"),
             helper.make_node("Slice", ["r", "st", "en", "ax"], ["b"]),
             helper.make_node("QLinearConv", ["b", "s", "z", "w", "ws", "wz", "ys", "yz"],
                              ["y"])]
    p = save(tmp_path / "m.onnx", nodes, [value("x", TP.INT8, [1, 2, 5, 6])],
             [value("y", TP.INT8, None)], inits)
    check(p, tmp_path / "w", n=3)
