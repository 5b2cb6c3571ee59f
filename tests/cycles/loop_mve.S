@ A hand-counted Helium (MVE) loop for the instruction classes of tinycc_ml/cortexm/insncount.c
@ (Armv8.1-M: a low-overhead loop, DLS/LE, around a vector load and a vector MAC).
    .syntax unified
    .thumb
    .arch armv8.1-m.main
    .arch_extension mve
    .data
    .align 4
buf: .byte 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16
    .text
    .global bench_begin, bench_end
    .type bench_begin, %function
    .thumb_func
bench_begin:
    push {r4, lr}               @ multi, 2 regs
    ldr r2, =buf                @ load
    movs r4, #0                 @ other
    movs r0, #4                 @ other
    dls lr, r0                  @ branch (not taken)
1:  vldrb.s8 q0, [r2]           @ vector_ldst         x4
    vmladava.s8 r4, q0, q0      @ vector              x4
    le lr, 1b                   @ branch              x4, taken 3
    pop {r4, lr}                @ multi, 2 regs (32-bit)
    .type bench_end, %function
    .thumb_func
bench_end:
    bx lr
    .ltorg
