package io.vecinfer.spark;

/** The version recorded in every row: the jar manifest's Implementation-Version, or "dev" from classes. */
public final class CodeVersion {
    private CodeVersion() {
    }

    public static String get() {
        String version = CodeVersion.class.getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }
}
