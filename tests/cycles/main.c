/* Calls the hand-written region once (tests/test_cycles.py). */
void bench_begin(void);
int main(void) { bench_begin(); return 0; }
