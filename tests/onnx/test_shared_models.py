"""tf2onnx (1.17, --opset 17) of the four shared int8 MLPerf Tiny models: QDQ graphs written by a
public converter, compiled and compared with onnxruntime on 100 random inputs on the host and a
few on Cortex-M4 and Cortex-M55 under QEMU, exactly.

The reference session: ad_autoencoder with onnxruntime's defaults (--ort-reference x86). The
three CNNs with --ort-reference x86-s8 (session.qdqisint8allowed = 1): with its defaults on
x86-64, onnxruntime leaves the groups its uint8 rewrite cannot reach in float32 (the first Conv
after the int8 graph input, the average pool, the Gemm, the Softmax, and ic_resnet8's
convolutions whose input is read twice), whose MLAS float sums no integer code reproduces in
general; test_float_groups_under_x86_defaults pins that behaviour down (README.md, ONNX)."""

from __future__ import annotations

import collections
import subprocess
import sys
from pathlib import Path

import pytest

from tests.onnx._ort import check

MODELS = {"ad": ("ad_autoencoder_int8.tflite", "x86"),
          "kws": ("kws_ds_cnn_int8.tflite", "x86-s8"),
          "vww": ("vww_mobilenet_int8.tflite", "x86-s8"),
          "ic": ("ic_resnet8_int8.tflite", "x86-s8")}


def _tf2onnx(src: Path, dst: Path) -> Path:
    try:
        import tf2onnx  # noqa: F401
    except ImportError:
        pytest.fail("tf2onnx is not installed (pip install -e '.[test]')")
    subprocess.run([sys.executable, "-m", "tf2onnx.convert", "--tflite", str(src), "--output",
                    str(dst), "--opset", "17"], check=True, capture_output=True)
    return dst


@pytest.fixture(scope="module")
def onnx_models(shared_models, tmp_path_factory) -> dict:
    d = tmp_path_factory.mktemp("tf2onnx")
    return {k: _tf2onnx(shared_models / src, d / f"{k}.onnx") for k, (src, _) in MODELS.items()}


@pytest.mark.parametrize("model", MODELS)
def test_host_100_inputs(onnx_models, tmp_path: Path, model):
    check(onnx_models[model], tmp_path / "w", n=100, ort_reference=MODELS[model][1])


def test_ad_integer_only(onnx_models, tmp_path: Path):
    check(onnx_models["ad"], tmp_path / "wi", n=5, integer_only=True)


@pytest.mark.parametrize("target", ["cortex-m4", "cortex-m55"])
@pytest.mark.parametrize("model", MODELS)
def test_on_core(onnx_models, model, target):
    """verify --target under QEMU: the core's outputs equal onnxruntime's on 2 inputs."""
    from tinycc_ml.compiler import Options, compile_file
    from tinycc_ml.verify import verify
    path, reference = onnx_models[model], MODELS[model][1]
    c = compile_file(path, Options(name=model, target=target, ort_reference=reference))
    res = verify(c, path, n_random=2, target=target, log=lambda *a: None)
    assert res.runs == 2 and res.exact, (res.max_diff, res.diff_count)


def test_float_groups_under_x86_defaults(onnx_models, tmp_path: Path):
    """What --ort-reference x86-s8 is for: onnxruntime's default x86-64 graph of kws keeps a
    float Conv, AveragePool, Gemm and Softmax; with session.qdqisint8allowed every group is an
    int8 QLinear* kernel."""
    import onnx
    import onnxruntime as ort
    from tinycc_ml.reference import ort_session_options
    kinds = {}
    for ref in ("x86", "x86-s8"):
        opts = ort_session_options(ref)
        opts.optimized_model_filepath = str(tmp_path / f"{ref}.onnx")
        ort.InferenceSession(str(onnx_models["kws"]), opts, providers=["CPUExecutionProvider"])
        kinds[ref] = collections.Counter(n.op_type for n in
                                         onnx.load(str(tmp_path / f"{ref}.onnx")).graph.node)
    assert {"Conv", "Gemm", "Softmax"} <= set(kinds["x86"])
    assert not {"Conv", "Gemm", "Softmax", "AveragePool"} & set(kinds["x86-s8"])
    assert {"QLinearConv", "QGemm", "QLinearSoftmax", "QLinearAveragePool"} <= set(kinds["x86-s8"])
