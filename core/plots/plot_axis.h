// Axis arithmetic for plots, free of any drawing: nice ticks, tick labels, category label layout, colours.
#pragma once

#include <array>
#include <functional>
#include <string>
#include <vector>

namespace biornn {

// Ticks of one numeric axis: the axis shows [lo, hi]; `values` are the tick positions inside it, at
// multiples of `step` (1, 2, 2.5 or 5 times a power of ten), and `labels` their text.
struct Ticks {
  double lo = 0, hi = 1, step = 1;
  std::vector<double> values;
  std::vector<std::string> labels;
};

// Ticks for data in [data_lo, data_hi], like matplotlib's MaxNLocator: at most `max_ticks` ticks at
// 1-2-2.5-5 steps, the axis padded by `margin` (a fraction of the span) on each side. `integer`: steps
// of at least 1 and no 2.5 (epochs 1, 2, 3). A single value or an empty range is widened around it.
Ticks nice_ticks(double data_lo, double data_hi, int max_ticks = 8, bool integer = false, double margin = 0.05);

// A tick's text with as many decimals as `step` needs (0.1 -> "0.3", not "0.30000000000000004");
// scientific notation for very large or very small magnitudes; values within step/1e6 of zero are 0.
std::string tick_label(double value, double step);

// True when every value is a whole number (then an axis gets integer ticks).
bool all_integers(const std::vector<double>& values);

// How category labels under a horizontal axis are drawn: the first of horizontal, wrapped onto lines at
// '/', '_' or ' ', rotated by 45 degrees, rotated by 90 degrees, whose boxes do not overlap.
struct CategoryLayout {
  double angle_degrees = 0;                     // 0, 45 or 90 (counter-clockwise; text ends at its tick)
  std::vector<std::vector<std::string>> lines;  // each label's lines (more than one only when wrapped)
  double line_height = 0;                       // pixels per line of text
  double height = 0;                            // vertical room the labels need below the axis, in pixels
  double overhang_left = 0;                     // how far the first label reaches left of its tick
};

// The text extent of a string at the plot's tick font: width and height in pixels.
struct TextSize {
  double width = 0, height = 0;
};
using MeasureText = std::function<TextSize(const std::string& text)>;

// Chooses the layout for `labels` centred on ticks `slot` pixels apart (`measure` gives text sizes).
CategoryLayout layout_categories(const std::vector<std::string>& labels, double slot, const MeasureText& measure);

// The corners of label i's box (pixels, y down, tick at x = i * slot, y = 0) under `layout`; used to
// draw and to check that no two boxes overlap.
using Quad = std::array<std::array<double, 2>, 4>;
Quad category_label_box(const CategoryLayout& layout, size_t i, double slot, const MeasureText& measure);

// True when two convex quadrilaterals intersect (separating-axis test).
bool boxes_overlap(const Quad& a, const Quad& b);

struct Color {
  double r = 0, g = 0, b = 0;
};
// matplotlib's "tab10" colours, cycling.
Color palette_color(size_t i);
// The viridis colour map at t in [0, 1] (clamped).
Color viridis(double t);

}  // namespace biornn
