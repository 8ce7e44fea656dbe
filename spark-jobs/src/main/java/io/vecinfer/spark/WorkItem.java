package io.vecinfer.spark;

import java.io.Serializable;

/** One unit of evaluation work: a sample of a cell. */
public record WorkItem(String configHash, String sampleId) implements Serializable {
}
