"""What onnxruntime's float-scale requantization costs per output on Cortex-M4 and M55
(instructions), beside TFLite's fixed-point form, measured on single fully connected layers.

Each form's layer y[u] = requant(sum_d x[d] * w[u][d] + b[u]) is compiled for the core with
`units` in {64, 256} and `depth` in {16, 64} (whole 16-byte Helium vectors), and run under QEMU
(-O2) on one random input; instructions are counted exactly between bench_begin()/bench_end(). Per
form, the instructions per output (the slope over units) are s(depth) = r + m * depth: r is what
one output costs besides its MACs (the requantization, the bias, the loop around it), m the cost
of one MAC.

Forms, per core (cortex-m4: the SMLAD loop of tcm_fc.c; cortex-m55: the Helium loop of
tcm_fc_mve.c):
- TFLite: a Keras Dense layer converted to int8 (per-channel), the core's kernel
  (tcm_fully_connected_s8_smlad / _mve): MultiplyByQuantizedMultiplier, integer only;
- onnxruntime float: QLinearMatMul with the same shape, the same MAC loop with onnxruntime's
  requantization (tcm_fully_connected_s8_smlad_ort / _mve_ort) in the single-precision form of
  tcm_ort.h (VCVT, VMUL.F32, the clamp, the rounding add);
- onnxruntime integer: the same C built with TCM_ORT_INTEGER_ONLY (the exact emulation of the
  float32 product and its two roundings, one 32x32->64 multiply), as on cores without an FPU;
- onnxruntime float, plain loop: the portable kernel tcm_ort_fc_s8 (compiled for --target
  generic, built for the core), what ONNX models ran on before the MAC loops took the form.

    python benchmarks/ort_requant.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

from _common import table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

UNITS, DEPTHS = (64, 256), (16, 64)


def _onnx_fc(path: Path, units: int, depth: int) -> Path:
    import onnx
    from onnx import TensorProto as TP, helper, numpy_helper
    rng = np.random.default_rng(units + depth)
    c = lambda n, v: numpy_helper.from_array(np.asarray(v), n)  # noqa: E731
    inits = [c("xs", np.float32(0.02)), c("xz", np.int8(3)),
             c("w", rng.integers(-127, 128, (depth, units)).astype(np.int8)),
             c("ws", np.float32(0.01)), c("wz", np.int8(0)), c("ys", np.float32(0.05)),
             c("yz", np.int8(-7))]
    node = helper.make_node("QLinearMatMul", ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz"],
                            ["y"])
    g = helper.make_graph([node], "fc", [helper.make_tensor_value_info("x", TP.INT8, [1, depth])],
                          [helper.make_tensor_value_info("y", TP.INT8, [1, units])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, str(path))
    return path


def _tflite_fc(path: Path, units: int, depth: int) -> Path:
    from tests.util import int8_tflite, tf
    k = tf().keras

    def build():
        x = k.Input((depth,), batch_size=1)
        return k.Model(x, k.layers.Dense(units)(x))
    path.write_bytes(int8_tflite(build, [(depth,)], seed=units + depth))
    return path


def _instructions(path: Path, core: str, integer_only: bool = False,
                  target: str | None = None) -> int:
    import tinycc_ml.cortexm as cm
    from tinycc_ml.compiler import Options, compile_file
    c = compile_file(path, Options(name="fc", target=target or core))
    g = c.graph
    x = [np.random.default_rng(0).integers(-128, 128, g.tensor(t).shape).astype(np.int8)
         for t in g.inputs]
    write = cm.write

    def write_integer_only(compiled, out):     # the kernels as built for a core without an FPU
        files = write(compiled, out)
        for src in Path(out).glob("tcm_*.c"):
            src.write_text("#define TCM_ORT_INTEGER_ONLY 1\n" + src.read_text())
        return files
    cm.write = write_integer_only if integer_only else write
    try:
        return cm.build_and_run(c, [x], core).instructions[0]
    finally:
        cm.write = write


# label: (model maker, TCM_ORT_INTEGER_ONLY, the target compiled for: None = the core)
FORMS = {"TFLite fixed point": (_tflite_fc, False, None),
         "onnxruntime float32": (_onnx_fc, False, None),
         "onnxruntime integer-only": (_onnx_fc, True, None),
         "onnxruntime float32, plain loop (tcm_ort_fc_s8)": (_onnx_fc, False, "generic")}


def main() -> int:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for core in ("cortex-m4", "cortex-m55"):
            for label, (make, integer_only, target) in FORMS.items():
                slope = {}
                for depth in DEPTHS:
                    ext = "tflite" if make is _tflite_fc else "onnx"
                    n = [_instructions(make(Path(tmp) / f"m{u}_{depth}.{ext}", u, depth), core,
                                       integer_only, target) for u in UNITS]
                    slope[depth] = (n[1] - n[0]) / (UNITS[1] - UNITS[0])
                m = (slope[DEPTHS[1]] - slope[DEPTHS[0]]) / (DEPTHS[1] - DEPTHS[0])
                r = slope[DEPTHS[0]] - m * DEPTHS[0]
                rows.append([core, label, f"{slope[DEPTHS[0]]:.1f}", f"{slope[DEPTHS[1]]:.1f}",
                             f"{m:.2f}", f"{r:.1f}"])
    print(table(["core", "form", f"instr/output, depth {DEPTHS[0]}", f"depth {DEPTHS[1]}",
                 "per MAC (m)", "per output besides MACs (r)"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
