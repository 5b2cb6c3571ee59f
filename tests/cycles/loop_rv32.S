# A hand-counted loop for the instruction classes of tinycc_ml/cortexm/insncount.c (RV32IMC;
# the assembler compresses what it can: c.lw, c.sw, c.addi, c.bnez, c.jr are decoded too).
    .data
    .align 2
buf: .word 5, 3, 0
    .text
    .global bench_begin, bench_end
    .type bench_begin, @function
bench_begin:
    addi sp, sp, -16            # other
    sw ra, 12(sp)               # store
    lui a2, %hi(buf)            # other
    addi a2, a2, %lo(buf)       # other
    li a0, 10                   # other
1:  lw a1, 0(a2)                # load                x10
    lw a3, 4(a2)                # load, pipelined     x10
    sw a1, 8(a2)                # store, pipelined    x10
    mul a4, a1, a3              # mul                 x10
    mulh a5, a1, a3             # mul_long            x10
    div a4, a1, a3              # div                 x10
    addi a0, a0, -1             # other               x10
    bnez a0, 1b                 # branch              x10, taken 9
    jal ra, helper              # branch, call, taken
    lw ra, 12(sp)               # load
    addi sp, sp, 16             # other
    .type bench_end, @function
bench_end:
    ret
helper:
    ret                         # branch, taken
