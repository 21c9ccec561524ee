// A figure's layout: the data ranges, the ticks of both axes, equal aspect, and the margins
// that make room for the title, labels, tick labels and legend.
#include "core/plots/figure_renderer.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace biornn {

using namespace plot_internal;

FigureRenderer::FigureRenderer(const Figure& f)
    : f_(f), width_(f.width_), height_(f.height_), categorical_(!f.categories_.empty()) {
  collect_ranges();
  collect_legend();
  SurfacePtr surface(cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1), cairo_surface_destroy);
  CairoPtr cr(cairo_create(surface.get()), cairo_destroy);
  lay_out(cr.get());
}

void FigureRenderer::collect_ranges() {
  auto take_x = [&](double x) {
    if (!std::isfinite(x)) return;
    data_x_lo_ = std::min(data_x_lo_, x), data_x_hi_ = std::max(data_x_hi_, x);
    x_integer_ = x_integer_ && x == std::round(x);
  };
  auto take_y = [&](double y) {
    if (!std::isfinite(y)) return;
    data_y_lo_ = std::min(data_y_lo_, y), data_y_hi_ = std::max(data_y_hi_, y);
    y_integer_ = y_integer_ && y == std::round(y);
  };
  std::set<double> conditions;
  for (const auto& m : f_.marks_) {
    bars_ = bars_ || m.kind == Figure::Mark::Kind::rects;
    if (m.kind == Figure::Mark::Kind::rects) take_y(0), x_integer_ = false;
    for (size_t i = 0; i < m.x.size(); ++i) {
      take_x(m.x[i]);
      if (i < m.x_end.size()) take_x(m.x_end[i]);
      const double e = i < m.errors.size() && std::isfinite(m.errors[i]) ? m.errors[i] : 0;
      take_y(m.y[i] - e);
      take_y(m.y[i] + e);
    }
    for (double c : m.condition)
      if (std::isfinite(c)) conditions.insert(c);
  }
  if (f_.unit_circle_) take_x(-1), take_x(1), take_y(-1), take_y(1);
  if (data_x_lo_ > data_x_hi_) data_x_lo_ = 0, data_x_hi_ = 1;
  if (data_y_lo_ > data_y_hi_) data_y_lo_ = 0, data_y_hi_ = 1;
  if (f_.fixed_x_) data_x_lo_ = f_.x_lo_, data_x_hi_ = f_.x_hi_;
  if (f_.fixed_y_) data_y_lo_ = f_.y_lo_, data_y_hi_ = f_.y_hi_;
  if (!conditions.empty()) {
    scale_.active = true;
    scale_.distinct.assign(conditions.begin(), conditions.end());
    scale_.discrete = conditions.size() <= kMostDiscreteConditions;
    scale_.lo = *conditions.begin(), scale_.hi = *conditions.rbegin();
  }
}

void FigureRenderer::choose_y_ticks() {
  const int most = std::clamp(static_cast<int>((bottom_ - top_) / 32), 3, 9);
  yt_ = nice_ticks(data_y_lo_, data_y_hi_, most, y_integer_, f_.fixed_y_ ? 0 : 0.05);
  if (!bars_) return;
  // Bars grow from zero: the axis stops at zero like matplotlib's "sticky" bar edges.
  if (data_y_lo_ >= 0) yt_.lo = 0;
  if (data_y_hi_ <= 0) yt_.hi = 0;
  for (size_t i = yt_.values.size(); i-- > 0;)
    if (yt_.values[i] < yt_.lo - 1e-12 || yt_.values[i] > yt_.hi + 1e-12) {
      yt_.values.erase(yt_.values.begin() + i);
      yt_.labels.erase(yt_.labels.begin() + i);
    }
}

void FigureRenderer::choose_x_ticks(cairo_t* cr) {
  set_font(cr, kTickFont);
  if (categorical_) {
    const size_t n = f_.categories_.size();
    xt_.lo = -0.5, xt_.hi = n - 0.5, xt_.step = 1;
    xt_.values.clear();
    for (size_t i = 0; i < n; ++i) xt_.values.push_back(static_cast<double>(i));
    const double slot = (right_ - left_) / n;
    categories_ = layout_categories(f_.categories_, slot, [cr](const std::string& s) { return measure(cr, s); });
    return;
  }
  for (int most = std::clamp(static_cast<int>((right_ - left_) / 50), 3, 10); most >= 2; --most) {
    xt_ = nice_ticks(data_x_lo_, data_x_hi_, most, x_integer_, f_.fixed_x_ ? 0 : 0.05);
    double widest = 0;
    for (const auto& l : xt_.labels) widest = std::max(widest, measure(cr, l).width);
    if (widest + 2 * kPad <= xt_.step / (xt_.hi - xt_.lo) * (right_ - left_)) return;
  }
}

void FigureRenderer::apply_equal_aspect() {
  // Widen the range of the axis with the coarser scale so that one unit is as long on both axes.
  const double w = right_ - left_, h = bottom_ - top_;
  double x_lo = xt_.lo, x_hi = xt_.hi, y_lo = yt_.lo, y_hi = yt_.hi;
  const double scale = std::max((x_hi - x_lo) / w, (y_hi - y_lo) / h);
  const double xc = (x_lo + x_hi) / 2, yc = (y_lo + y_hi) / 2;
  xt_ = nice_ticks(xc - scale * w / 2, xc + scale * w / 2, std::clamp(static_cast<int>(w / 50), 3, 10), false, 0);
  yt_ = nice_ticks(yc - scale * h / 2, yc + scale * h / 2, std::clamp(static_cast<int>(h / 32), 3, 9), false, 0);
}

void FigureRenderer::lay_out(cairo_t* cr) {
  if (scale_.active && !scale_.discrete) ct_ = nice_ticks(scale_.lo, scale_.hi, 6, false, 0);
  set_font(cr, kTitleFont);
  top_ = f_.title_.empty() ? 12 : measure(cr, f_.title_).height + 2 * kPad + 4;
  set_font(cr, kLabelFont);
  const double label_h = measure(cr, "Ag").height;
  set_font(cr, kTickFont);
  const double tick_h = measure(cr, "0").height;
  const double right_room = std::max(16.0, legend_width(cr));
  double x_labels_h = tick_h;
  for (int pass = 0; pass < 3; ++pass) {
    bottom_ = height_ - (kTickLength + 4 + x_labels_h + kPad + (f_.x_label_.empty() ? 0 : label_h + kPad) + 4);
    choose_y_ticks();
    set_font(cr, kTickFont);
    widest_y_label_ = 0;
    for (const auto& l : yt_.labels) widest_y_label_ = std::max(widest_y_label_, measure(cr, l).width);
    left_ = kPad + (f_.y_label_.empty() ? 0 : label_h + kPad) + widest_y_label_ + kTickLength + 3;
    right_ = width_ - right_room;
    if (categorical_) {
      // Every category needs at least a line of text's height, or labels overlap even at 90 degrees.
      const double least = f_.categories_.size() * (tick_h + 8);
      if (right_ - left_ < least)
        width_ = static_cast<int>(std::ceil(least + left_ + right_room)), right_ = width_ - right_room;
    }
    choose_x_ticks(cr);
    if (categorical_) {
      const double slot = (right_ - left_) / f_.categories_.size();
      left_ = std::max(left_, categories_.overhang_left - slot / 2 + kPad);
      choose_x_ticks(cr);
      x_labels_h = categories_.height;
    }
    const double needed = top_ + kMinPlotHeight + (height_ - bottom_);
    if (height_ < needed) height_ = static_cast<int>(std::ceil(needed));
  }
  if (f_.equal_aspect_) apply_equal_aspect();
}

}  // namespace biornn
