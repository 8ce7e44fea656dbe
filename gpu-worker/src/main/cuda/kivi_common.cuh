// The packed code layout shared by the KIVI kernels (kivi_encode.cu writes it, kivi_attention.cu reads it; the Java
// side is io.vecinfer.cuda.kivi.KiviLayout). A code of b bits sits in a container of kivi_container_bits(b) bits
// (1, 2, 4 or 8: 3 bits take 4), 32 / container codes per little-endian uint32 word, channel d in word d / per_word
// at bit (d % per_word) · container; a position's row is a whole number of 16-byte chunks (padding channels hold 0),
// so any row starts 16-byte aligned and the attention reads rows with 16-byte loads.
#pragma once

__host__ __device__ constexpr int kivi_container_bits(int bits) { return bits <= 1 ? 1 : bits <= 2 ? 2 : bits <= 4 ? 4 : 8; }

// An unsigned code below 2^23 as a float, exactly, without the quarter-rate int-to-float conversion: the code is
// the mantissa of 2^23 + code.
__device__ __forceinline__ float kivi_code_float(unsigned code) { return __uint_as_float(0x4B000000u | code) - 8388608.f; }
