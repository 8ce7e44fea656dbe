// Rotary position embedding, rotate-half layout (channel i pairs with i + D/2), applied in place to rows of
// heads × head_dim floats. The cos/sin tables (rows × D/2 each) come from the host, computed by
// io.vecinfer.model.Rope.angles at each row's position, so llama3 and default frequency scaling are exactly
// the CPU's. The products and sums are rounded one by one (__fmul_rn, __fadd_rn, __fsub_rn: no FMA
// contraction), as Java evaluates a * c - b * s, so the rotation is bit-identical to Rope.apply.
//
// Launch: grid (ceil(rows × heads × D/2 / 256)), 256 threads, no shared memory. One thread per rotated pair.

extern "C" __global__ void rope(float* x, const float* __restrict__ cos_table, const float* __restrict__ sin_table, int rows, int heads,
                                int head_dim) {
    const int half = head_dim / 2;
    const size_t pair = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (pair >= size_t(rows) * heads * half) return;
    const int i = int(pair % half);
    const size_t head = pair / half;  // row * heads + h
    const size_t row = head / heads;
    float* v = x + head * head_dim;
    const float c = cos_table[row * half + i], s = sin_table[row * half + i];
    const float a = v[i], b = v[i + half];
    v[i] = __fsub_rn(__fmul_rn(a, c), __fmul_rn(b, s));
    v[i + half] = __fadd_rn(__fmul_rn(b, c), __fmul_rn(a, s));
}
