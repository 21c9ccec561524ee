// The legend right of the axes (named marks, or the distinct values of a condition) and the
// colour bar of a continuous condition.
#include "core/plots/figure_renderer.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace biornn {

using namespace plot_internal;

void FigureRenderer::collect_legend() {
  for (const auto& m : f_.marks_)
    if (!m.name.empty() && m.condition.empty())
      legend_.push_back(
          {m.name, m.color, m.kind == Figure::Mark::Kind::line, m.markers || m.kind == Figure::Mark::Kind::points});
  if (!scale_.discrete) return;
  const bool lines = std::any_of(f_.marks_.begin(), f_.marks_.end(), [](const Figure::Mark& m) {
    return !m.condition.empty() && m.kind == Figure::Mark::Kind::line;
  });
  for (double v : scale_.distinct) {
    char value[32];
    std::snprintf(value, sizeof value, "%g", v);
    legend_.push_back({f_.condition_label_ + " = " + value, scale_.color(v), lines, !lines});
  }
}

double FigureRenderer::legend_width(cairo_t* cr) const {
  double w = 0;
  set_font(cr, kTickFont);
  for (const auto& e : legend_) w = std::max(w, 30 + measure(cr, e.name).width);
  if (scale_.active && !scale_.discrete) {
    for (const auto& l : ct_.labels) w = std::max(w, 12 + kTickLength + 3 + measure(cr, l).width);
    set_font(cr, kLabelFont);
    w += kPad + measure(cr, f_.condition_label_).height;
  }
  return w > 0 ? w + 2 * kPad + 6 : 0;
}

void FigureRenderer::draw_legend(cairo_t* cr) const {
  if (legend_.empty()) return;
  set_font(cr, kTickFont);
  const double x = right_ + kPad + 6, row = measure(cr, "Ag").height + 4;
  for (size_t k = 0; k < legend_.size(); ++k) {
    const auto& e = legend_[k];
    const double y = top_ + 4 + row * (k + 0.5);
    set_color(cr, e.color);
    cairo_set_line_width(cr, 1.6);
    if (e.line) cairo_move_to(cr, x, y), cairo_line_to(cr, x + 22, y), cairo_stroke(cr);
    if (e.marker) cairo_new_sub_path(cr), cairo_arc(cr, x + 11, y, 3, 0, 2 * kPi), cairo_fill(cr);
    if (!e.line && !e.marker) cairo_rectangle(cr, x + 4, y - 5, 14, 10), cairo_fill(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    draw_text(cr, e.name, x + 28, y, 0, 0.5);
  }
}

void FigureRenderer::draw_colorbar(cairo_t* cr) const {
  if (!scale_.active || scale_.discrete) return;
  // Below the legend's entries when there are some (named lines beside coloured points), at
  // least 40 px tall.
  double top = top_;
  if (!legend_.empty()) {
    set_font(cr, kTickFont);
    top += 4 + (measure(cr, "Ag").height + 4) * double(legend_.size()) + kPad;
  }
  const double x = right_ + kPad + 6, w = 12, bottom = bottom_;
  top = std::min(top, bottom - 40);
  const int steps = 64;
  for (int s = 0; s < steps; ++s) {
    set_color(cr, viridis((s + 0.5) / steps));
    const double y0 = bottom - (bottom - top) * s / steps, y1 = bottom - (bottom - top) * (s + 1) / steps;
    cairo_rectangle(cr, x, y1, w, y0 - y1 + 0.5);
    cairo_fill(cr);
  }
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_set_line_width(cr, 1);
  cairo_rectangle(cr, x, top, w, bottom - top);
  auto cy = [&](double v) { return bottom - (v - ct_.lo) / (ct_.hi - ct_.lo) * (bottom - top); };
  for (double v : ct_.values) cairo_move_to(cr, x + w, cy(v)), cairo_line_to(cr, x + w + kTickLength, cy(v));
  cairo_stroke(cr);
  set_font(cr, kTickFont);
  double widest = 0;
  for (size_t i = 0; i < ct_.values.size(); ++i) {
    draw_text(cr, ct_.labels[i], x + w + kTickLength + 3, cy(ct_.values[i]), 0, 0.5);
    widest = std::max(widest, measure(cr, ct_.labels[i]).width);
  }
  set_font(cr, kLabelFont);
  draw_text(cr, f_.condition_label_, x + w + kTickLength + 3 + widest + kPad, (top + bottom) / 2, 0.5, 0, 90);
}

}  // namespace biornn
