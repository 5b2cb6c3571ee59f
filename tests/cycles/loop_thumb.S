@ A hand-counted loop for the instruction classes of tinycc_ml/cortexm/insncount.c: Armv7E-M
@ (built for cortex-m4) or, where the DSP instructions are missing, Armv6-M (cortex-m0plus).
@ The counted region runs from bench_begin's first instruction to bench_end's first one; the
@ expected class counts are written beside each instruction (tests/test_cycles.py).
    .syntax unified
    .thumb
    .data
    .align 2
buf: .word 5, 3, 0
    .text
    .global bench_begin, bench_end
    .type bench_begin, %function
    .thumb_func
bench_begin:
    push {r4, r5, lr}           @ multi, 3 regs
    ldr r2, =buf                @ load
    movs r0, #10                @ other
1:  ldr r1, [r2]                @ load                x10
    ldr r3, [r2, #4]            @ load, pipelined     x10
    str r1, [r2, #8]            @ store, pipelined    x10
#if defined(__ARM_FEATURE_DSP)
    mul r4, r1, r3              @ mul                 x10
    mla r4, r1, r3, r4          @ mla                 x10
    smlad r5, r1, r3, r5        @ mac                 x10
    sadd16 r5, r5, r1           @ simd                x10
    smull r4, r5, r1, r3        @ mul_long            x10
    sdiv r4, r1, r3             @ div                 x10
#else
    muls r1, r3                 @ mul                 x10
    adds r4, r1                 @ other               x10
#endif
    subs r0, #1                 @ other               x10
    bne 1b                      @ branch              x10, taken 9
    bl helper                   @ branch, call, taken
#if defined(__ARM_FEATURE_DSP)
    pop.w {r4, r5, lr}          @ multi, 3 regs
#else
    pop {r4, r5}                @ multi, 2 regs
    pop {r0}                    @ multi, 1 reg
    mov lr, r0                  @ other
#endif
    .type bench_end, %function
    .thumb_func
bench_end:
    bx lr
    .thumb_func
helper:
#if defined(__ARM_FEATURE_DSP)
    push {r4, lr}               @ multi, 2 regs
    pop {r4, pc}                @ multi, 2 regs, pcload, taken
#else
    push {lr}                   @ multi, 1 reg
    pop {pc}                    @ multi, 1 reg, pcload, taken
#endif
    .ltorg
