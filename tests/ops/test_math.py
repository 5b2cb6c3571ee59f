"""runtime_c/tcm_math.h and quant.quantize_multiplier against specs in Python integers.

The specs below are transcribed from the sources, line by line, with C's int32 wrap-around made
explicit (`wrap32`) and C's truncating division (`div_trunc`); they share no code with
tinycc-ml:
- gemmlowp/fixedpoint/fixedpoint.h: SaturatingRoundingDoublingHighMul, RoundingDivideByPOT
  (its mask form), SaturatingRoundingMultiplyByPOT, RoundingHalfSum,
  exp_on_interval_between_negative_one_quarter_and_0_excl, exp_on_negative_values,
  one_over_one_plus_x_for_x_in_0_1;
- tensorflow/lite/kernels/internal/common.h/.cc: MultiplyByQuantizedMultiplier (both the
  double-rounding form and TFLITE_SINGLE_ROUNDING's), ...SmallerThanOneExp,
  ...GreaterThanOne, CountLeadingZeros, GetReciprocal;
- tensorflow/lite/kernels/internal/quantization_util.cc: QuantizeMultiplier, with std::round
  done exactly in rationals.

The C functions run three ways: through cffi on hypothesis examples (INT32_MIN and the other
edges always included); on a grid of edge values times every shift in range; and that same grid
in a separate program built with -fsanitize=undefined -fno-sanitize-recover, which stops at the
first undefined operation. The fixed-point functions are also checked against the real numbers
they approximate, so a wrong transcription would show too.
"""

from __future__ import annotations

import math
import shutil
import struct
import subprocess
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.ops._runtime_ffi import RUNTIME, build
from tinycc_ml import quant
from tinycc_ml.ops import _fixedpoint

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
FAST = settings(max_examples=300, deadline=None, derandomize=True)

# --- the spec ---------------------------------------------------------------------------------


def wrap32(x: int) -> int:
    return (x + 2**31) % 2**32 - 2**31


def div_trunc(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def std_round(x) -> int:
    """std::round, exactly: halves away from zero."""
    x = Fraction(x)
    n = math.floor(abs(x) + Fraction(1, 2))
    return n if x >= 0 else -n


def srdhm(a: int, b: int) -> int:
    overflow = a == b and a == INT32_MIN
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
    ab_x2_high32 = wrap32(div_trunc(ab + nudge, 1 << 31))
    return INT32_MAX if overflow else ab_x2_high32


def rdbpot(x: int, exponent: int) -> int:
    mask = wrap32((1 << exponent) - 1)          # Dup<int32_t>((1ll << exponent) - 1)
    remainder = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return wrap32((x >> exponent) + (1 if remainder > threshold else 0))


def srmpot(x: int, exponent: int) -> int:
    """SaturatingRoundingMultiplyByPOT<exponent>."""
    if exponent == 0:
        return x
    if exponent < 0:
        return rdbpot(x, -exponent)
    threshold = (1 << (31 - exponent)) - 1
    result = wrap32(x << exponent)
    if x > threshold:
        result = INT32_MAX
    if x < -threshold:
        result = INT32_MIN
    return result


def mbqm(x: int, multiplier: int, shift: int) -> int:
    left_shift = shift if shift > 0 else 0
    right_shift = 0 if shift > 0 else -shift
    return rdbpot(srdhm(wrap32(x * (1 << left_shift)), multiplier), right_shift)


def mbqm_single(x: int, multiplier: int, shift: int) -> int:
    total_shift = 31 - shift
    round_ = 1 << (total_shift - 1)
    return (x * multiplier + round_) >> total_shift


def mbqm_small(x: int, multiplier: int, left_shift: int) -> int:
    return rdbpot(srdhm(x, multiplier), -left_shift)


def mbqm_big(x: int, multiplier: int, left_shift: int) -> int:
    return srdhm(wrap32(x * (1 << left_shift)), multiplier)


def rounding_half_sum(a: int, b: int) -> int:
    total = a + b
    sign = 1 if total >= 0 else -1
    return wrap32(div_trunc(total + sign, 2))


def clz32(x: int) -> int:
    return 32 - (x & 0xFFFFFFFF).bit_length()


def exp_on_interval_between_negative_one_quarter_and_0_excl(a: int) -> int:
    constant_term = 1895147668
    constant_1_over_3 = 715827883
    x = wrap32(a + (1 << 28))
    x2 = srdhm(x, x)
    x3 = srdhm(x2, x)
    x4 = srdhm(x2, x2)
    x4_over_4 = srmpot(x4, -2)
    x4_over_24_plus_x3_over_6_plus_x2_over_2 = srmpot(
        wrap32(srdhm(wrap32(x4_over_4 + x3), constant_1_over_3) + x2), -1)
    return wrap32(constant_term
                  + srdhm(constant_term, wrap32(x + x4_over_24_plus_x3_over_6_plus_x2_over_2)))


BARREL = [(-2, 1672461947), (-1, 1302514674), (0, 790015084), (1, 290630308),
          (2, 39332535), (3, 720401), (4, 242)]


def exp_on_negative_values(a: int, integer_bits: int) -> int:
    fractional_bits = 31 - integer_bits
    one_quarter = 1 << (fractional_bits - 2)            # ConstantPOT<-2>
    mask = one_quarter - 1
    a_mod_quarter_minus_one_quarter = wrap32((a & mask) - one_quarter)
    result = exp_on_interval_between_negative_one_quarter_and_0_excl(
        srmpot(a_mod_quarter_minus_one_quarter, integer_bits))          # Rescale<0>
    remainder = wrap32(a_mod_quarter_minus_one_quarter - a)
    for exponent, multiplier in BARREL:                 # GEMMLOWP_EXP_BARREL_SHIFTER
        if integer_bits > exponent:
            shift_amount = fractional_bits + exponent
            if remainder & (1 << shift_amount):
                result = srdhm(result, multiplier)
    if integer_bits > 5:
        clamp = -(1 << (36 - integer_bits))
        if a < clamp:
            result = 0
    return INT32_MAX if a == 0 else result


def one_over_one_plus_x_for_x_in_0_1(a: int) -> int:
    half_denominator = rounding_half_sum(a, INT32_MAX)
    x = wrap32(1515870810 + srdhm(half_denominator, -1010580540))
    for _ in range(3):
        half_denominator_times_x = srdhm(half_denominator, x)
        one_minus_half_denominator_times_x = wrap32((1 << 29) - half_denominator_times_x)
        x = wrap32(x + srmpot(srdhm(x, one_minus_half_denominator_times_x), 2))
    return srmpot(x, 1)


def get_reciprocal(x: int, x_integer_digits: int) -> tuple[int, int]:
    headroom_plus_one = clz32(x)
    num_bits_over_unit = x_integer_digits - headroom_plus_one
    shifted = ((x & 0xFFFFFFFF) << headroom_plus_one) & 0xFFFFFFFF   # 0 << 32: 0 on x86, Arm
    shifted_sum_minus_one = wrap32(shifted - (1 << 31))
    return one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one), num_bits_over_unit


def round_clamp_f32(r: float, lo: int, hi: int) -> int:
    """tcm_round_clamp_f32's contract: std::round, clamp; NaN counts as 0."""
    v = 0 if math.isnan(r) else (lo if r == -math.inf else hi if r == math.inf else std_round(r))
    return min(max(v, lo), hi)


def quantize_multiplier(d: float) -> tuple[int, int]:
    """QuantizeMultiplier, TFLITE_SINGLE_ROUNDING undefined (std::frexp, then TfLiteRound)."""
    if d == 0.0:
        return 0, 0
    q, shift = math.frexp(d)
    q_fixed = std_round(Fraction(q) * (1 << 31))
    assert q_fixed <= (1 << 31)                         # TFLITE_CHECK
    if q_fixed == (1 << 31):
        q_fixed = div_trunc(q_fixed, 2)
        shift += 1
    if shift < -31:
        shift, q_fixed = 0, 0
    return q_fixed, shift


# --- the C side -------------------------------------------------------------------------------

CDEF = """
int32_t tcm_srdhm(int32_t a, int32_t b);
int32_t tcm_rdbpot(int32_t x, int exponent);
int32_t tcm_mbqm(int32_t x, int32_t multiplier, int32_t shift);
int32_t tcm_mbqm_small(int32_t x, int32_t multiplier, int32_t shift);
int32_t tcm_mbqm_big(int32_t x, int32_t multiplier, int32_t shift);
int32_t tcm_mbqm_single(int32_t x, int32_t multiplier, int32_t shift);
int32_t tcm_clamp(int32_t x, int32_t lo, int32_t hi);
int32_t tcm_round_clamp_f32(float r, int32_t lo, int32_t hi);
int32_t tcm_wrap_add(int32_t a, int32_t b);
int32_t tcm_wrap_sub(int32_t a, int32_t b);
int32_t tcm_srmpot(int32_t x, int exponent);
int32_t tcm_rounding_half_sum(int32_t a, int32_t b);
int tcm_clz32(uint32_t x);
int32_t tcm_exp_on_interval_between_negative_one_quarter_and_0_excl(int32_t a);
int32_t tcm_exp_on_negative_values(int32_t a, int integer_bits);
int32_t tcm_one_over_one_plus_x_for_x_in_0_1(int32_t a);
int32_t tcm_get_reciprocal(int32_t x, int x_integer_digits, int *num_bits_over_unit);
"""


@pytest.fixture(scope="module")
def c(tmp_path_factory):
    return build("math", CDEF, '#include "tcm_math.h"', tmp_path_factory.mktemp("ffi")).lib


@pytest.fixture(scope="module")
def reciprocal(c):
    import cffi
    nbou = cffi.FFI().new("int *")

    def call(x: int, digits: int) -> tuple[int, int]:
        return c.tcm_get_reciprocal(x, digits, nbou), nbou[0]
    return call


EDGES = sorted({INT32_MIN, INT32_MIN + 1, INT32_MIN + 2, -(2**30) - 1, -(2**30), -(2**30) + 1,
                -(2**29), -(2**16), -257, -256, -255, -129, -128, -3, -2, -1, 0, 1, 2, 3, 127,
                128, 255, 256, 2**16, 2**29, 2**30 - 1, 2**30, 2**30 + 1, INT32_MAX - 1,
                INT32_MAX})
int32 = st.one_of(st.sampled_from(EDGES), st.integers(INT32_MIN, INT32_MAX))
nonpositive = st.one_of(st.sampled_from([e for e in EDGES if e <= 0]),
                        st.integers(INT32_MIN, 0))
multiplier = st.one_of(st.sampled_from([0, 1, 2**30, 2**30 + 1, INT32_MAX - 1, INT32_MAX]),
                       st.integers(0, INT32_MAX))


# --- properties through cffi ------------------------------------------------------------------

@FAST
@given(int32, int32)
@example(INT32_MIN, INT32_MIN)
def test_srdhm(c, a, b):
    assert c.tcm_srdhm(a, b) == srdhm(a, b) == _fixedpoint.srdhm(a, b)


@FAST
@given(int32, st.integers(0, 31))
def test_rdbpot(c, x, exponent):
    assert c.tcm_rdbpot(x, exponent) == rdbpot(x, exponent) == _fixedpoint.rdbpot(x, exponent)


@FAST
@given(int32, st.integers(32, 62))
def test_rdbpot_beyond_31_rounds_half_away(c, x, exponent):
    """tcm_softmax.c divides by up to 2^35 (where TFLite aborts): x / 2^e rounded half away."""
    assert c.tcm_rdbpot(x, exponent) == std_round(Fraction(x, 2**exponent))


@FAST
@given(int32, multiplier, st.integers(-31, 31))
def test_mbqm(c, x, m, shift):
    assert c.tcm_mbqm(x, m, shift) == mbqm(x, m, shift) == _fixedpoint.mbqm(x, m, shift)


@FAST
@given(int32, multiplier, st.integers(-31, 0))
def test_mbqm_small(c, x, m, shift):
    assert c.tcm_mbqm_small(x, m, shift) == mbqm_small(x, m, shift)


@FAST
@given(int32, multiplier, st.integers(0, 31))
def test_mbqm_big(c, x, m, shift):
    assert c.tcm_mbqm_big(x, m, shift) == mbqm_big(x, m, shift)


@FAST
@given(int32, multiplier, st.integers(-31, 30))
def test_mbqm_single(c, x, m, shift):
    want = mbqm_single(x, m, shift)
    if INT32_MIN <= want <= INT32_MAX:      # TFLITE_DCHECK: the result fits int32
        assert c.tcm_mbqm_single(x, m, shift) == want


@FAST
@given(st.floats(width=32), st.integers(-(2**30), 2**30), st.integers(0, 2**30))
@example(0.5, -128, 255)
@example(-0.5, -128, 255)
@example(2.5, -128, 255)
@example(-127.5, -128, 255)
@example(float(np.nextafter(np.float32(0.5), np.float32(0))), -128, 255)
@example(8388609.0, 0, 2**30)
@example(float("inf"), -5, 3)
@example(float("nan"), 5, 4)
def test_round_clamp_f32(c, r, lo, width):
    """lo and hi within +-2^30, the function's domain (callers pass int8/uint8/int16 ranges;
    near 2^31 its float compare lets (int32_t)r overflow)."""
    hi = min(lo + width, 2**30)
    assert c.tcm_round_clamp_f32(r, lo, hi) == round_clamp_f32(r, lo, hi)


@FAST
@given(int32, int32)
def test_wrap_add_sub(c, a, b):
    assert c.tcm_wrap_add(a, b) == wrap32(a + b)
    assert c.tcm_wrap_sub(a, b) == wrap32(a - b)


@FAST
@given(int32, st.integers(-31, 30))
def test_srmpot(c, x, exponent):
    assert c.tcm_srmpot(x, exponent) == srmpot(x, exponent)


@FAST
@given(int32, int32)
def test_rounding_half_sum(c, a, b):
    assert c.tcm_rounding_half_sum(a, b) == rounding_half_sum(a, b)


@FAST
@given(st.one_of(st.sampled_from([0, 1, 2**31, 2**32 - 1]), st.integers(0, 2**32 - 1)))
def test_clz32(c, x):
    assert c.tcm_clz32(x) == clz32(x)


@FAST
@given(st.one_of(st.sampled_from([-(2**29), -(2**29) + 1, -1]), st.integers(-(2**29), -1)))
def test_exp_on_interval(c, a):
    got = c.tcm_exp_on_interval_between_negative_one_quarter_and_0_excl(a)
    assert got == exp_on_interval_between_negative_one_quarter_and_0_excl(a)
    # the Taylor remainder of degree 4 around -1/8: exp(-1/8) (1/8)^5 / 120 = 2.2e-7
    assert abs(got / 2**31 - math.exp(a / 2**31)) < 2.5e-7


@FAST
@given(nonpositive, st.integers(0, 29))
@example(0, 5)
@example(INT32_MIN, 5)
@example(-(1 << 26), 5)
def test_exp_on_negative_values(c, a, integer_bits):
    got = c.tcm_exp_on_negative_values(a, integer_bits)
    assert got == exp_on_negative_values(a, integer_bits)
    assert abs(got / 2**31 - math.exp(a / 2 ** (31 - integer_bits))) < 1e-6


@FAST
@given(st.one_of(st.sampled_from([0, 1, 2**30, INT32_MAX]), st.integers(0, INT32_MAX)))
def test_one_over_one_plus_x(c, a):
    got = c.tcm_one_over_one_plus_x_for_x_in_0_1(a)
    assert got == one_over_one_plus_x_for_x_in_0_1(a)
    assert abs(got / 2**31 - 1 / (1 + a / 2**31)) < 1e-8


@FAST
@given(int32, st.integers(0, 31))
@example(0, 12)
@example(2**19, 12)
@example(INT32_MIN, 12)
def test_get_reciprocal(reciprocal, x, digits):
    assert reciprocal(x, digits) == get_reciprocal(x, digits)
    if x > 0:   # the reciprocal it stands for: 2^(31 - digits) / x = scale * 2^-(31 + nbou)
        scale, nbou = reciprocal(x, digits)
        assert abs(scale / 2 ** (31 + nbou) * (x / 2 ** (31 - digits)) - 1) < 1e-8


# --- every shift on the edge grid, and the same grid under UBSan ------------------------------

MULTIPLIERS = [0, 1, 2**30, 1518500250, INT32_MAX]


def _grid():
    """(function, a, b, c) records covering every shift each function accepts."""
    for e in range(32):
        for x in EDGES:
            yield "rdbpot", x, e, 0
    for e in range(-31, 31):
        for x in EDGES:
            yield "srmpot", x, e, 0
    for shift in range(-31, 32):
        for x in EDGES:
            for m in MULTIPLIERS:
                yield "mbqm", x, m, shift
                if shift <= 0:
                    yield "mbqm_small", x, m, shift
                else:
                    yield "mbqm_big", x, m, shift
                if shift <= 30 and INT32_MIN <= mbqm_single(x, m, shift) <= INT32_MAX:
                    yield "mbqm_single", x, m, shift
    for a in EDGES:
        for b in EDGES:
            yield "srdhm", a, b, 0
            yield "rounding_half_sum", a, b, 0
            yield "wrap_add", a, b, 0
    for a in EDGES:
        if a <= 0:
            for k in range(30):
                yield "exp_on_negative_values", a, k, 0
        if a >= 0:
            yield "one_over_one_plus_x", a, 0, 0
        for digits in (0, 5, 12, 31):
            yield "get_reciprocal", a, digits, 0


SPEC = {
    "rdbpot": lambda a, b, _: rdbpot(a, b),
    "srmpot": lambda a, b, _: srmpot(a, b),
    "mbqm": mbqm, "mbqm_small": mbqm_small, "mbqm_big": mbqm_big, "mbqm_single": mbqm_single,
    "srdhm": lambda a, b, _: srdhm(a, b),
    "rounding_half_sum": lambda a, b, _: rounding_half_sum(a, b),
    "wrap_add": lambda a, b, _: wrap32(a + b),
    "exp_on_negative_values": lambda a, b, _: exp_on_negative_values(a, b),
    "one_over_one_plus_x": lambda a, b, _: one_over_one_plus_x_for_x_in_0_1(a),
    "get_reciprocal": lambda a, b, _: get_reciprocal(a, b)[0] * 64 + get_reciprocal(a, b)[1] + 32,
}
FUNCTIONS = list(SPEC)

DRIVER = r"""/* Reads (function, a, b, c) int32 records on stdin, writes one int64 result each. */
#include <stdint.h>
#include <stdio.h>
#include "tcm_math.h"

int main(void)
{
    int32_t r[4];
    while (fread(r, sizeof r, 1, stdin) == 1) {
        int64_t out = 0;
        int nbou = 0;
        switch (r[0]) {
        case 0: out = tcm_rdbpot(r[1], (int)r[2]); break;
        case 1: out = tcm_srmpot(r[1], (int)r[2]); break;
        case 2: out = tcm_mbqm(r[1], r[2], r[3]); break;
        case 3: out = tcm_mbqm_small(r[1], r[2], r[3]); break;
        case 4: out = tcm_mbqm_big(r[1], r[2], r[3]); break;
        case 5: out = tcm_mbqm_single(r[1], r[2], r[3]); break;
        case 6: out = tcm_srdhm(r[1], r[2]); break;
        case 7: out = tcm_rounding_half_sum(r[1], r[2]); break;
        case 8: out = tcm_wrap_add(r[1], r[2]); break;
        case 9: out = tcm_exp_on_negative_values(r[1], (int)r[2]); break;
        case 10: out = tcm_one_over_one_plus_x_for_x_in_0_1(r[1]); break;
        case 11: out = (int64_t)tcm_get_reciprocal(r[1], (int)r[2], &nbou) * 64 + nbou + 32; break;
        default: return 3;
        }
        fwrite(&out, sizeof out, 1, stdout);
    }
    return 0;
}
"""


def test_grid_matches_spec(c, reciprocal):
    """Every shift in range, on the edge values, through cffi."""
    calls = {
        "rdbpot": lambda a, b, _: c.tcm_rdbpot(a, b), "srmpot": lambda a, b, _: c.tcm_srmpot(a, b),
        "mbqm": c.tcm_mbqm, "mbqm_small": c.tcm_mbqm_small, "mbqm_big": c.tcm_mbqm_big,
        "mbqm_single": c.tcm_mbqm_single, "srdhm": lambda a, b, _: c.tcm_srdhm(a, b),
        "rounding_half_sum": lambda a, b, _: c.tcm_rounding_half_sum(a, b),
        "wrap_add": lambda a, b, _: c.tcm_wrap_add(a, b),
        "exp_on_negative_values": lambda a, b, _: c.tcm_exp_on_negative_values(a, b),
        "one_over_one_plus_x": lambda a, b, _: c.tcm_one_over_one_plus_x_for_x_in_0_1(a),
        "get_reciprocal": lambda a, b, _: (lambda s, n: s * 64 + n + 32)(*reciprocal(a, b)),
    }
    assert set(calls) == set(SPEC)
    for fn, a, b, d in _grid():
        assert calls[fn](a, b, d) == SPEC[fn](a, b, d), (fn, a, b, d)


UBSAN = {"gcc": ["-fsanitize=undefined", "-fno-sanitize-recover=all"],
         # clang's UBSan runtime library is not installed here: trap instead (SIGILL on UB)
         "clang": ["-fsanitize=undefined", "-fsanitize-trap=undefined"]}


@pytest.mark.parametrize("cc", list(UBSAN))
def test_grid_under_ubsan(cc, tmp_path):
    """The grid in a strict C99 program under UBSan (no recovery: the first UB fails it)."""
    if shutil.which(cc) is None:
        pytest.fail(f"{cc} is not installed")
    (tmp_path / "driver.c").write_text(DRIVER)
    exe = tmp_path / "driver"
    subprocess.run([cc, "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O1", "-g",
                    *UBSAN[cc], f"-I{RUNTIME}", str(tmp_path / "driver.c"), "-o", str(exe)],
                   check=True)
    records = list(_grid())
    stdin = b"".join(struct.pack("<4i", FUNCTIONS.index(fn), a, b, d) for fn, a, b, d in records)
    proc = subprocess.run([str(exe)], input=stdin, capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-3000:]
    got = np.frombuffer(proc.stdout, "<i8")
    assert len(got) == len(records)
    for (fn, a, b, d), value in zip(records, got):
        assert int(value) == SPEC[fn](a, b, d), (fn, a, b, d)


# --- quant.py: QuantizeMultiplier and std::round ----------------------------------------------

def _carrying(min_exponent: int = -40) -> st.SearchStrategy:
    """Doubles whose mantissa rounds up to 2^31 (QuantizeMultiplier's carry): q in
    [1 - 2^-32, 1) times 2^e."""
    return st.builds(lambda k, e: math.ldexp(1.0 - k * 2.0**-53, e),
                     st.integers(1, 2**21), st.integers(min_exponent, 40))


doubles = st.one_of(
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False),
    st.floats(min_value=1e-12, max_value=1e4),
    st.floats(min_value=2.0**-34, max_value=2.0**-30),          # near the flush to zero
    st.builds(lambda n, e: math.ldexp(2 * n + 1, e),          # q * 2^31 exactly .5: a tie
              st.integers(2**30, 2**31 - 1), st.integers(-80, 10)),
    _carrying(),
)


@FAST
@given(doubles)
@example(0.0)
@example(2.0**-32)                 # shift -31: kept
@example(2.0**-33)                 # shift -32: flushed to zero
@example(math.ldexp(1 - 2.0**-33, -32))   # carries to 2^31: shift -32 + 1 = -31, kept
@example(math.ldexp(1 - 2.0**-33, -33))   # carries: shift -32, flushed to zero
@example(1.0 - 2.0**-53)
@example(5e-324)
def test_quantize_multiplier(d):
    assert quant.quantize_multiplier(d) == quantize_multiplier(d)


@FAST
@given(_carrying(min_exponent=-32))
def test_quantize_multiplier_carry(d):
    q, shift = quant.quantize_multiplier(d)
    assert q == 2**30 and (q, shift) == quantize_multiplier(d)


@FAST
@given(st.floats(allow_nan=False, allow_infinity=False))
@example(0.49999999999999994)
@example(-0.49999999999999994)
@example(4503599627370497.0)
@example(2.5)
@example(-2.5)
def test_round_half_away(x):
    assert quant.round_half_away(x) == std_round(x)
    assert quant.round_half_away_array(np.array([x, -x]))[0] == std_round(x)
    assert quant.round_half_away_array(np.array([x, -x]))[1] == std_round(-x)


# --- tcm_requant_dsp.h: the short requantization under its preconditions ----------------------

@pytest.fixture(scope="module")
def dsp(tmp_path_factory):
    return build("requant_dsp", "int32_t tcm_mbqm_right(int32_t acc, int32_t mult, int32_t right);"
                 "int32_t tcm_mbqm_single_right(int32_t acc, int32_t mult, int32_t right);",
                 '#include "tcm_requant_dsp.h"', tmp_path_factory.mktemp("ffi")).lib


ACC30 = st.one_of(st.sampled_from([-(2**30) + 1, -(2**29), -257, -1, 0, 1, 255, 2**29,
                                   2**30 - 1]), st.integers(-(2**30) + 1, 2**30 - 1))
QMULT = st.one_of(st.sampled_from([0, 2**30, 2**30 + 1, INT32_MAX]),
                  st.integers(2**30, INT32_MAX))


@FAST
@given(ACC30, QMULT, st.integers(1, 31))
def test_mbqm_right_is_mbqm(dsp, acc, m, right):
    assert dsp.tcm_mbqm_right(acc, m, right) == mbqm(acc, m, -right)


@FAST
@given(int32, QMULT, st.integers(2, 31))
@example(INT32_MIN, INT32_MAX, 2)
@example(INT32_MAX, INT32_MAX, 2)
def test_mbqm_single_right_is_single_rounding(dsp, acc, m, right):
    assert dsp.tcm_mbqm_single_right(acc, m, right) == mbqm_single(acc, m, -right)


def test_mbqm_right_ties(dsp):
    """Exact halves after the high multiply round away from zero, as RoundingDivideByPOT."""
    for right in range(1, 31):
        for q in (-3, -1, 0, 1, 2):
            # m = 2^30 halves: acc = 2 * (q * 2^right + 2^(right-1)) gives high = that exactly
            acc = 2 * (q * 2**right + 2**(right - 1))
            if abs(acc) < 2**30:
                assert dsp.tcm_mbqm_right(acc, 2**30, right) == mbqm(acc, 2**30, -right)
                assert dsp.tcm_mbqm_right(-acc, 2**30, right) == mbqm(-acc, 2**30, -right)


def test_fast_requant_ok():
    assert quant.fast_requant_ok(np.array([-1, -31]), 2**30 - 1)
    assert not quant.fast_requant_ok(np.array([-1, 0]), 100)       # shift 0: no right shift
    assert not quant.fast_requant_ok(np.array([-3]), 2**30)         # 2 * acc may overflow
    assert not quant.fast_requant_ok(np.array([-32]), 100)
    assert quant.acc_bound(np.array([5, -7]), np.array([[1, -2], [3, 0]])) == 7 + 128 * 3


# --- ops/_smlad.py right_shift_requant: the constants it rewrites give the same outputs -------

@FAST
@given(st.lists(st.tuples(int32, multiplier, st.integers(-31, 30), st.booleans()),
                min_size=1, max_size=8))
@example([(INT32_MIN, 0, 0, False)])      # every multiplier 0: no live channel to bound
@example([(1000, 2**30, 3, True), (5, 2**30, -2, False)])
def test_right_shift_requant_keeps_every_output(channels):
    """Channels with an all-zero filter row have the constant accumulator `bias`: the rewritten
    (4v, 2^30, -1) must give its output v (clamped to +-1000, beyond any int8 result), by the
    spec's MultiplyByQuantizedMultiplier; zero multipliers get shift -1; other channels keep
    their constants. The result, when not None, is in tcm_requant_dsp.h's exact range."""
    from tinycc_ml.ops._smlad import right_shift_requant
    bias = np.array([b for b, _, _, _ in channels], np.int64)
    mult = np.array([m for _, m, _, _ in channels], np.int64)
    shift = np.array([s for _, _, s, _ in channels], np.int64)
    rows = np.array([[0, 0] if dead else [3, -1] for _, _, _, dead in channels], np.int8)
    got = right_shift_requant(bias, rows, mult, shift)
    if got is None:
        return
    nb, nm, ns = (a.astype(np.int64) for a in got)
    assert quant.fast_requant_ok(ns, quant.acc_bound(nb[nm != 0], rows[nm != 0]))
    for c, (b, m, s, dead) in enumerate(channels):
        if dead:
            assert mbqm(int(nb[c]), int(nm[c]), int(ns[c])) == min(max(mbqm(b, m, s), -1000), 1000)
        elif m == 0:
            assert (nb[c], nm[c], ns[c]) == (b, 0, -1)
        else:
            assert (nb[c], nm[c], ns[c]) == (b, m, s)


def test_right_shift_requant_reaches_its_rewrites():
    """A dead channel whose shift is positive is rewritten (not refused), so the property above
    checks the rewrite itself."""
    from tinycc_ml.ops._smlad import right_shift_requant
    got = right_shift_requant(np.array([1000, 5]), np.array([[0, 0], [1, 2]], np.int8),
                              np.array([2**30, 2**30]), np.array([3, -2]))
    assert got is not None
    assert [list(map(int, a)) for a in got] == [[4 * 1000, 5], [2**30, 2**30], [-1, -2]]
