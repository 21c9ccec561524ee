#include "core/plots/plot_axis.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace biornn {

namespace {

constexpr double kLabelGap = 4;  // pixels between neighbouring category labels
constexpr double kPi = 3.14159265358979323846;

// Widens an empty or one-point range so that it can carry ticks.
void widen_degenerate(double& lo, double& hi, bool integer) {
  if (hi > lo) return;
  const double d = integer ? 1.0 : (lo == 0 ? 1.0 : std::abs(lo) * 0.1);
  lo -= d;
  hi += d;
}

// The multiple k * mantissa * 10^exponent computed so that it is the double nearest the decimal.
double tick_value(long k, double mantissa, int exponent) {
  const double scaled = static_cast<double>(k) * mantissa;
  return exponent >= 0 ? scaled * std::pow(10.0, exponent) : scaled / std::pow(10.0, -exponent);
}

Color from_hex(unsigned rgb) { return {((rgb >> 16) & 255) / 255.0, ((rgb >> 8) & 255) / 255.0, (rgb & 255) / 255.0}; }

}  // namespace

bool all_integers(const std::vector<double>& values) {
  for (double v : values)
    if (!std::isfinite(v) || v != std::round(v)) return false;
  return !values.empty();
}

std::string tick_label(double value, double step) {
  if (std::abs(value) < std::abs(step) * 1e-6) value = 0;  // no "-0.0" or "1e-17"
  const int step_exponent = static_cast<int>(std::floor(std::log10(std::abs(step)) + 1e-9));
  const bool quarter = std::abs(step / std::pow(10.0, step_exponent) - 2.5) < 1e-6;  // 2.5 needs one more digit
  char text[64];
  if (std::abs(value) >= 1e6 || std::abs(step) < 1e-4) {
    if (value == 0) return "0";
    const int value_exponent = static_cast<int>(std::floor(std::log10(std::abs(value)) + 1e-9));
    const int digits = std::clamp(value_exponent - step_exponent + (quarter ? 1 : 0), 0, 12);
    std::snprintf(text, sizeof text, "%.*e", digits, value);
  } else {
    const int decimals = std::max(0, -step_exponent + (quarter ? 1 : 0));
    std::snprintf(text, sizeof text, "%.*f", decimals, value);
  }
  return text;
}

Ticks nice_ticks(double data_lo, double data_hi, int max_ticks, bool integer, double margin) {
  if (!std::isfinite(data_lo) || !std::isfinite(data_hi)) data_lo = 0, data_hi = 1;
  if (data_hi < data_lo) std::swap(data_lo, data_hi);
  const bool degenerate = !(data_hi > data_lo);
  widen_degenerate(data_lo, data_hi, integer);
  const double pad = degenerate ? 0 : margin * (data_hi - data_lo);
  Ticks t;
  t.lo = data_lo - pad;
  t.hi = data_hi + pad;
  max_ticks = std::max(2, max_ticks);
  const int first_exponent = static_cast<int>(std::floor(std::log10((t.hi - t.lo) / max_ticks)));
  for (int exponent = first_exponent; t.values.empty(); ++exponent) {
    for (double mantissa : {1.0, 2.0, 2.5, 5.0}) {
      const double step = mantissa * std::pow(10.0, exponent);
      if (integer && (step < 1 || mantissa == 2.5)) continue;
      const long first = static_cast<long>(std::ceil(t.lo / step - 1e-9));
      const long last = static_cast<long>(std::floor(t.hi / step + 1e-9));
      if (last - first + 1 > max_ticks) continue;
      t.step = step;
      for (long k = first; k <= last; ++k) t.values.push_back(tick_value(k, mantissa, exponent));
      break;
    }
  }
  for (double v : t.values) t.labels.push_back(tick_label(v, t.step));
  return t;
}

namespace {

// Splits `label` into lines no wider than `room`, breaking after '/', '_' or ' '. Empty when a piece
// between break points is itself too wide.
std::vector<std::string> wrap(const std::string& label, double room, const MeasureText& measure) {
  std::vector<std::string> pieces;
  std::string piece;
  for (char c : label) {
    piece += c;
    if (c == '/' || c == '_' || c == ' ') pieces.push_back(piece), piece.clear();
  }
  if (!piece.empty()) pieces.push_back(piece);
  std::vector<std::string> lines;
  std::string line;
  for (const auto& p : pieces) {
    if (!line.empty() && measure(line + p).width > room) lines.push_back(line), line.clear();
    line += p;
    if (measure(line).width > room) return {};
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

double widest(const std::vector<std::string>& labels, const MeasureText& measure) {
  double w = 0;
  for (const auto& l : labels) w = std::max(w, measure(l).width);
  return w;
}

CategoryLayout rotated(const std::vector<std::string>& labels, double angle_degrees, double slot,
                       const MeasureText& measure, double line_height) {
  CategoryLayout layout;
  layout.angle_degrees = angle_degrees;
  layout.line_height = line_height;
  for (const auto& l : labels) layout.lines.push_back({l});
  for (size_t i = 0; i < labels.size(); ++i)
    for (const auto& corner : category_label_box(layout, i, slot, measure)) {
      layout.height = std::max(layout.height, corner[1]);
      if (i == 0) layout.overhang_left = std::max(layout.overhang_left, -corner[0]);
    }
  return layout;
}

}  // namespace

CategoryLayout layout_categories(const std::vector<std::string>& labels, double slot, const MeasureText& measure) {
  const double line_height = measure("Ag").height;
  const double room = slot - kLabelGap;
  CategoryLayout layout;
  layout.line_height = line_height;
  if (widest(labels, measure) <= room) {
    for (const auto& l : labels) layout.lines.push_back({l});
    layout.height = line_height;
    layout.overhang_left = measure(labels.empty() ? "" : labels[0]).width / 2;
    return layout;
  }
  size_t most_lines = 0;
  for (const auto& l : labels) {
    layout.lines.push_back(wrap(l, room, measure));
    most_lines = std::max(most_lines, layout.lines.back().size());
    if (layout.lines.back().empty()) most_lines = 99;
  }
  if (most_lines <= 3) {
    layout.height = most_lines * line_height;
    layout.overhang_left = widest(layout.lines[0], measure) / 2;
    return layout;
  }
  // Parallel strips at 45 degrees are slot * sin(45) apart, at 90 degrees slot apart.
  if (slot * std::sin(kPi / 4) >= line_height + kLabelGap) return rotated(labels, 45, slot, measure, line_height);
  return rotated(labels, 90, slot, measure, line_height);
}

Quad category_label_box(const CategoryLayout& layout, size_t i, double slot, const MeasureText& measure) {
  const double x = static_cast<double>(i) * slot;
  const auto& lines = layout.lines[i];
  if (layout.angle_degrees == 0) {
    const double half = widest(lines, measure) / 2, bottom = lines.size() * layout.line_height;
    return {{{x - half, 0}, {x + half, 0}, {x + half, bottom}, {x - half, bottom}}};
  }
  // The text ends at the tick and runs down-left; d is its direction, n points to the text's bottom.
  const double a = layout.angle_degrees * kPi / 180, w = measure(lines[0]).width, h = layout.line_height;
  const double dx = std::cos(a), dy = -std::sin(a), nx = std::sin(a), ny = std::cos(a);
  const double ax = x, ay = h / 2 * ny;  // anchor: the end of the text's middle line, top corner at y = 0
  const double sx = ax - w * dx, sy = ay - w * dy;
  return {{{ax - h / 2 * nx, ay - h / 2 * ny},
           {ax + h / 2 * nx, ay + h / 2 * ny},
           {sx + h / 2 * nx, sy + h / 2 * ny},
           {sx - h / 2 * nx, sy - h / 2 * ny}}};
}

bool boxes_overlap(const Quad& a, const Quad& b) {
  for (const Quad* q : {&a, &b})
    for (size_t e = 0; e < 4; ++e) {
      const auto& p = (*q)[e];
      const auto& r = (*q)[(e + 1) % 4];
      const double nx = r[1] - p[1], ny = p[0] - r[0];  // normal of edge p -> r
      double a_lo = 1e300, a_hi = -1e300, b_lo = 1e300, b_hi = -1e300;
      for (const auto& c : a)
        a_lo = std::min(a_lo, c[0] * nx + c[1] * ny), a_hi = std::max(a_hi, c[0] * nx + c[1] * ny);
      for (const auto& c : b)
        b_lo = std::min(b_lo, c[0] * nx + c[1] * ny), b_hi = std::max(b_hi, c[0] * nx + c[1] * ny);
      if (a_hi <= b_lo || b_hi <= a_lo) return false;  // a separating axis: touching is not overlapping
    }
  return true;
}

Color palette_color(size_t i) {
  static constexpr unsigned kTab10[] = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
                                        0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf};
  return from_hex(kTab10[i % 10]);
}

Color viridis(double t) {
  // matplotlib's viridis at t = 0, 1/8, ..., 1, linearly interpolated.
  static constexpr unsigned kStops[9] = {0x440154, 0x472d7b, 0x3b528b, 0x2c728e, 0x21918c,
                                         0x28ae80, 0x5ec962, 0xaddc30, 0xfde725};
  t = std::clamp(std::isfinite(t) ? t : 0.0, 0.0, 1.0);
  const int i = std::min(7, static_cast<int>(t * 8));
  const double f = t * 8 - i;
  const Color a = from_hex(kStops[i]), b = from_hex(kStops[i + 1]);
  return {a.r + f * (b.r - a.r), a.g + f * (b.g - a.g), a.b + f * (b.b - a.b)};
}

}  // namespace biornn
