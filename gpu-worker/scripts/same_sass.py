#!/usr/bin/env python3
"""Whether two cubins hold the same machine code for each kernel: compares their .text.<kernel> ELF sections byte for
byte. For a refactor of a tested kernel family: build the tested commit's .cu and the new one with the same nvcc flags
(nvcc -cubin -O3 -std=c++17 -I<cuda dir> -gencode arch=compute_90a,code=sm_90a ...), then

    python3 gpu-worker/scripts/same_sass.py tested.cubin new.cubin [kernel ...]

prints one line per kernel of the first cubin (or the named ones): identical, differs, or missing; exits 1 unless all
are identical. No CUDA tools needed (cuobjdump is not on every machine)."""
import struct
import sys


def text_sections(path):
    data = open(path, "rb").read()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        sys.exit(f"{path}: not a 64-bit ELF cubin")
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    headers = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    names = headers[shstrndx][4]
    sections = {}
    for h in headers:
        name = data[names + h[0]:data.index(b"\0", names + h[0])].decode()
        if name.startswith(".text."):
            sections[name[len(".text."):]] = data[h[4]:h[4] + h[5]]
    return sections


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    tested, new = text_sections(sys.argv[1]), text_sections(sys.argv[2])
    kernels = sys.argv[3:] or sorted(tested)
    same = True
    for k in kernels:
        if k not in tested or k not in new:
            verdict, same = "missing", False
        elif tested[k] == new[k]:
            verdict = "identical"
        else:
            verdict, same = "differs", False
        print(f"{k}: {verdict}")
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
