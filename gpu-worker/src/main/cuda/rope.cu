// Rotary position embedding, rotate-half layout (channel i pairs with i + D/2), applied in place to the query and key
// rows of a pass in one launch: q is rows × q_heads × head_dim floats, k rows × k_heads × head_dim (k_heads 0: q
// alone). One launch instead of one per tensor, because at decode each is a few microseconds of launch for a few
// kilobytes of work, twice a layer. The cos/sin tables (rows × D/2 each) come from the host, computed by
// io.vecinfer.model.Rope.angles at each row's position, so llama3 and default frequency scaling are exactly the CPU's.
// The products and sums are rounded one by one (__fmul_rn, __fadd_rn, __fsub_rn: no FMA contraction), as Java
// evaluates a * c - b * s, so the rotation is bit-identical to Rope.apply.
//
// Launch: grid (ceil(rows × (q_heads + k_heads) × D/2 / 256)), 256 threads, no shared memory. One thread per rotated
// pair: the first rows × q_heads × D/2 threads rotate q, the rest k.

extern "C" __global__ void rope(float* q, int q_heads, float* k, int k_heads, const float* __restrict__ cos_table,
                                const float* __restrict__ sin_table, int rows, int head_dim) {
    const int half = head_dim / 2;
    size_t pair = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    const size_t q_pairs = size_t(rows) * q_heads * half;
    float* x = q;
    int heads = q_heads;
    if (pair >= q_pairs) {
        pair -= q_pairs;
        if (pair >= size_t(rows) * k_heads * half) return;
        x = k;
        heads = k_heads;
    }
    const int i = int(pair % half);
    const size_t head = pair / half;  // row * heads + h
    const size_t row = head / heads;
    float* v = x + head * head_dim;
    const float c = cos_table[row * half + i], s = sin_table[row * half + i];
    const float a = v[i], b = v[i + half];
    v[i] = __fsub_rn(__fmul_rn(a, c), __fmul_rn(b, s));
    v[i + half] = __fadd_rn(__fmul_rn(b, c), __fmul_rn(a, s));
}
