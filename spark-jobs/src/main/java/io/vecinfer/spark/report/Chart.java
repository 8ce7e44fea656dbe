package io.vecinfer.spark.report;

import java.util.List;

/**
 * One plot of the HTML report, as data: the page's script turns it into an ECharts option, one ECharts
 * series per {@link Series} (plus one error-bar series beside each line that has errors).
 *
 * @param kind   {@code line} (x numeric), {@code bar} (x categories) or {@code heatmap} (x and y categories)
 * @param xAxis  {@code log2}, {@code value} or {@code category}
 * @param xCategories for bar and heatmap: the x categories, in order; empty otherwise
 * @param yCategories for heatmap: the y categories; empty otherwise
 */
public record Chart(String id, String section, String title, String kind, String xName, String yName, String xAxis,
                    List<String> xCategories, List<String> yCategories, List<Series> series) {

    /** A line, the bars of one name, or a heatmap's cells. */
    public record Series(String name, List<Point> points) {
    }

    /**
     * A point of a line (x, y), a bar (category index, y) or a heatmap cell (x index, y index, value).
     * {@code error} is the standard error of y, null where there is none.
     */
    public record Point(double x, double y, Double error, Double value) {
        static Point of(double x, double y, Double error) {
            return new Point(x, y, error, null);
        }

        static Point cell(int x, int y, double value) {
            return new Point(x, y, null, value);
        }
    }
}
