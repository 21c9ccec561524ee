// Drawing a laid-out figure: background, title, grid, axes with ticks and labels, and the marks
// (lines, points, bars, circles, error bars).
#include "core/plots/figure_renderer.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace biornn {

using namespace plot_internal;

void FigureRenderer::draw(cairo_t* cr) const {
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  draw_grid(cr);
  cairo_save(cr);
  cairo_rectangle(cr, left_, top_, right_ - left_, bottom_ - top_);
  cairo_clip(cr);
  draw_marks(cr);
  cairo_restore(cr);
  draw_axes(cr);
  draw_legend(cr);
  draw_colorbar(cr);
}

void FigureRenderer::draw_grid(cairo_t* cr) const {
  cairo_set_line_width(cr, 1);
  cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);  // light horizontal lines at the y ticks, under the data
  for (double y : yt_.values)
    cairo_move_to(cr, left_, std::round(py(y)) + 0.5), cairo_line_to(cr, right_, std::round(py(y)) + 0.5);
  cairo_stroke(cr);
}

void FigureRenderer::draw_axes(cairo_t* cr) const {
  cairo_set_line_width(cr, 1);
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_rectangle(cr, std::round(left_) + 0.5, std::round(top_) + 0.5, std::round(right_ - left_),
                  std::round(bottom_ - top_));
  for (double x : xt_.values) cairo_move_to(cr, px(x), bottom_), cairo_line_to(cr, px(x), bottom_ + kTickLength);
  for (double y : yt_.values) cairo_move_to(cr, left_, py(y)), cairo_line_to(cr, left_ - kTickLength, py(y));
  cairo_stroke(cr);
  set_font(cr, kTickFont);
  for (size_t i = 0; i < yt_.values.size(); ++i)
    draw_text(cr, yt_.labels[i], left_ - kTickLength - 3, py(yt_.values[i]), 1, 0.5);
  const double label_top = bottom_ + kTickLength + 3;
  if (!categorical_)
    for (size_t i = 0; i < xt_.values.size(); ++i) draw_text(cr, xt_.labels[i], px(xt_.values[i]), label_top, 0.5, 0);
  for (size_t i = 0; categorical_ && i < f_.categories_.size(); ++i) {
    const auto& lines = categories_.lines[i];
    if (categories_.angle_degrees == 0) {
      for (size_t k = 0; k < lines.size(); ++k)
        draw_text(cr, lines[k], px(i), label_top + k * categories_.line_height, 0.5, 0);
    } else {
      const double a = categories_.angle_degrees * kPi / 180;
      draw_text(cr, lines[0], px(i), label_top + categories_.line_height / 2 * std::cos(a), 1, 0.5,
                categories_.angle_degrees);
    }
  }
  set_font(cr, kLabelFont);
  draw_text(cr, f_.x_label_, (left_ + right_) / 2, height_ - 4, 0.5, 1);
  draw_text(cr, f_.y_label_, left_ - kTickLength - 3 - widest_y_label_ - kPad, (top_ + bottom_) / 2, 0.5, 1, 90);
  set_font(cr, kTitleFont);
  // Centred over the axes, but kept inside the figure (a long title beside a legend would
  // otherwise start left of the image).
  const double half = measure(cr, f_.title_).width / 2;
  const double centre = std::clamp((left_ + right_) / 2, kPad + half, std::max(kPad + half, width_ - kPad - half));
  draw_text(cr, f_.title_, centre, kPad + 2, 0.5, 0);
}

void FigureRenderer::draw_marks(cairo_t* cr) const {
  if (f_.unit_circle_) {
    const double dashes[] = {5, 3};
    cairo_set_dash(cr, dashes, 2, 0);
    cairo_set_source_rgb(cr, 0.5, 0.5, 0.5);
    cairo_set_line_width(cr, 1);
    for (int i = 0; i <= 256; ++i) cairo_line_to(cr, px(std::cos(2 * kPi * i / 256)), py(std::sin(2 * kPi * i / 256)));
    cairo_stroke(cr);
    cairo_set_dash(cr, nullptr, 0, 0);
  }
  for (const auto& m : f_.marks_) draw_mark(cr, m);
}

void FigureRenderer::draw_error_bars(cairo_t* cr, const Figure::Mark& m, size_t i) const {
  if (i >= m.errors.size() || !(m.errors[i] > 0)) return;
  const double x = m.kind == Figure::Mark::Kind::rects ? (m.x[i] + m.x_end[i]) / 2 : m.x[i];
  const double cap = 4;
  cairo_set_line_width(cr, 1.2);
  cairo_move_to(cr, px(x), py(m.y[i] - m.errors[i]));
  cairo_line_to(cr, px(x), py(m.y[i] + m.errors[i]));
  for (double y : {m.y[i] - m.errors[i], m.y[i] + m.errors[i]})
    cairo_move_to(cr, px(x) - cap, py(y)), cairo_line_to(cr, px(x) + cap, py(y));
  cairo_stroke(cr);
}

void FigureRenderer::draw_mark(cairo_t* cr, const Figure::Mark& m) const {
  auto color_of = [&](size_t i) {
    return m.condition.empty() ? m.color : scale_.color(m.condition[std::min(i, m.condition.size() - 1)]);
  };
  const size_t n = std::min(m.x.size(), m.y.size());
  auto finite = [&](size_t i) { return std::isfinite(m.x[i]) && std::isfinite(m.y[i]); };
  if (m.kind == Figure::Mark::Kind::rects) {
    for (size_t i = 0; i < n; ++i) {
      set_color(cr, color_of(i));
      cairo_rectangle(cr, px(m.x[i]), py(m.y[i]), px(m.x_end[i]) - px(m.x[i]), py(0) - py(m.y[i]));
      cairo_fill(cr);
      cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
      draw_error_bars(cr, m, i);
    }
    return;
  }
  if (m.kind == Figure::Mark::Kind::circles) {
    draw_circles(cr, m);
    return;
  }
  if (m.kind == Figure::Mark::Kind::line) {
    set_color(cr, color_of(0), m.opacity);
    cairo_set_line_width(cr, m.line_width);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    for (size_t i = 0; i < n; ++i)
      if (finite(i)) cairo_line_to(cr, px(m.x[i]), py(m.y[i]));
    cairo_stroke(cr);
  }
  const bool dots = m.kind == Figure::Mark::Kind::points || m.markers;
  for (size_t i = 0; i < n; ++i) {
    if (!finite(i)) continue;
    set_color(cr, color_of(i));
    draw_error_bars(cr, m, i);
    const bool start = m.mark_start && i == 0;
    if (!dots && !start) continue;
    cairo_new_sub_path(cr);
    cairo_arc(cr, px(m.x[i]), py(m.y[i]), start ? 3.5 : (m.kind == Figure::Mark::Kind::points ? 3 : 2.5), 0, 2 * kPi);
    cairo_fill(cr);
  }
}

void FigureRenderer::draw_circles(cairo_t* cr, const Figure::Mark& m) const {
  set_font(cr, kTickFont - 1);
  for (size_t i = 0; i < m.x.size(); ++i) {
    cairo_new_sub_path(cr);
    cairo_arc(cr, px(m.x[i]), py(m.y[i]), 5, 0, 2 * kPi);
    cairo_set_source_rgb(cr, m.filled ? 0 : 1, m.filled ? 0 : 1, m.filled ? 0 : 1);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 1.5);
    cairo_stroke(cr);
    if (i < m.labels.size()) draw_text(cr, m.labels[i], px(m.x[i]) + 7, py(m.y[i]) - 4, 0, 1);
  }
}

}  // namespace biornn
