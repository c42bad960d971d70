// Does OpenBLAS's sgemm give the same bits with 1 and with 2 threads? For product shapes the edge-patching
// executor issues (prompts·tokens × d_model × …, and the unembedding), counts the elements of C that differ
// between runs at 1 thread, at 2 threads, and between 1 and 2 threads. README ("Reliability", determinism) quotes it.
//
//   cc -O2 blas_threads.c -o blas_threads $(pkg-config --cflags --libs openblas) && ./blas_threads
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern void openblas_set_num_threads(int);

static unsigned long long state = 12345;
static float uniform(void) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return ((state >> 40) & 0xffffff) / 16777216.0f - 0.5f;
}

static void product(int threads, int m, int k, int n, const float *a, const float *b, float *c) {
    openblas_set_num_threads(threads);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1, a, k, b, n, 0, c, n);
}

static long differing(const float *x, const float *y, long count) {
    long d = 0;
    for (long i = 0; i < count; i++) d += memcmp(&x[i], &y[i], sizeof(float)) != 0;
    return d;
}

int main(void) {
    // m = prompts × tokens, k × n = weight shapes of GPT-2 small and the toy models.
    const int shapes[][3] = {{15, 64, 64}, {100, 64, 64}, {1500, 64, 256}, {1500, 256, 64},
                             {800, 768, 768}, {800, 768, 3072}, {16, 768, 2304}, {50, 768, 50257}};
    printf("%6s %5s %6s  %14s %14s %14s\n", "m", "k", "n", "1 vs 1 thread", "2 vs 2", "1 vs 2");
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int m = shapes[s][0], k = shapes[s][1], n = shapes[s][2];
        long count = (long)m * n;
        float *a = malloc(sizeof(float) * m * k), *b = malloc(sizeof(float) * k * n);
        float *c1 = malloc(sizeof(float) * count), *c1b = malloc(sizeof(float) * count);
        float *c2 = malloc(sizeof(float) * count), *c2b = malloc(sizeof(float) * count);
        for (long i = 0; i < (long)m * k; i++) a[i] = uniform();
        for (long i = 0; i < (long)k * n; i++) b[i] = uniform();
        product(1, m, k, n, a, b, c1);
        product(1, m, k, n, a, b, c1b);
        product(2, m, k, n, a, b, c2);
        product(2, m, k, n, a, b, c2b);
        printf("%6d %5d %6d  %14ld %14ld %8ld (%2.0f%%)\n", m, k, n, differing(c1, c1b, count),
               differing(c2, c2b, count), differing(c1, c2, count), 100.0 * differing(c1, c2, count) / count);
        free(a); free(b); free(c1); free(c1b); free(c2); free(c2b);
    }
    return 0;
}
