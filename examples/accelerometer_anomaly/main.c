/* Vibration monitor: the firmware loop around the generated model, as a device would run it.
 *
 * Each window holds 64 samples x 3 axes (x, y, z) in g, as an accelerometer's FIFO delivers
 * them. The window is quantized with the model's own input parameters (accel_quantize_input0,
 * generated from the .tflite, so the firmware cannot drift from training), the model runs, and
 * the fault probability (output 1, dequantized) raises an alarm above ALARM_THRESHOLD.
 *
 * Here the samples are synthesized (a healthy machine, then three faults) so the program runs
 * anywhere: on the host and on a Cortex-M4 under QEMU (see the Makefile).
 * Set VERBOSE=1 (-DVERBOSE=1) to print the quantized windows and raw outputs too.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "accel.h"

#define WINDOW 64
#define AXES 3
#define RATE_HZ 1000.0f
#define ALARM_THRESHOLD 0.5f
#ifndef VERBOSE
#define VERBOSE 0
#endif

enum condition { HEALTHY, HARMONICS, BEARING, IMBALANCE };
static const char *const condition_name[] = {"healthy", "harmonics", "bearing", "imbalance"};

/* A deterministic noise source (the device would have real sensor noise). */
static uint32_t rng_state = 12345u;
static float noise(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return ((float)(rng_state >> 8) / 16777216.0f - 0.5f) * 0.1f;
}

static void acquire_window(enum condition c, float f_hz, float window[WINDOW][AXES])
{
    const float two_pi = 6.28318531f;
    static const float amp[AXES] = {0.35f, 0.30f, 0.25f};
    static const float phase[AXES] = {0.0f, 1.7f, 3.1f};
    int n, a;
    for (n = 0; n < WINDOW; ++n) {
        const float t = (float)n / RATE_HZ;
        for (a = 0; a < AXES; ++a) {
            float v = amp[a] * sinf(two_pi * f_hz * t + phase[a]) + noise();
            if (c == HARMONICS) {
                v += 0.25f * sinf(two_pi * 2.0f * f_hz * t + phase[a]) +
                     0.2f * sinf(two_pi * 3.0f * f_hz * t);
            } else if (c == BEARING && n % 9 < 4) {
                v += 0.8f * expf(-(float)(n % 9) / 3.0f) * (a == 1 ? -1.0f : 1.0f);
            } else if (c == IMBALANCE && a == 0) {
                v *= 3.2f;
            }
            window[n][a] = v < -2.0f ? -2.0f : (v > 2.0f ? 2.0f : v);
        }
    }
}

int main(void)
{
    static const enum condition plan[] = {HEALTHY, HEALTHY, HARMONICS, BEARING, IMBALANCE, HEALTHY};
    static float window[WINDOW][AXES];
    static int8_t input[ACCEL_INPUT0_SIZE];
    static int8_t output[ACCEL_OUTPUT0_SIZE];
    unsigned k, i;
    int alarms = 0;
    for (k = 0; k < sizeof plan / sizeof plan[0]; ++k) {
        float score;
        acquire_window(plan[k], 50.0f + 3.0f * (float)k, window);
        for (i = 0; i < ACCEL_INPUT0_SIZE; ++i) {
            input[i] = accel_quantize_input0((&window[0][0])[i]);
        }
        if (accel_invoke(input, output) != 0) {
            printf("invoke failed\n");
            return 1;
        }
        score = accel_dequantize_output0(output[1]);
        alarms += score > ALARM_THRESHOLD;
        /* integer print: newlib-nano's printf has no %f unless linked with -u _printf_float */
        printf("window %u (%s): fault score %d/1000%s\n", k, condition_name[plan[k]],
               (int)(score * 1000.0f + 0.5f), score > ALARM_THRESHOLD ? "  ALARM" : "");
        if (VERBOSE) {
            printf("window %u in", k);
            for (i = 0; i < ACCEL_INPUT0_SIZE; ++i) {
                printf(" %d", input[i]);
            }
            printf("\nwindow %u out %d %d\n", k, output[0], output[1]);
        }
    }
    printf("%d alarms in %u windows\n", alarms, k);
    /* the arena depends on the target's kernels (the Cortex-M4 ones need a little scratch) */
    printf("model arena: %u bytes\n", (unsigned)ACCEL_ARENA_BYTES);
    return 0;
}
