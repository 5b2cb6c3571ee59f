"""`tinycc-ml inspect`: the table, the JSON and the PNG agree with the plan and with the
generated C; TensorFlow Lite Micro's arena is the smallest it accepts; bad input is one line."""

from __future__ import annotations

import contextlib
import io
import json
import re

import pytest

from tinycc_ml.cli import main

TOP_KEYS = {"schema", "model", "sha256", "name", "target", "kernels", "layers", "buffers",
            "inplace", "peak", "totals", "stack"}
LAYER_KEYS = {"position", "op_index", "kind", "name", "backend", "describe", "kernel",
              "passed_over", "inputs", "outputs", "macs", "weight_bytes", "scratch", "inplace",
              "live_arena_bytes", "live_io_bytes", "sparsity"}
TOTAL_KEYS = {"layers", "macs", "weight_bytes", "flash_bytes", "arena_bytes", "io_bytes",
              "arena_plus_io_bytes", "liveness_bound_bytes", "liveness_bound_no_io_bytes",
              "arena_live_bound_bytes", "heuristic_arena_bytes", "placement", "io_in_arena_bytes",
              "tflm_arena_bytes", "tflm_note", "state_bytes"}


@pytest.fixture(scope="module")
def ad_run(shared_models, tmp_path_factory):
    """One `inspect --json --plot` and one `compile` of ad_autoencoder."""
    tmp = tmp_path_factory.mktemp("inspect")
    model = shared_models / "ad_autoencoder_int8.tflite"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["inspect", str(model), "--name", "ad", "--json", str(tmp / "ad.json"),
                     "--plot", str(tmp / "ad.png")])
    assert code == 0
    assert main(["compile", str(model), "--name", "ad", "-o", str(tmp / "c"), "-q"]) == 0
    return {"text": out.getvalue(), "json": json.loads((tmp / "ad.json").read_text()),
            "png": tmp / "ad.png", "c": (tmp / "c" / "ad.c").read_text(),
            "h": (tmp / "c" / "ad.h").read_text(), "model": model}


def _union(intervals) -> int:
    covered = set()
    for lo, hi in intervals:
        covered.update(range(lo, hi))
    return len(covered)


def test_json_schema(ad_run):
    d = ad_run["json"]
    assert set(d) == TOP_KEYS and d["schema"] == "tinycc-ml-inspect/1"
    stack = d["stack"]   # -fstack-usage for Cortex-M4: every generated function has a frame
    assert stack["entry"] == "ad_invoke" and stack["worst_path"][0] == "ad_invoke"
    assert stack["worst_bytes"] == sum(stack["functions"].get(f, 0) for f in stack["worst_path"])
    assert set(d["totals"]) == TOTAL_KEYS
    assert d["model"] == "ad_autoencoder_int8.tflite" and len(d["layers"]) == 10
    for x in d["layers"]:
        assert set(x) == LAYER_KEYS
        assert all(len(p) == 2 and all(isinstance(v, str) for v in p) for p in x["passed_over"])


def test_json_matches_the_generated_c(ad_run):
    d, t = ad_run["json"], ad_run["json"]["totals"]
    arena = int(re.search(r"#define AD_ARENA_BYTES (\d+)u", ad_run["h"]).group(1))
    assert t["arena_bytes"] == arena
    # every layer comment of ad.c names the same offsets: "in @X; out @Y" / "in input 0"
    comments = re.findall(r"Layer (\d+): .*?\n\s*\* .*?; in ([^;]+); out ([^;*]+)", ad_run["c"])
    assert len(comments) == len(d["layers"])
    for (pos, c_in, c_out), x in zip(comments, d["layers"]):
        want = lambda r: (f"@{r['offset']}" if r["where"] == "arena"  # noqa: E731
                          else f"{r['where']} {r['index']}")
        assert int(pos) == x["position"]
        assert c_in.strip() == ", ".join(want(r) for r in x["inputs"])
        assert c_out.strip() == ", ".join(want(r) for r in x["outputs"])


def test_json_live_bytes_and_peak_are_consistent(ad_run):
    d, t = ad_run["json"], ad_run["json"]["totals"]
    for x in d["layers"]:
        alive = [(b["offset"], b["offset"] + b["bytes"]) for b in d["buffers"]
                 if b["first"] <= x["position"] <= b["last"]]
        assert x["live_arena_bytes"] == _union(alive)
        assert x["live_arena_bytes"] <= t["arena_bytes"]
    peak = d["peak"]
    assert peak["arena_bytes"] == max(x["live_arena_bytes"] for x in d["layers"])
    assert peak["positions"] == [x["position"] for x in d["layers"]
                                 if x["live_arena_bytes"] == peak["arena_bytes"]]
    assert {b["name"] for b in peak["buffers"]} == {
        b["name"] for b in d["buffers"] if b["first"] <= peak["position"] <= b["last"]}
    assert t["io_bytes"] == 640 + 640 and t["arena_plus_io_bytes"] == t["arena_bytes"] + 1280
    assert t["liveness_bound_bytes"] == 768          # ../shared/BASELINES.md
    assert t["arena_bytes"] <= t["liveness_bound_bytes"]
    assert t["macs"] == sum(x["macs"] for x in d["layers"])


def test_text_names_the_peak_and_the_totals(ad_run):
    text, d = ad_run["text"], ad_run["json"]
    t = d["totals"]
    lines = text.splitlines()
    header = next(i for i, ln in enumerate(lines) if ln.startswith("#"))
    for word in ("op", "shapes", "MACs", "weights", "live", "+I/O"):
        assert word in lines[header]
    rows = lines[header + 1: header + 1 + len(d["layers"])]
    assert [int(r.split()[0]) for r in rows] == [x["position"] for x in d["layers"]]
    assert [r.split()[1] for r in rows] == [x["kind"] for x in d["layers"]]
    assert f"peak: {d['peak']['arena_bytes']:,} B" in text
    for b in d["peak"]["buffers"]:
        assert f"@{b['offset']}" in text
    assert re.search(rf"^arena +{t['arena_bytes']:,} B +AD_ARENA_BYTES", text, re.M)
    assert re.search(rf"^arena \+ I/O +{t['arena_plus_io_bytes']:,} B", text, re.M)
    assert re.search(rf"^liveness bound +{t['liveness_bound_bytes']:,} B", text, re.M)


def test_tflm_arena_is_the_smallest_it_accepts(ad_run):
    t = ad_run["json"]["totals"]
    try:
        from tflite_micro import runtime
    except ImportError:
        assert t["tflm_arena_bytes"] is None and "not installed" in t["tflm_note"]
        return
    n = t["tflm_arena_bytes"]
    data = ad_run["model"].read_bytes()
    runtime.Interpreter.from_bytes(data, arena_size=n)
    with pytest.raises(RuntimeError):
        runtime.Interpreter.from_bytes(data, arena_size=n - 1)
    assert f"TFLite Micro {n:>10,} B" in ad_run["text"]


def test_png(ad_run):
    import matplotlib.image
    raw = ad_run["png"].read_bytes()
    assert raw[:8] == b"\x89PNG\r\n\x1a\n"
    h, w = matplotlib.image.imread(str(ad_run["png"])).shape[:2]
    assert h >= 600 and w >= 700


def test_report_is_deterministic(ad_run):
    from tinycc_ml.compiler import Options, compile_file
    from tinycc_ml.inspect import report
    a = report(compile_file(ad_run["model"], Options(name="ad")), tflm=False)
    b = report(compile_file(ad_run["model"], Options(name="ad")), tflm=False)
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    assert a["layers"] == ad_run["json"]["layers"] and a["buffers"] == ad_run["json"]["buffers"]


def test_bad_model_is_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"this is not a flatbuffer" * 4)
    assert main(["inspect", str(bad), "--json", str(tmp_path / "x.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: bad.tflite")
    assert not (tmp_path / "x.json").exists()


def test_inplace_layers_in_the_json(shared_models):
    """ic_resnet8's layers that write over an input dying there (residual ADDs, convolutions at
    their window gap): JSON and plan agree."""
    from tinycc_ml.compiler import Options, compile_file
    from tinycc_ml.inspect import report
    c = compile_file(shared_models / "ic_resnet8_int8.tflite", Options(name="ic"))
    d = report(c, tflm=False)
    assert d["inplace"], "no in-place layer: inplace_input is not used"
    assert "ADD" in {d["layers"][pin["position"]]["kind"] for pin in d["inplace"]}
    offset = {b["name"]: b["offset"] for b in d["buffers"]}
    for pin in d["inplace"]:
        x = d["layers"][pin["position"]]
        assert x["inplace"] == {"input": pin["input"], "gap": pin["gap"]}
        assert x["inputs"][pin["input"]]["offset"] == offset[pin["src"]]
        assert x["outputs"][0]["offset"] == offset[pin["dst"]] <= offset[pin["src"]] - pin["gap"]


def _layer_calls(c_text: str) -> dict[int, str]:
    """Layer position -> the first function its code in NAME_invoke calls."""
    out = {}
    for pos, body in re.findall(r"/\* Layer (\d+): .*?\*/\n(.*?)(?=\n\s*/\* Layer|\n\s*return 0;)",
                                c_text, re.S):
        body = re.sub(r"#ifdef .*?#endif", "", body, flags=re.S)   # CMSIS-NN's buffer check
        names = [n for n in re.findall(r"\b([A-Za-z_]\w*)\(", body)
                 if n not in ("if", "AD_TRACE_TENSOR", "IC_TRACE_TENSOR")]
        out[int(pos)] = names[0] if names else None
    return out


def test_json_names_each_layers_kernel(ad_run):
    """ad_autoencoder on the generic target: each FULLY_CONNECTED calls tcm_fully_connected_s8
    after CMSIS-NN's (not requested), Helium's, the DSP and the host kernel (other targets)
    were passed over; "kernel" is the function the layer's C calls."""
    calls = _layer_calls(ad_run["c"])
    for x in ad_run["json"]["layers"]:
        assert x["kernel"] == calls[x["position"]]
        if x["kind"] == "FULLY_CONNECTED":
            assert x["kernel"] == "tcm_fully_connected_s8"
            assert [k for k, _ in x["passed_over"]] == [
                "arm_fully_connected_s8", "tcm_fully_connected_s8_sparse",
                "tcm_fully_connected_s8_mve",
                "tcm_fully_connected_s8_smlad", "tcm_fully_connected_s8_pairs",
                "tcm_fully_connected_s8_scalar", "tcm_fully_connected_s8_host"]
            reasons = dict(x["passed_over"])
            assert "not requested" in reasons["arm_fully_connected_s8"]
            assert "--sparsity off" in reasons["tcm_fully_connected_s8_sparse"]
            assert "Helium" in reasons["tcm_fully_connected_s8_mve"]
            assert "DSP" in reasons["tcm_fully_connected_s8_smlad"]
            assert "--target host only" in reasons["tcm_fully_connected_s8_host"]
    assert "kernels (passed over: why):" in ad_run["text"]
    assert "not tcm_fully_connected_s8_mve: needs Helium" in ad_run["text"]


@pytest.mark.parametrize("target,kernels,inexact,fc_kernel,fc_passed", [
    ("host", "portable", (), "tcm_fully_connected_s8_host",
     ["arm_fully_connected_s8", "tcm_fully_connected_s8_sparse", "tcm_fully_connected_s8_mve",
      "tcm_fully_connected_s8_smlad", "tcm_fully_connected_s8_pairs",
      "tcm_fully_connected_s8_scalar"]),
    ("cortex-m3", "portable", (), "tcm_fully_connected_s8_pairs",
     ["arm_fully_connected_s8", "tcm_fully_connected_s8_sparse", "tcm_fully_connected_s8_mve",
      "tcm_fully_connected_s8_smlad"]),
    ("cortex-m4", "portable", (), "tcm_fully_connected_s8_smlad",
     ["arm_fully_connected_s8", "tcm_fully_connected_s8_sparse", "tcm_fully_connected_s8_mve"]),
    ("cortex-m55", "portable", (), "tcm_fully_connected_s8_mve",
     ["arm_fully_connected_s8", "tcm_fully_connected_s8_sparse"]),
    ("cortex-m4", "cmsis-nn", (), "tcm_fully_connected_s8_smlad",
     ["arm_fully_connected_s8", "tcm_fully_connected_s8_sparse", "tcm_fully_connected_s8_mve"]),
    ("cortex-m4", "cmsis-nn", ("FULLY_CONNECTED",), "arm_fully_connected_s8", []),
])
def test_kernel_choice_follows_target_and_options(shared_models, target, kernels, inexact,
                                                  fc_kernel, fc_passed):
    from tinycc_ml.compiler import Options, compile_file
    from tinycc_ml.inspect import report
    c = compile_file(shared_models / "ad_autoencoder_int8.tflite",
                     Options(name="ad", target=target, kernels=kernels, cmsis_nn_inexact=inexact))
    d = report(c, tflm=False)
    calls = _layer_calls(c.files["ad.c"])
    fcs = [x for x in d["layers"] if x["kind"] == "FULLY_CONNECTED"]
    assert fcs
    for x in fcs:
        assert x["kernel"] == fc_kernel == calls[x["position"]]
        assert [k for k, _ in x["passed_over"]] == fc_passed
    if kernels == "cmsis-nn" and not inexact:
        # the summary's note is the reason selection recorded for passing CMSIS-NN over
        reason = dict(fcs[0]["passed_over"])["arm_fully_connected_s8"]
        assert reason.startswith("arm_fully_connected_s8 rounds twice")
        assert any(n.endswith(f"keeps tinycc-ml's kernel: {reason}") for n in c.notes)


def test_sparsity_per_layer(tmp_path):
    """inspect and the layer comment give each weighted layer's zero fraction and form; a
    pruned layer's sparse rows with its weight bytes and MACs before -> after."""
    from tests.prune import prune
    from tests.util import SHARED_MODELS
    from tinycc_ml.compiler import Options, compile_file
    from tinycc_ml.inspect import format_text, report
    path = tmp_path / "kws90.tflite"
    path.write_bytes(prune((SHARED_MODELS / "kws_ds_cnn_int8.tflite").read_bytes(), 0.9))
    c = compile_file(path, Options(name="m", target="cortex-m4", sparsity="auto"))
    d = report(c, path, tflm=False)
    conv = [x for x in d["layers"] if x["kind"] == "CONV_2D"]
    assert conv and all(re.match(r"\d+% zero weights, sparse rows: weights [\d,]+ -> [\d,]+ B, "
                                 r"MACs [\d,]+ -> [\d,]+$", x["sparsity"]) for x in conv)
    assert all(x["sparsity"] == "" for x in d["layers"] if x["kind"] == "SOFTMAX")
    text = format_text(d)
    assert conv[0]["sparsity"] in text
    assert conv[0]["sparsity"] in c.files["m.c"]
    dense = compile_file(path, Options(name="m", target="cortex-m4", sparsity="off"))
    assert "90% zero weights, dense form" in dense.files["m.c"]
