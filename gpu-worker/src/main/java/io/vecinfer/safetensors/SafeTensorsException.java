package io.vecinfer.safetensors;

/** A safetensors file that cannot be used as asked; the message names the file and, where known, the tensor. */
public class SafeTensorsException extends RuntimeException {
    public SafeTensorsException(String message) {
        super(message);
    }

    public SafeTensorsException(String message, Throwable cause) {
        super(message, cause);
    }
}
