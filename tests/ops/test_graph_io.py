"""Graphs that list a tensor twice among their inputs or outputs, or a graph input as an output:
TFLite loads and runs them (its interpreter keeps the last value set for a repeated input and
reports every listed output), so tinycc-ml compiles them with one parameter per listed position,
reading a repeated input from its last parameter and writing every output parameter. Compared
with BUILTIN_REF on random inputs that differ per parameter; strict builds; ASan + UBSan."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest

from tests.cli.tflite_edit import edit
from tests.ops._c_contract import assert_c_contract
from tests.util import assert_bitexact, int8_tflite, keras, write_model
from tinycc_ml.compiler import Options, compile_file
from tinycc_ml.reference import TFLiteReference, random_inputs


@lru_cache(maxsize=None)
def _two_branches() -> bytes:
    """x -> relu(x), x -> tanh(x): two ops, two graph outputs."""
    def build():
        k = keras()
        inp = k.Input((6,))
        return k.Model(inp, [k.layers.ReLU()(inp), k.layers.Activation("tanh")(inp)])
    return int8_tflite(build, [(6,)], low=-3.0, high=3.0)


def _relist(data: bytes, inputs=None, outputs=None) -> bytes:
    """`data` whose subgraph lists inputs/outputs by these positions of the original lists
    (an entry "in0" names original input 0, e.g. to list a graph input as an output)."""
    def change(model):
        sg = model.subgraphs[0]
        ins, outs = list(sg.inputs), list(sg.outputs)
        pick = lambda k: ins[int(k[2:])] if isinstance(k, str) else outs[k]   # noqa: E731
        if inputs is not None:
            sg.inputs = np.array([ins[k] for k in inputs], np.int32)
        if outputs is not None:
            sg.outputs = np.array([pick(k) for k in outputs], np.int32)
    return edit(data, change)


CASES = {
    "output_twice": dict(outputs=[0, 0]),
    "outputs_0_1_0": dict(outputs=[0, 1, 0]),
    "output_thrice_last": dict(outputs=[1, 0, 1, 1]),
    "input_twice": dict(inputs=[0, 0]),
    "input_twice_output_twice": dict(inputs=[0, 0], outputs=[1, 1, 0]),
    "input_as_output": dict(outputs=[0, "in0", 1]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_repeated_graph_io_bitexact(case, tmp_path):
    path = write_model(_relist(_two_branches(), **CASES[case]), tmp_path)
    ref = TFLiteReference(path)
    spec = CASES[case]
    n_in = len(spec.get("inputs", [0]))
    n_out = len(spec.get("outputs", [0, 1]))
    assert (len(ref.inputs), len(ref.outputs)) == (n_in, n_out)   # TFLite lists every position
    compiled = compile_file(path, Options(name="m"))
    header = compiled.files["m.h"]
    assert header.count("int8_t *") - header.count("const int8_t *") >= n_out
    assert_bitexact(path, n=20)
    rng = np.random.default_rng(1)
    xs = random_inputs([((1, 6), np.int8)] * n_in, rng)
    assert_c_contract(path, xs, tmp_path)


def test_repeated_input_reads_the_last_parameter(tmp_path):
    """Both parameters of a repeated input differ: the result follows the last, as in TFLite."""
    path = write_model(_relist(_two_branches(), inputs=[0, 0]), tmp_path)
    ref = TFLiteReference(path)
    a = np.full((1, 6), -100, np.int8)
    b = np.arange(6, dtype=np.int8).reshape(1, 6) * 20
    want = ref.run([a, b])
    assert not np.array_equal(want[0], ref.run([b, a])[0])      # the order matters in TFLite
    from tests.util import compile_and_build
    got = compile_and_build(path).run([a, b])
    for g_out, w_out in zip(got, want):
        np.testing.assert_array_equal(g_out.reshape(-1), w_out.reshape(-1))
