# Sourced (not run) from the repository root by every *-on-h200.sh that runs Java from the device bundle
# (gpu-worker/scripts/make-device-bundle.sh; carry .device-bundle):
#   1. once per call, unpacks .device-bundle/jre17b.tar.xz and lib.tar.xz into /tmp/device-bundle (a warm
#      machine's /tmp may hold an older call's bundle, so it is unpacked anew, not reused);
#   2. unpacks the shipped weights, every datasets/*/model.safetensors.xz, with io.vecinfer.model.ShippedWeights:
#      the build's own step (gpu-worker/pom.xml), so the device has no second implementation. A wrong hash stops
#      the calling script with the message naming the file.
# Sets BUNDLE (the unpacked folder), BUNDLE_JAVA (its java; set it beforehand to try a script off the device with
# a local java), BUNDLE_CP (its jars, as a classpath entry) and BUNDLE_JAVA_OPTIONS (the module options its JVMs take).
BUNDLE=/tmp/device-bundle
if [ "${DEVICE_BUNDLE_UNPACKED:-}" != "$PWD" ]; then
  [ -f .device-bundle/jre17b.tar.xz ] && [ -f .device-bundle/lib.tar.xz ] \
    || { echo "no .device-bundle/{jre17b,lib}.tar.xz: run gpu-worker/scripts/make-device-bundle.sh here and carry .device-bundle" >&2; exit 1; }
  rm -rf "$BUNDLE" && mkdir -p "$BUNDLE" \
    && tar xJf .device-bundle/jre17b.tar.xz -C "$BUNDLE" && tar xJf .device-bundle/lib.tar.xz -C "$BUNDLE" \
    || { echo "cannot unpack .device-bundle into $BUNDLE" >&2; exit 1; }
  # Scripts that source this from one another (or twice) unpack once.
  export DEVICE_BUNDLE_UNPACKED="$PWD"
fi
BUNDLE_JAVA="${BUNDLE_JAVA:-$BUNDLE/jre17b/bin/java}"
BUNDLE_CP="$BUNDLE/lib/*"
# Every JVM of the bundle: the Vector API (CPU kernels) and the foreign linker with native access (TMA tensor maps:
# io.vecinfer.cuda.TensorMaps; without them the GPU projections load by cp.async instead).
BUNDLE_JAVA_OPTIONS="--add-modules=jdk.incubator.vector,jdk.incubator.foreign --enable-native-access=ALL-UNNAMED"
"$BUNDLE_JAVA" -cp "$BUNDLE_CP" io.vecinfer.model.ShippedWeights datasets || exit 1
