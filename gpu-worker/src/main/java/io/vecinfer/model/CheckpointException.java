package io.vecinfer.model;

/** A checkpoint that cannot be loaded; the message names the file and the field or tensor. */
public class CheckpointException extends RuntimeException {
    public CheckpointException(String message) {
        super(message);
    }
}
