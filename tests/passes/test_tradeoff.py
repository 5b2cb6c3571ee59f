"""RAM against speed (passes/tradeoff.py): --optimize ram, --max-arena choosing kernels, and the
frontier of inspect --tradeoff, on the shared models (arenas from the planner; bit-exactness of
the mixed kernel sets under QEMU in test_ram_builds_are_bit_exact)."""

from __future__ import annotations

import pytest

from tests.util import SHARED, SHARED_MODELS
from tinycc_ml.cli import main
from tinycc_ml.compiler import Options, arena_bytes, compile_file, tiled_graph
from tinycc_ml.passes.tradeoff import estimated_cycles, frontier

# TensorFlow Lite Micro's smallest arenas (../shared/BASELINES.md)
TFLM = {"kws_ds_cnn_int8": 24_314, "vww_mobilenet_int8": 103_718, "ic_resnet8_int8": 55_986,
        "ad_autoencoder_int8": 4_671}


def _compile(name, **kw):
    return compile_file(SHARED_MODELS / f"{name}.tflite", Options(name="m", **kw))


def _io(c):
    g = c.graph
    return sum(g.tensor(t).nbytes for t in set(g.inputs) | set(g.outputs))


@pytest.mark.parametrize("name", SHARED)
@pytest.mark.parametrize("target", ["cortex-m4", "cortex-m55", "cortex-m0plus"])
def test_ram_end_is_never_above_the_generic_arena(name, target):
    generic = _compile(name).plan.arena_bytes
    speed = _compile(name, target=target)
    ram = _compile(name, target=target, optimize="ram")
    assert ram.plan.arena_bytes <= min(generic, speed.plan.arena_bytes)
    assert estimated_cycles(ram.graph, ram.choices) >= estimated_cycles(speed.graph, speed.choices)


def test_default_is_the_speed_end():
    c = _compile("kws_ds_cnn_int8", target="cortex-m4")
    s = _compile("kws_ds_cnn_int8", target="cortex-m4", optimize="speed")
    assert [x.kernel for x in c.choices] == [x.kernel for x in s.choices]
    assert c.files == s.files
    # kws today: the DSP kernels' arena, above the generic one; ram gets the generic back
    assert c.plan.arena_bytes > _compile("kws_ds_cnn_int8").plan.arena_bytes


def test_max_arena_picks_the_fastest_plan_that_fits(tmp_path, capsys):
    speed = _compile("kws_ds_cnn_int8", target="cortex-m4")
    ram = _compile("kws_ds_cnn_int8", target="cortex-m4", optimize="ram")
    assert ram.plan.arena_bytes < speed.plan.arena_bytes
    # at the speed end's arena, nothing changes
    same = _compile("kws_ds_cnn_int8", target="cortex-m4", max_arena=speed.plan.arena_bytes)
    assert same.files == speed.files
    # at the ram end's arena: fits, and no slower than the ram end
    fit = _compile("kws_ds_cnn_int8", target="cortex-m4", max_arena=ram.plan.arena_bytes)
    assert fit.plan.arena_bytes <= ram.plan.arena_bytes
    assert estimated_cycles(fit.graph, fit.choices) <= estimated_cycles(ram.graph, ram.choices)
    # the kernels passed over for RAM say so (inspect prints it)
    reasons = [r for c in fit.choices for _, r in c.passed_over if "--max-arena" in r]
    assert reasons
    # one byte below the ram end: one line, exit 2, no output
    out = tmp_path / "out"
    rc = main(["compile", str(SHARED_MODELS / "kws_ds_cnn_int8.tflite"), "-o", str(out), "-q",
               "--target", "cortex-m4", "--max-arena", str(ram.plan.arena_bytes - 1)])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.splitlines()) == 1 and not out.exists()
    assert f"the arena needs {ram.plan.arena_bytes} bytes even with the smallest-scratch" in err
    assert f"1 more than --max-arena {ram.plan.arena_bytes - 1}" in err


def test_frontier_runs_from_ram_to_speed():
    c = _compile("vww_mobilenet_int8", target="cortex-m4")
    ctx = c.options.context()
    pts = frontier(c.graph, ctx, arena_bytes, tiled_graph(c.graph, ctx))
    ram = _compile("vww_mobilenet_int8", target="cortex-m4", optimize="ram")
    assert pts[0][0] >= ram.plan.arena_bytes       # the final plan searches longer
    assert any(op.kind == "TILED_ROWS" for op in ram.graph.ops)
    assert pts[-1] == (c.plan.arena_bytes, estimated_cycles(c.graph, c.choices))
    assert all(a1 < a2 and c1 > c2 for (a1, c1), (a2, c2) in zip(pts, pts[1:]))


def test_inspect_tradeoff_prints_and_plots(tmp_path, capsys):
    png = tmp_path / "f.png"
    rc = main(["inspect", str(SHARED_MODELS / "kws_ds_cnn_int8.tflite"), "--target", "cortex-m4",
               "--tradeoff", "--plot", str(png)])
    out = capsys.readouterr().out
    assert rc == 0 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "ESTIMATED cycles" in out and "--optimize ram" in out and "--optimize speed" in out


@pytest.mark.parametrize("name", ["kws_ds_cnn_int8", "vww_mobilenet_int8", "ad_autoencoder_int8"])
def test_ram_end_against_tflm(name):
    c = _compile(name, target="cortex-m4", optimize="ram")
    assert c.plan.arena_bytes + _io(c) <= 0.5 * TFLM[name]


@pytest.mark.parametrize("target", ["cortex-m4", "cortex-m0plus"])
def test_ram_builds_are_bit_exact(target, capsys):
    """The mixed kernel set of --optimize ram, run under QEMU against BUILTIN_REF."""
    rc = main(["verify", str(SHARED_MODELS / "kws_ds_cnn_int8.tflite"), "--target", target,
               "--optimize", "ram", "--inputs", "2"])
    out = capsys.readouterr().out
    assert rc == 0 and "BIT-EXACT" in out and "estimated cycles" in out


def test_tiled_vww_is_bit_exact_and_smaller(capsys):
    """vww's first pointwise/depthwise/pointwise chain runs row by row (ops/tiled.py) under
    --optimize ram: the plan drops below the untiled one, and the outputs stay BUILTIN_REF's."""
    ram = _compile("vww_mobilenet_int8", optimize="ram")
    tiled = [op for op in ram.graph.ops if op.kind == "TILED_ROWS"]
    assert len(tiled) == 1 and [o.kind for o in tiled[0].params.ops] == \
        ["CONV_2D", "DEPTHWISE_CONV_2D", "CONV_2D"]
    assert ram.plan.arena_bytes < _compile("vww_mobilenet_int8").plan.arena_bytes - 10_000
    rc = main(["verify", str(SHARED_MODELS / "vww_mobilenet_int8.tflite"), "--optimize", "ram",
               "--inputs", "3"])
    assert rc == 0 and "BIT-EXACT" in capsys.readouterr().out


def test_tiled_gap_lets_the_output_overwrite_the_input():
    """vww's tile writes output row r (768 B) once input rows up to 2r + 2 (384 B each) are read:
    the output can start on the input (gap 0), as hand-computed."""
    ram = _compile("vww_mobilenet_int8", optimize="ram")
    pos = next(i for i, op in enumerate(ram.graph.ops) if op.kind == "TILED_ROWS")
    choice = ram.choices[pos]
    assert choice.inplace == (0, 0)
    # 3 rows of 48 x 16 (the band), a row of 24 x 16, the portable kernels' 4 x 32 accumulators
    assert choice.scratch == 3 * 768 + 384 + 128


def test_tiles_call_the_targets_kernels_where_the_arena_allows(capsys):
    """On cortex-m4 the tile's pointwise calls are the DSP kernel's when --max-arena leaves room
    for its scratch, the portable one's at the ram end; both bit-exact under QEMU."""
    ram = _compile("vww_mobilenet_int8", target="cortex-m4", optimize="ram")
    pos = next(i for i, op in enumerate(ram.graph.ops) if op.kind == "TILED_ROWS")
    assert [k.name for k, _ in ram.choices[pos].decision] == \
        ["tcm_conv2d_s8", "tcm_depthwise_conv2d_s8", "tcm_conv2d_s8"]
    roomy = _compile("vww_mobilenet_int8", target="cortex-m4",
                     max_arena=ram.plan.arena_bytes + 64)
    pos = next(i for i, op in enumerate(roomy.graph.ops) if op.kind == "TILED_ROWS")
    assert [k.name for k, _ in roomy.choices[pos].decision] == \
        ["tcm_conv2d_s8_smlad", "tcm_depthwise_conv2d_s8", "tcm_conv2d_s8_smlad"]
    rc = main(["verify", str(SHARED_MODELS / "vww_mobilenet_int8.tflite"), "--target",
               "cortex-m4", "--max-arena", str(ram.plan.arena_bytes + 64), "--inputs", "1"])
    assert rc == 0 and "BIT-EXACT" in capsys.readouterr().out
