package io.vecinfer.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * GPT-2's reversible map between bytes and printable characters: byte-level BPE vocabularies are
 * written in these characters, so that a space reads as 'Ġ' and every byte has a visible symbol.
 */
final class ByteLevel {

    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final Map<Character, Byte> CHAR_TO_BYTE = new HashMap<>();

    static {
        // Printable Latin-1 bytes stand for themselves; the other 68 bytes take the characters from U+0100 on.
        int shifted = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            BYTE_TO_CHAR[b] = (char) (printable ? b : 256 + shifted++);
            CHAR_TO_BYTE.put(BYTE_TO_CHAR[b], (byte) b);
        }
    }

    private ByteLevel() {}

    /** The UTF-8 bytes of {@code text}, each written as its byte-level character. */
    static String encode(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        char[] chars = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            chars[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        }
        return new String(chars);
    }

    /**
     * Appends the bytes a token stands for. As in HF, a token with any character outside the map
     * (an added token such as "<|im_start|>" written in plain text) contributes its own UTF-8 bytes.
     */
    static void appendBytes(String token, ByteArrayOutputStream out) {
        byte[] bytes = new byte[token.length()];
        for (int i = 0; i < token.length(); i++) {
            Byte b = CHAR_TO_BYTE.get(token.charAt(i));
            if (b == null) {
                out.writeBytes(token.getBytes(StandardCharsets.UTF_8));
                return;
            }
            bytes[i] = b;
        }
        out.writeBytes(bytes);
    }
}
