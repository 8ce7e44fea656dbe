package io.vecinfer.spark.report;

/**
 * Passkey accuracy of one method at one (context, depth) point: the samples of all its cells that had
 * {@code contextTokens} of context and the key at {@code depthPercent} of it.
 *
 * @param depthPercent from the sample id ({@code passkey-<tokens>-d<percent>-<i>}, datasets/passkey/README.md); -1 when the id has none
 */
public record PasskeyCell(String modelName, String methodName, int contextTokens, int depthPercent, long n, double accuracy) {
}
