package io.vecinfer.spark;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import io.vecinfer.eval.task.BatchSize;

import java.io.IOException;

/**
 * A sweep file's batch size: an integer >= 1 or {@code "auto"}, read once into a {@link BatchSize}. Anything else is a
 * mismatch, which {@link SweepFile} reports at its file, line and field (e.g. {@code batchSizes[2]}).
 */
public final class BatchSizeJson extends JsonDeserializer<BatchSize> {
    static final String EXPECTED = "a batch size is an integer >= 1 or \"" + BatchSize.AUTO_LABEL + "\"";

    @Override
    public BatchSize deserialize(JsonParser parser, DeserializationContext context) throws IOException {
        JsonToken token = parser.currentToken();
        if (token == JsonToken.VALUE_STRING && parser.getText().equals(BatchSize.AUTO_LABEL)) return BatchSize.AUTO;
        if (token == JsonToken.VALUE_NUMBER_INT && parser.getLongValue() >= 1 && parser.getLongValue() <= Integer.MAX_VALUE) {
            return BatchSize.fixed(parser.getIntValue());
        }
        return (BatchSize) context.reportInputMismatch(BatchSize.class, EXPECTED + ", not " + parser.getText());
    }
}
