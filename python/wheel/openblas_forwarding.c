/*
 * libopenblas.so.0 for the vtok wheel: the OpenBLAS entry points libvtok_c calls, forwarded to
 * scipy-openblas32, the OpenBLAS build that PyPI distributes for NumPy and SciPy, whose symbols
 * carry a scipy_ prefix. The wheel depends on that package instead of carrying its own OpenBLAS
 * (make wheel; python/README.md says why).
 */
#include <cblas.h>

void cblas_sgemm(const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE transA, const enum CBLAS_TRANSPOSE transB,
                 const blasint m, const blasint n, const blasint k, const float alpha, const float *a, const blasint lda,
                 const float *b, const blasint ldb, const float beta, float *c, const blasint ldc) {
    scipy_cblas_sgemm(order, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void cblas_sgemv(const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE trans, const blasint m, const blasint n,
                 const float alpha, const float *a, const blasint lda, const float *x, const blasint incx,
                 const float beta, float *y, const blasint incy) {
    scipy_cblas_sgemv(order, trans, m, n, alpha, a, lda, x, incx, beta, y, incy);
}

char *openblas_get_corename(void) { return scipy_openblas_get_corename(); }
int openblas_get_num_threads(void) { return scipy_openblas_get_num_threads(); }
void openblas_set_num_threads(int threads) { scipy_openblas_set_num_threads(threads); }
