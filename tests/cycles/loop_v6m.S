@ A hand-counted loop for the instruction classes of tinycc_ml/cortexm/insncount.c (Armv6-M).
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
    muls r1, r3                 @ mul                 x10
    adds r4, r1                 @ other               x10
    subs r0, #1                 @ other               x10
    bne 1b                      @ branch              x10, taken 9
    bl helper                   @ branch, call, taken
    pop {r4, r5}                @ multi, 2 regs
    pop {r0}                    @ multi, 1 reg
    mov lr, r0                  @ other
    .type bench_end, %function
    .thumb_func
bench_end:
    bx lr
    .thumb_func
helper:
    push {lr}                   @ multi, 1 reg
    pop {pc}                    @ multi, 1 reg, pcload, taken
    .ltorg
