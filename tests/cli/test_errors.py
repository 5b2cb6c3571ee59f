"""Hostile input: every malformed model gets one line on stderr, exit code 2, and nothing else.

Each rejected case checks the whole contract: `main` returns 2 within a time limit; stderr is
exactly one line, `error: <file name>: ...`; no traceback; no output folder and no temporary
folder left behind. The malformed models are made from small valid ones (tests/fuzz/seeds,
made with Keras by tests/fuzz/make_seeds.py, and the shared ad_autoencoder):
- sweeps: truncation at every byte, bit flips at seeded random positions;
- structural damage at known places of the flatbuffer (tests/cli/tflite_edit.py `Layout`);
- semantic damage through TFLite's object API (`edit`): shapes, indices, cycles, types,
  quantization, options.
Most cases call `tinycc_ml.cli.main` in-process; a few run the real command in a subprocess.
"""

from __future__ import annotations

import contextlib
import random
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.cli.tflite_edit import Layout, edit, put, schema
from tests.util import REPO, SHARED_MODELS
from tinycc_ml.cli import main

SEEDS = REPO / "tests" / "fuzz" / "seeds"
CONV = (SEEDS / "conv.tflite").read_bytes()  # CONV_2D, DEPTHWISE, AVG_POOL, RESHAPE, FC, SOFTMAX
DENSE = (SEEDS / "dense.tflite").read_bytes()  # FULLY_CONNECTED x2
TIME_LIMIT = 30  # seconds per case: a hang fails the test

# Tensors and ops of conv.tflite (checked by test_seed_layout).
T_INPUT, T_RESHAPE_SHAPE, T_FC_W, T_DW_W, T_CONV_BIAS, T_DW_BIAS, T_CONV_W, T_CONV_OUT = range(8)
T_OUTPUT = 12
B_CONV_W = 7  # the conv filter's buffer


@contextlib.contextmanager
def time_limit(seconds: int):
    def fire(signum, frame):
        raise TimeoutError(f"no answer within {seconds} s")
    old = signal.signal(signal.SIGALRM, fire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def compile_cli(data: bytes, tmp_path: Path, capsys, name: str = "bad.tflite"):
    """Write `data` as a model, run `tinycc-ml compile` in-process: (exit code, stdout, stderr)."""
    model = tmp_path / name
    model.write_bytes(data)
    out = tmp_path / "out"
    with time_limit(TIME_LIMIT):
        rc = main(["compile", str(model), "-o", str(out), "-q"])
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def assert_one_line_error(rc: int, out: str, err: str, tmp_path: Path, name: str = "bad.tflite",
                          expect: str | None = None) -> str:
    assert rc == 2, f"exit code {rc}, stderr {err!r}"
    lines = err.splitlines()
    assert len(lines) == 1, f"stderr is not one line: {err!r}"
    assert lines[0].startswith(f"error: {name}: "), lines[0]
    assert "Traceback" not in out + err
    assert not (tmp_path / "out").exists(), "an output folder was left behind"
    assert not list(tmp_path.glob(".tinycc-ml-*")), "a temporary folder was left behind"
    if expect is not None:
        assert re.search(expect, lines[0]), f"{lines[0]!r} does not match {expect!r}"
    return lines[0]


def assert_rejected(data: bytes, tmp_path: Path, capsys, expect: str | None = None) -> str:
    rc, out, err = compile_cli(data, tmp_path, capsys)
    return assert_one_line_error(rc, out, err, tmp_path, expect=expect)


def test_seed_layout():
    """The indices above name what the cases below mean to corrupt."""
    sg = schema().ModelT.InitFromPackedBuf(bytearray(CONV), 0).subgraphs[0]
    assert list(sg.inputs) == [T_INPUT] and list(sg.outputs) == [T_OUTPUT]
    assert list(sg.operators[0].inputs) == [T_INPUT, T_CONV_W, T_CONV_BIAS]
    assert list(sg.operators[0].outputs) == [T_CONV_OUT]
    assert sg.tensors[T_CONV_W].buffer == B_CONV_W
    assert list(sg.tensors[T_CONV_W].shape) == [4, 3, 3, 2]
    assert list(sg.operators[3].inputs) == [9, T_RESHAPE_SHAPE]


def test_valid_seeds_compile(tmp_path, capsys):
    """The bases of every case below are valid: each rejection is the corruption's doing."""
    for data in (CONV, DENSE):
        rc, _, err = compile_cli(data, tmp_path, capsys, name="good.tflite")
        assert rc == 0 and err == ""


# ---------------------------------------------------------------------------------------------
# Sweeps


def test_truncation_at_every_byte(tmp_path, capsys):
    for cut in range(len(DENSE)):
        assert_rejected(DENSE[:cut], tmp_path, capsys)
    for cut in range(0, len(CONV), 5):
        assert_rejected(CONV[:cut], tmp_path, capsys)


def test_truncation_of_a_real_model(shared_models, tmp_path, capsys):
    data = (shared_models / "ad_autoencoder_int8.tflite").read_bytes()
    cuts = sorted({*range(0, 64), *np.linspace(64, len(data) - 1, 40).astype(int).tolist()})
    for cut in cuts:
        assert_rejected(data[:cut], tmp_path, capsys)


def _flip_sweep(data: bytes, n: int, seed: int, tmp_path: Path, capsys, positions=None) -> int:
    """Flip one random bit (at one of `positions`, default anywhere) n times; each result
    compiles, or gets the one-line error. Returns how many were rejected."""
    rng = random.Random(seed)
    rejected = 0
    for _ in range(n):
        pos = rng.randrange(len(data)) if positions is None else int(rng.choice(positions))
        bad = bytearray(data)
        bad[pos] ^= 1 << rng.randrange(8)
        rc, out, err = compile_cli(bytes(bad), tmp_path, capsys)
        if rc == 0:  # a flip in a weight, a name...: still a valid model, fully written
            assert err == "" and (tmp_path / "out" / "model.c").exists()
            shutil.rmtree(tmp_path / "out")
            continue
        assert_one_line_error(rc, out, err, tmp_path)
        rejected += 1
    return rejected


def test_bit_flips(tmp_path, capsys):
    rejected = _flip_sweep(CONV, 400, 1, tmp_path, capsys)
    assert rejected > 100, f"only {rejected} of 400 flips were rejected: the sweep tests little"


def test_bit_flips_in_a_real_model_tables(shared_models, tmp_path, capsys):
    """The shared model's tables and vectors (not its weights, 98% of the file)."""
    data = (shared_models / "ad_autoencoder_int8.tflite").read_bytes()
    L = Layout(data)
    weights = np.zeros(len(data), bool)
    for b in range(L.model.BuffersLength()):
        buf = L.buffer(b)
        if buf.DataLength():
            start = L.vector(buf, 0) + 4
            weights[start:start + buf.DataLength()] = True
    rejected = _flip_sweep(data, 40, 2, tmp_path, capsys, positions=np.flatnonzero(~weights))
    assert rejected >= 8, f"only {rejected} of 40 flips were rejected"


@pytest.mark.parametrize("seed", range(6))
def test_random_bytes(seed, tmp_path, capsys):
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 256, int(rng.integers(16, 5000)), dtype=np.uint8).tobytes()
    assert_rejected(data, tmp_path, capsys, expect="missing the 'TFL3' file identifier")
    data = data[:4] + b"TFL3" + data[8:]
    assert_rejected(data, tmp_path, capsys, expect="corrupt")


# ---------------------------------------------------------------------------------------------
# Structural damage at known places


def _structural_cases():
    L = Layout(CONV)
    t_in, t_w = L.tensor(T_INPUT), L.tensor(T_CONV_W)
    op1 = L.operator(1)
    tensors_vec = L.vector(L.subgraph, 0)
    return {
        "empty": (b"", "0 bytes, too short"),
        "15_bytes": (CONV[:15], "too short"),
        "no_identifier": (CONV[:4] + b"XXXX" + CONV[8:], "missing the 'TFL3'"),
        "root_outside": (put(CONV, 0, "I", len(CONV) + 64), "model table lies outside the file"),
        "root_max": (put(CONV, 0, "I", 0xFFFFFFFF), "model table lies outside the file"),
        "tensor_vtable_outside": (put(CONV, L.table(t_in), "i", -(1 << 30)),
                                  "vtable of tensor 0 lies outside the file"),
        "tensor_vtable_odd_size": (put(CONV, L.vtable(t_in), "H", 7),
                                   "vtable of tensor 0 has an invalid size 7"),
        "tensor_table_size_huge": (put(CONV, L.vtable(t_in) + 2, "H", 0xFFF0),
                                   "tensor 0 lies outside the file"),
        "field_outside_table": (put(CONV, L.vtable(t_in) + 4 + 2 * 2, "H", 0x7FF0),
                                "field 2 of tensor 0 lies outside the table"),
        "tensor_offset_outside": (put(CONV, tensors_vec + 4 * (1 + T_CONV_W), "I", 1 << 28),
                                  f"tensor {T_CONV_W} lies outside the file"),
        "tensor_count_huge": (put(CONV, tensors_vec, "I", 1 << 30),
                              r"tensors of subgraph 0 \(1073741824 elements\) lies outside"),
        "shape_length_huge": (put(CONV, L.vector(t_in, 0), "I", 1 << 30),
                              r"shape of tensor 0 \(1073741824 elements\) lies outside"),
        "shape_offset_outside": (put(CONV, L.field(t_in, 0), "I", 1 << 31),
                                 "shape of tensor 0 lies outside the file"),
        "name_length_huge": (put(CONV, L.vector(t_w, 3), "I", 0xFFFFFFF0), "name of tensor 6"),
        "scales_length_huge": (put(CONV, L.vector(t_w.Quantization(), 2), "I", 1 << 29),
                               "scales of the quantization of tensor 6"),
        "buffer_data_length_huge": (put(CONV, L.vector(L.buffer(B_CONV_W), 0), "I", 1 << 31),
                                    f"data of buffer {B_CONV_W}"),
        "op_inputs_length_huge": (put(CONV, L.vector(op1, 1), "I", 1 << 30),
                                  "input list of operator 1"),
        "options_outside": (put(CONV, L.field(op1, 4), "I", 0x7FFFFFF0),
                            "options of operator 1 lies outside the file"),
        "misaligned_table": (put(CONV, 0, "I", L.u32(0) + 1), "misaligned"),
    }


STRUCTURAL = _structural_cases()


@pytest.mark.parametrize("case", sorted(STRUCTURAL))
def test_structural(case, tmp_path, capsys):
    data, expect = STRUCTURAL[case]
    assert_rejected(data, tmp_path, capsys, expect=expect)


# ---------------------------------------------------------------------------------------------
# Semantic damage: well-formed flatbuffers with wrong content


def _set(path: str, value):
    """A change setting model.<path> (e.g. 'subgraphs.0.tensors.3.type') to value."""
    def change(m):
        obj, *parts = [m, *path.split(".")]
        for p in parts[:-1]:
            obj = obj[int(p)] if p.isdigit() else getattr(obj, p)
        last = parts[-1]
        if last.isdigit():
            obj[int(last)] = value
        else:
            setattr(obj, last, value)
    return change


def _shape(t: int, dims):
    return _set(f"subgraphs.0.tensors.{t}.shape", np.array(dims, np.int32))


def _cycle(m):
    m.subgraphs[0].operators[0].inputs[0] = 8   # CONV reads DEPTHWISE's output, which reads CONV's


def _opcode(builtin, custom=None):
    def change(m):
        m.operatorCodes[0].builtinCode = builtin
        m.operatorCodes[0].deprecatedBuiltinCode = min(builtin, 127)
        m.operatorCodes[0].customCode = custom
    return change


def _buffer(b, cut=0, extra=0):
    def change(m):
        data = m.buffers[b].data
        m.buffers[b].data = np.concatenate([data[:len(data) - cut], np.zeros(extra, np.uint8)])
    return change


def _sparse(m):
    m.subgraphs[0].tensors[T_CONV_W].sparsity = schema().SparsityParametersT()


def _newline_name(m):
    m.subgraphs[0].tensors[T_INPUT].name = b"two\nlines\xe2\x80\xa8x"
    m.subgraphs[0].tensors[T_INPUT].shape = np.array([1, -8, 8, 2], np.int32)


def _no_outputs(m):
    m.subgraphs[0].operators[0].outputs = np.array([], np.int32)


Q = f"subgraphs.0.tensors.{T_CONV_OUT}.quantization"
SEMANTIC = {
    # shapes
    "negative_dim": (_shape(T_INPUT, [1, -8, 8, 2]), r"op 0 \(CONV_2D '.*'\): tensor "
                     r"'serving_default_keras_tensor_3:0' has a dynamic or negative shape"),
    "newline_in_name": (_newline_name, r"tensor 'two\\x0alines\\u2028x' has a dynamic"),
    "negative_weight_dim": (_shape(T_CONV_W, [4, 3, -3, 2]), "negative shape"),
    "zero_dim_input": (_shape(T_INPUT, [1, 0, 8, 2]), r"op 0 \(CONV_2D"),
    "zero_dim_output": (_shape(T_OUTPUT, [1, 0]), r"op 5 \(SOFTMAX"),
    "huge_dim": (_shape(T_INPUT, [1, 2**31 - 1, 8, 2]), "more than 2147483648 elements"),
    "product_overflows_int64": (_shape(T_CONV_OUT, [65536, 65536, 65536, 4]), "more than"),
    "product_overflows_int32": (_shape(T_CONV_OUT, [1, 65536, 32768, 1]), "more than"),
    "bytes_overflow_int32": (_shape(T_CONV_BIAS, [1 << 30]), "more than 2147483647"),
    "wrong_output_shape": (_shape(T_CONV_OUT, [1, 4000, 4000, 4]), "output shape"),
    # indices and graph structure
    "op_input_out_of_range": (_set("subgraphs.0.operators.1.inputs.0", 999),
                              r"op 1 \(DEPTHWISE_CONV_2D .*input tensor index 999 is out of range"),
    "op_input_negative": (_set("subgraphs.0.operators.1.inputs.0", -5), "index -5 is out of range"),
    "op_output_out_of_range": (_set("subgraphs.0.operators.1.outputs.0", 999),
                               "output tensor index 999 is out of range"),
    "graph_input_out_of_range": (_set("subgraphs.0.inputs.0", 77), "graph input tensor index 77"),
    "graph_output_out_of_range": (_set("subgraphs.0.outputs.0", 77),
                                  "graph output tensor index 77"),
    "cycle": (_cycle, r"op 0 \(CONV_2D .*is not computed before this op"),
    "self_loop": (_set("subgraphs.0.operators.1.inputs.0", 8), "not computed before this op"),
    "ops_out_of_order": (lambda m: m.subgraphs[0].operators.reverse(), "not computed before"),
    "op_writes_constant": (_set("subgraphs.0.operators.0.outputs.0", T_CONV_W), "is a constant"),
    "op_writes_graph_input": (_set("subgraphs.0.operators.0.outputs.0", T_INPUT), "written twice"),
    "tensor_written_twice": (_set("subgraphs.0.operators.1.outputs.0", T_CONV_OUT),
                             "written twice"),
    "op_without_output": (_no_outputs, "the op has no output"),
    "no_operators": (_set("subgraphs.0.operators", []), "the model has no operators"),
    "no_subgraph": (_set("subgraphs", []), "the model has no subgraph"),
    "two_subgraphs": (lambda m: m.subgraphs.append(m.subgraphs[0]), "2 subgraphs"),
    # op codes
    "unknown_opcode": (_opcode(9999),
                       r"op 0 \(UNKNOWN_OP_9999 [^;]*;[^;]*'\): not supported \(`tinycc-ml ops` lists the supported ops\)$"),
    "custom_opcode": (_opcode(32, b"MyOp"), r"op 0 \(CUSTOM:MyOp .*not supported"),
    "opcode_index_out_of_range": (_set("subgraphs.0.operators.1.opcodeIndex", 42),
                                  "op 1 opcode index 42 is out of range"),
    "options_of_another_op": (_set("subgraphs.0.operators.0.builtinOptionsType", 5),
                              "its options are Pool2DOptions, not Conv2DOptions"),
    "nan_option": (_set("subgraphs.0.operators.5.builtinOptions.beta", float("nan")),
                   r"op 5 \(SOFTMAX .*option 'beta' is nan"),
    "stride_zero": (_set("subgraphs.0.operators.0.builtinOptions.strideH", 0), "positive"),
    "unknown_padding": (_set("subgraphs.0.operators.0.builtinOptions.padding", 7), "padding"),
    "unknown_activation": (_set("subgraphs.0.operators.0.builtinOptions.fusedActivationFunction",
                                42), "activation"),
    "pool_window_too_big": (_set("subgraphs.0.operators.2.builtinOptions.filterHeight", 100),
                            "window"),
    # types and data
    "type_99": (_set(f"subgraphs.0.tensors.{T_INPUT}.type", 99), "unsupported type 99"),
    "type_99_weights": (_set(f"subgraphs.0.tensors.{T_CONV_W}.type", 99), "unsupported type 99"),
    "sparse_weights": (_sparse, r"traversal order \[\] does not fit"),
    "buffer_too_short": (_buffer(B_CONV_W, cut=1), "needs 72 bytes of data, its buffer 7 holds 71"),
    "buffer_too_long": (_buffer(B_CONV_W, extra=3),
                        "needs 72 bytes of data, its buffer 7 holds 75"),
    "buffer_index_out_of_range": (_set(f"subgraphs.0.tensors.{T_CONV_W}.buffer", 500),
                                  "buffer index of tensor .* 500 is out of range"),
    "reshape_shape_wrong_length": (_shape(T_RESHAPE_SHAPE, [3]), r"op 3 \(RESHAPE"),
    # quantization
    "nan_scale": (_set(f"{Q}.scale.0", float("nan")), "invalid quantization scale nan"),
    "inf_scale": (_set(f"{Q}.scale.0", float("inf")), "invalid quantization scale inf"),
    "negative_scale": (_set(f"{Q}.scale.0", -0.5), "invalid quantization scale -0.5"),
    "zero_activation_scale": (_set(f"{Q}.scale.0", 0.0), "invalid quantization scale 0.0"),
    "tiny_activation_scale": (_set(f"{Q}.scale.0", 1e-38), "invalid quantization scale"),
    "zero_point_out_of_range": (_set(f"{Q}.zeroPoint.0", 300),
                                r"zero point 300, outside int8's range \[-128, 127\]"),
    "per_channel_count": (_set(f"subgraphs.0.tensors.{T_CONV_W}.quantization.quantizedDimension",
                               3), "4 per-channel scales on axis 3"),
    "no_quantization": (_set(f"subgraphs.0.tensors.{T_INPUT}.quantization", None),
                        "no quantization parameters"),
}


@pytest.mark.parametrize("case", sorted(SEMANTIC))
def test_semantic(case, tmp_path, capsys):
    change, expect = SEMANTIC[case]
    assert_rejected(edit(CONV, change), tmp_path, capsys, expect=expect)


def test_hostile_names_give_safe_c(tmp_path, capsys):
    """Tensor and file names end up in C comments: they cannot close them, nest them or
    inject code, and identifiers stay prefixed. The C builds under -Werror."""
    def evil(m):
        sg = m.subgraphs[0]
        sg.tensors[T_INPUT].name = b'in*/ #error injected /* ??/\n\\"x'
        sg.tensors[T_OUTPUT].name = b"out */ int evil = 1; /*"
        sg.tensors[T_CONV_OUT].name = b"conv*/\n#error x\n/*/"
    model = tmp_path / "a*b.tflite"
    model.write_bytes(edit(CONV, evil))
    out = tmp_path / "out"
    assert main(["compile", str(model), "-o", str(out), "-q", "--name", "ev"]) == 0
    assert capsys.readouterr().err == ""
    for c in sorted(out.glob("*.c")):
        subprocess.run(["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-I",
                        str(out), "-c", str(c), "-o", str(tmp_path / (c.stem + ".o"))], check=True)
    nm = subprocess.run(["nm", "--defined-only", "-g", str(tmp_path / "ev.o")],
                        capture_output=True, text=True, check=True).stdout
    assert all(line.split()[-1].startswith("ev_") for line in nm.splitlines() if line.strip())


# ---------------------------------------------------------------------------------------------
# Files, folders, other commands


def test_missing_file(tmp_path, capsys):
    rc = main(["compile", str(tmp_path / "nope.tflite"), "-o", str(tmp_path / "out")])
    cap = capsys.readouterr()
    assert_one_line_error(rc, cap.out, cap.err, tmp_path, name="nope.tflite",
                          expect="cannot read the model")


def test_folder_as_model(tmp_path, capsys):
    (tmp_path / "dir.tflite").mkdir()
    rc = main(["compile", str(tmp_path / "dir.tflite"), "-o", str(tmp_path / "out")])
    cap = capsys.readouterr()
    assert_one_line_error(rc, cap.out, cap.err, tmp_path, name="dir.tflite",
                          expect="cannot read the model")


def test_output_path_is_a_file(tmp_path, capsys):
    model = tmp_path / "good.tflite"
    model.write_bytes(DENSE)
    (tmp_path / "taken").write_text("not a folder")
    rc = main(["compile", str(model), "-o", str(tmp_path / "taken"), "-q"])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.splitlines()) == 1 and "exists and is not a folder" in err
    assert (tmp_path / "taken").read_text() == "not a folder"
    assert not list(tmp_path.glob(".tinycc-ml-*"))


def test_verify_rejects_the_same_way(tmp_path, capsys):
    model = tmp_path / "bad.tflite"
    model.write_bytes(CONV[:1000])
    with time_limit(TIME_LIMIT):
        rc = main(["verify", str(model), "--inputs", "1"])
    cap = capsys.readouterr()
    assert rc == 2 and len(cap.err.splitlines()) == 1 and cap.err.startswith("error: bad.tflite: ")


# ---------------------------------------------------------------------------------------------
# The real command: exit status, stderr, no traceback


SUBPROCESS = {
    "truncated": CONV[:2000],
    "random": CONV[:8] + bytes(random.Random(0).randrange(256) for _ in range(3000)),
    "negative_dim": edit(CONV, _shape(T_INPUT, [1, -8, 8, 2])),
    "cycle": edit(CONV, _cycle),
}


@pytest.mark.parametrize("case", sorted(SUBPROCESS))
def test_command_line(case, tmp_path):
    model = tmp_path / "bad.tflite"
    model.write_bytes(SUBPROCESS[case])
    proc = subprocess.run([sys.executable, "-m", "tinycc_ml", "compile", str(model), "-o",
                           str(tmp_path / "out")], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    assert_one_line_error(proc.returncode, proc.stdout, proc.stderr, tmp_path)
    assert proc.stdout == ""
