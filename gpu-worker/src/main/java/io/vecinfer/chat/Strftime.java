package io.vecinfer.chat;

import java.time.LocalDate;
import java.time.format.TextStyle;
import java.util.Locale;

/** Python's date.strftime for the directives chat templates use (Llama 3.2's {@code strftime_now("%d %b %Y")}), in the C locale. */
final class Strftime {
    private Strftime() {
    }

    static String format(LocalDate date, String pattern) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c != '%' || i + 1 == pattern.length()) {
                out.append(c);
                continue;
            }
            char d = pattern.charAt(++i);
            switch (d) {
                case 'd' -> out.append(String.format("%02d", date.getDayOfMonth()));
                case 'm' -> out.append(String.format("%02d", date.getMonthValue()));
                case 'Y' -> out.append(date.getYear());
                case 'y' -> out.append(String.format("%02d", date.getYear() % 100));
                case 'b' -> out.append(date.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'B' -> out.append(date.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case 'a' -> out.append(date.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'A' -> out.append(date.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case 'j' -> out.append(String.format("%03d", date.getDayOfYear()));
                case '%' -> out.append('%');
                default -> throw new IllegalArgumentException("strftime_now: unsupported directive %" + d + " in \"" + pattern + "\"");
            }
        }
        return out.toString();
    }
}
