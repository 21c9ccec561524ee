#include "core/plots/plot.h"

#include <cairo/cairo-svg.h>
#include <cairo/cairo.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <set>
#include <stdexcept>

#include "core/platform/files.h"

namespace biornn {

namespace {

constexpr double kTickFont = 11, kLabelFont = 12, kTitleFont = 14;
constexpr double kTickLength = 4, kPad = 6, kMinPlotHeight = 200;
constexpr double kPi = 3.14159265358979323846;
constexpr size_t kMostDiscreteConditions = 10;

void set_font(cairo_t* cr, double size) {
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
}

TextSize measure(cairo_t* cr, const std::string& s) {
  cairo_text_extents_t e;
  cairo_text_extents(cr, s.c_str(), &e);
  cairo_font_extents_t f;
  cairo_font_extents(cr, &f);
  return {e.x_advance, f.ascent + f.descent};
}

// Draws `s` so that the point (ax * width, ay * height) of its box lands on (x, y), the box turned by
// `degrees` counter-clockwise about that point.
void draw_text(cairo_t* cr, const std::string& s, double x, double y, double ax, double ay, double degrees = 0) {
  if (s.empty()) return;
  cairo_font_extents_t f;
  cairo_font_extents(cr, &f);
  const TextSize size = measure(cr, s);
  cairo_save(cr);
  cairo_translate(cr, x, y);
  cairo_rotate(cr, -degrees * kPi / 180);
  cairo_move_to(cr, -ax * size.width, -ay * size.height + f.ascent);
  cairo_show_text(cr, s.c_str());
  cairo_restore(cr);
}

void set_color(cairo_t* cr, const Color& c, double alpha = 1) { cairo_set_source_rgba(cr, c.r, c.g, c.b, alpha); }

// How a condition value becomes a colour: the tab10 cycle over few distinct values, viridis otherwise.
struct ConditionScale {
  bool active = false, discrete = false;
  std::vector<double> distinct;
  double lo = 0, hi = 1;

  Color color(double v) const {
    if (discrete) return palette_color(std::lower_bound(distinct.begin(), distinct.end(), v) - distinct.begin());
    return viridis(hi > lo ? (v - lo) / (hi - lo) : 0.5);
  }
};

struct LegendEntry {
  std::string name;
  Color color;
  bool line = false, marker = false;
};

using CairoPtr = std::unique_ptr<cairo_t, decltype(&cairo_destroy)>;
using SurfacePtr = std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)>;

cairo_status_t append_to_string(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

}  // namespace

// Lays a Figure out (margins, ticks, colour scale) against text measured with cairo, then draws it.
class FigureRenderer {
 public:
  explicit FigureRenderer(const Figure& f);
  int width() const { return width_; }
  int height() const { return height_; }
  void draw(cairo_t* cr) const;

 private:
  void collect_ranges();
  void collect_legend();
  void lay_out(cairo_t* cr);
  void choose_x_ticks(cairo_t* cr);
  void choose_y_ticks();
  void apply_equal_aspect();
  double px(double x) const { return left_ + (x - xt_.lo) / (xt_.hi - xt_.lo) * (right_ - left_); }
  double py(double y) const { return bottom_ - (y - yt_.lo) / (yt_.hi - yt_.lo) * (bottom_ - top_); }
  void draw_grid(cairo_t* cr) const;
  void draw_axes(cairo_t* cr) const;
  void draw_marks(cairo_t* cr) const;
  void draw_mark(cairo_t* cr, const Figure::Mark& m) const;
  void draw_circles(cairo_t* cr, const Figure::Mark& m) const;
  void draw_error_bars(cairo_t* cr, const Figure::Mark& m, size_t i) const;
  void draw_legend(cairo_t* cr) const;
  void draw_colorbar(cairo_t* cr) const;
  double legend_width(cairo_t* cr) const;

  const Figure& f_;
  int width_, height_;
  bool categorical_, x_integer_ = true, y_integer_ = true, bars_ = false;
  double data_x_lo_ = 1e300, data_x_hi_ = -1e300, data_y_lo_ = 1e300, data_y_hi_ = -1e300;
  Ticks xt_, yt_, ct_;
  CategoryLayout categories_;
  ConditionScale scale_;
  std::vector<LegendEntry> legend_;
  double left_ = 0, right_ = 0, top_ = 0, bottom_ = 0;  // the plot area in pixels
  double widest_y_label_ = 0;
};

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
  const double x = right_ + kPad + 6, w = 12, top = top_, bottom = bottom_;
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

// ---- Figure -------------------------------------------------------------------------------------

Figure::Figure(std::string title, std::string x_label, std::string y_label)
    : title_(std::move(title)), x_label_(std::move(x_label)), y_label_(std::move(y_label)) {}

Figure& Figure::size(int width, int height) {
  width_ = std::max(100, width), height_ = std::max(100, height);
  return *this;
}

Figure& Figure::line(const Series& s, bool markers) {
  Mark m;
  m.kind = Mark::Kind::line, m.name = s.name, m.x = s.x, m.y = s.y, m.color = palette_color(next_color_++);
  m.markers = markers;
  marks_.push_back(std::move(m));
  return *this;
}

Figure& Figure::points(const Series& s, const std::vector<double>& errors) {
  Mark m;
  m.kind = Mark::Kind::points, m.name = s.name, m.x = s.x, m.y = s.y, m.errors = errors;
  m.color = palette_color(next_color_++);
  marks_.push_back(std::move(m));
  return *this;
}

namespace {

void check_categories(const std::vector<std::string>& existing, const std::vector<std::string>& categories,
                      size_t values, size_t errors) {
  if (values != categories.size() || (errors != 0 && errors != values))
    throw std::invalid_argument("plot: " + std::to_string(categories.size()) + " categories, " +
                                std::to_string(values) + " values and " + std::to_string(errors) +
                                " errors; they must match (errors may be empty)");
  if (!existing.empty() && existing != categories)
    throw std::invalid_argument("plot: every categorical mark of a figure must use the same categories");
}

}  // namespace

Figure& Figure::bars(const std::vector<std::string>& categories, const std::vector<double>& values,
                     const std::vector<double>& errors) {
  check_categories(categories_, categories, values.size(), errors.size());
  categories_ = categories;
  Mark m;
  m.kind = Mark::Kind::rects, m.y = values, m.errors = errors;
  for (size_t i = 0; i < values.size(); ++i) m.x.push_back(i - 0.4), m.x_end.push_back(i + 0.4);
  m.color = palette_color(next_color_++);
  marks_.push_back(std::move(m));
  return *this;
}

Figure& Figure::category_points(const std::vector<std::string>& categories, const std::vector<double>& values,
                                const std::vector<double>& errors) {
  check_categories(categories_, categories, values.size(), errors.size());
  categories_ = categories;
  Series s;
  for (size_t i = 0; i < values.size(); ++i) s.x.push_back(static_cast<double>(i));
  s.y = values;
  return points(s, errors);
}

Figure& Figure::histogram(const std::vector<double>& values, int bins) {
  bins = std::max(1, bins);
  double lo = 1e300, hi = -1e300;
  for (double v : values)
    if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  if (lo > hi) lo = 0, hi = 1;
  if (!(hi > lo)) lo -= 0.5, hi += 0.5;
  std::vector<double> count(bins, 0);
  for (double v : values)
    if (std::isfinite(v)) count[std::min(bins - 1, static_cast<int>((v - lo) / (hi - lo) * bins))] += 1;
  Mark m;
  m.kind = Mark::Kind::rects, m.y = count, m.color = palette_color(next_color_++);
  for (int b = 0; b < bins; ++b)
    m.x.push_back(lo + (hi - lo) * b / bins), m.x_end.push_back(lo + (hi - lo) * (b + 1) / bins);
  // A hair of white between bins, as matplotlib's edges would show.
  for (int b = 0; b < bins; ++b) m.x_end[b] -= (hi - lo) / bins * 0.04;
  marks_.push_back(std::move(m));
  return *this;
}

Figure& Figure::colored_points(const std::vector<double>& x, const std::vector<double>& y,
                               const std::vector<double>& condition, const std::string& condition_label) {
  if (condition.size() != x.size() || y.size() != x.size())
    throw std::invalid_argument("plot: colored_points needs as many x, y and condition values");
  Mark m;
  m.kind = Mark::Kind::points, m.x = x, m.y = y, m.condition = condition;
  condition_label_ = condition_label;
  marks_.push_back(std::move(m));
  return *this;
}

Figure& Figure::colored_lines(const std::vector<Series>& paths, const std::vector<double>& condition,
                              const std::string& condition_label, bool mark_start) {
  if (condition.size() != paths.size())
    throw std::invalid_argument("plot: colored_lines needs one condition value per path");
  condition_label_ = condition_label;
  for (size_t i = 0; i < paths.size(); ++i) {
    Mark m;
    m.kind = Mark::Kind::line, m.x = paths[i].x, m.y = paths[i].y, m.condition = {condition[i]};
    m.mark_start = mark_start;
    marks_.push_back(std::move(m));
  }
  return *this;
}

Figure& Figure::grouped_lines(const std::vector<Trajectory>& paths, const std::vector<std::string>& group_names) {
  for (const auto& t : paths) {
    Mark m;
    m.kind = Mark::Kind::line, m.x = t.x, m.y = t.y, m.color = palette_color(static_cast<size_t>(std::max(0, t.group)));
    m.opacity = 0.5, m.line_width = 1;
    marks_.push_back(std::move(m));
  }
  for (size_t k = 0; k < group_names.size(); ++k) {  // legend entries only: no points to draw
    Mark m;
    m.kind = Mark::Kind::line, m.name = group_names[k], m.color = palette_color(k);
    marks_.push_back(std::move(m));
  }
  return *this;
}

Figure& Figure::markers(const std::vector<Marker>& markers) {
  for (const auto& marker : markers) {
    Mark m;
    m.kind = Mark::Kind::circles, m.x = {marker.x}, m.y = {marker.y}, m.labels = {marker.label};
    m.filled = marker.filled;
    marks_.push_back(std::move(m));
  }
  return *this;
}

Figure& Figure::unit_circle() {
  unit_circle_ = true;
  return equal_aspect();
}

Figure& Figure::equal_aspect() {
  equal_aspect_ = true;
  return *this;
}

Figure& Figure::x_limits(double lo, double hi) {
  fixed_x_ = true, x_lo_ = lo, x_hi_ = hi;
  return *this;
}

Figure& Figure::y_limits(double lo, double hi) {
  fixed_y_ = true, y_lo_ = lo, y_hi_ = hi;
  return *this;
}

std::string Figure::svg() const {
  const FigureRenderer renderer(*this);
  std::string out;
  {
    SurfacePtr surface(cairo_svg_surface_create_for_stream(append_to_string, &out, renderer.width(), renderer.height()),
                       cairo_surface_destroy);
    cairo_svg_surface_set_document_unit(surface.get(), CAIRO_SVG_UNIT_PX);
    CairoPtr cr(cairo_create(surface.get()), cairo_destroy);
    renderer.draw(cr.get());
    cairo_surface_finish(surface.get());
    if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS)
      throw std::runtime_error(std::string("plot: cairo SVG: ") +
                               cairo_status_to_string(cairo_surface_status(surface.get())));
  }
  return out;
}

std::string Figure::png() const {
  const FigureRenderer renderer(*this);
  SurfacePtr surface(cairo_image_surface_create(CAIRO_FORMAT_RGB24, renderer.width(), renderer.height()),
                     cairo_surface_destroy);
  {
    CairoPtr cr(cairo_create(surface.get()), cairo_destroy);
    renderer.draw(cr.get());
  }
  std::string out;
  const cairo_status_t status = cairo_surface_write_to_png_stream(surface.get(), append_to_string, &out);
  if (status != CAIRO_STATUS_SUCCESS)
    throw std::runtime_error(std::string("plot: cairo PNG: ") + cairo_status_to_string(status));
  return out;
}

void Figure::write(const std::string& path_without_extension) const {
  for (const auto& [extension, bytes] : {std::pair<std::string, std::string>{".svg", svg()}, {".png", png()}}) {
    const std::string path = path_without_extension + extension;
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << bytes;
    if (!f) throw std::runtime_error("cannot write plot " + path + " (does its directory exist and is it writable?)");
  }
}

void write_figure(const std::string& directory, const std::string& stem, const Figure& figure) {
  write_file_atomically(directory + "/" + stem + ".svg", figure.svg());
  write_file_atomically(directory + "/" + stem + ".png", figure.png());
}

// ---- The plots other code calls -------------------------------------------------------------------

Figure line_plot(const std::string& title, const std::string& x_label, const std::string& y_label,
                 const std::vector<Series>& series) {
  Figure f(title, x_label, y_label);
  for (const auto& s : series)
    if (!s.x.empty()) f.line(s);
  return f;
}

Figure scatter_plot(const std::string& title, const std::vector<double>& x, const std::vector<double>& y,
                    bool unit_circle, const std::string& x_label, const std::string& y_label) {
  Figure f(title, x_label, y_label);
  f.points(Series{"", x, y}).equal_aspect();
  if (unit_circle) f.unit_circle();
  return f;
}

Figure histogram_plot(const std::string& title, const std::vector<double>& values, int bins,
                      const std::string& x_label) {
  Figure f(title, x_label, "count");
  f.histogram(values, bins);
  return f;
}

Figure bar_chart(const std::string& title, const std::vector<std::string>& labels, const std::vector<double>& values,
                 const std::vector<double>& errors, const std::string& value_label) {
  Figure f(title, "", value_label);
  f.bars(labels, values, errors);
  return f;
}

std::string line_plot_svg(const std::string& title, const std::string& x_label, const std::string& y_label,
                          const std::vector<Series>& series) {
  return line_plot(title, x_label, y_label, series).svg();
}

std::string scatter_svg(const std::string& title, const std::vector<double>& x, const std::vector<double>& y,
                        bool unit_circle, const std::string& x_label, const std::string& y_label) {
  return scatter_plot(title, x, y, unit_circle, x_label, y_label).svg();
}

std::string histogram_svg(const std::string& title, const std::vector<double>& values, int bins,
                          const std::string& x_label) {
  return histogram_plot(title, values, bins, x_label).svg();
}

std::string bar_chart_svg(const std::string& title, const std::vector<std::string>& labels,
                          const std::vector<double>& values, const std::vector<double>& errors,
                          const std::string& value_label) {
  return bar_chart(title, labels, values, errors, value_label).svg();
}

Figure trajectories_plot(const std::string& title, const std::string& x_label, const std::string& y_label,
                         const std::vector<Trajectory>& trajectories, const std::vector<std::string>& group_names,
                         const std::vector<Marker>& markers) {
  Figure f(title, x_label, y_label);
  f.grouped_lines(trajectories, group_names).markers(markers);
  return f;
}

std::string trajectories_svg(const std::string& title, const std::string& x_label, const std::string& y_label,
                             const std::vector<Trajectory>& trajectories, const std::vector<std::string>& group_names,
                             const std::vector<Marker>& markers) {
  return trajectories_plot(title, x_label, y_label, trajectories, group_names, markers).svg();
}

}  // namespace biornn
