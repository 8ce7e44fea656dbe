#!/usr/bin/env python3
"""Copies a classpath's jars into a Spark runtime's jars/ folder, trimmed for one platform (linux-x86_64):

- jars that standalone mode and Parquet never load are left out (DROPPED, each with the reason);
- native libraries for other platforms are cut out of multi-platform jars (zstd-jni, snappy, lz4, netty, jcuda...);
- every jar is rewritten uncompressed (ZIP_STORED), so that xz, run once over the whole runtime, compresses
  across classes and jars: far tighter than each jar's own deflate.

    trim_jars.py CLASSPATH_FILE OUT_DIR        (prints what it dropped and the bytes before and after)
"""
import os
import re
import sys
import zipfile

# name prefix -> why standalone mode, Parquet and our jobs do not need it
DROPPED = {
    "rocksdbjni-": "RocksDB state store / history backend: unused by batch jobs (72 MB of natives)",
    "leveldbjni-all-": "LevelDB backend of the external shuffle service and history server: unused",
    "netty-tcnative-boringssl-static-": "TLS for Spark RPC: our clusters run without spark.ssl",
}
NATIVE = re.compile(r"\.(so|dll|dylib|jnilib)$")
# platform-classifier jars for other platforms (netty's native transports and the like)
FOREIGN_JAR = re.compile(r"-(osx|windows|linux-aarch_64|linux-riscv64|linux-ppc64le|linux-s390x)[-.]")


def native_for_this_platform(name):
    """Whether a native library entry is for linux on x86-64 (the GPU hosts), by the path conventions of its jar."""
    lower = name.lower()
    if any(os in lower for os in ("darwin", "mac", "osx", "win", "freebsd", "aix", "sunos")):
        return False
    if not ("linux" in lower or "/lib/" in lower or lower.startswith("lib")):
        return False
    return not any(arch in lower for arch in ("aarch64", "arm", "ppc", "s390", "riscv", "loongarch", "i386", "x86/", "/x86_32", "mips"))


def keep(jar_name, entry):
    if not NATIVE.search(entry):
        return True
    if jar_name.startswith("jcuda-natives-"):  # the CUDA backend uses the driver API only (no runtime, NVRTC, cuBLAS)
        return "libJCudaDriver-" in entry
    if "-linux-x86_64" in jar_name:  # a platform-classifier jar of this platform: all of it is ours
        return True
    return native_for_this_platform(entry)


def trim(source, target):
    jar_name = os.path.basename(source)
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            if not keep(jar_name, info.filename):
                continue
            zout.writestr(zipfile.ZipInfo(info.filename, info.date_time), zin.read(info), zipfile.ZIP_STORED)


def main():
    classpath_file, out_dir = sys.argv[1], sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    before = after = 0
    for jar in open(classpath_file).read().strip().split(":"):
        name = os.path.basename(jar)
        before += os.path.getsize(jar)
        reason = next((why for prefix, why in DROPPED.items() if name.startswith(prefix)), None)
        if reason is None and FOREIGN_JAR.search(name):
            reason = "natives for another platform"
        if reason:
            print(f"dropped {name}: {reason}")
            continue
        trim(jar, os.path.join(out_dir, name))
        after += os.path.getsize(os.path.join(out_dir, name))
    print(f"jars: {before / 1e6:.1f} MB as resolved, {after / 1e6:.1f} MB kept (uncompressed)")


if __name__ == "__main__":
    main()
