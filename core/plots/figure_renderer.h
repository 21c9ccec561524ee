// Internal to core/plots: how a Figure (plot.h) is laid out and drawn with cairo. The work is
// in four units: figure_text.cc (fonts, measuring and placing text), figure_layout.cc (data
// ranges, ticks, margins), figure_draw.cc (grid, axes, marks) and figure_legend.cc (legend
// entries and the colour bar).
#pragma once

#include <cairo/cairo.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "core/plots/plot.h"

namespace biornn {
namespace plot_internal {

constexpr double kTickFont = 11, kLabelFont = 12, kTitleFont = 14;
constexpr double kTickLength = 4, kPad = 6, kMinPlotHeight = 200;
constexpr double kPi = 3.14159265358979323846;
constexpr size_t kMostDiscreteConditions = 10;

void set_font(cairo_t* cr, double size);
TextSize measure(cairo_t* cr, const std::string& s);
// Draws `s` so that the point (ax * width, ay * height) of its box lands on (x, y), the box turned by
// `degrees` counter-clockwise about that point.
void draw_text(cairo_t* cr, const std::string& s, double x, double y, double ax, double ay, double degrees = 0);
void set_color(cairo_t* cr, const Color& c, double alpha = 1);

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

// A cairo write function appending to the std::string at `closure`.
cairo_status_t append_to_string(void* closure, const unsigned char* data, unsigned int length);

}  // namespace plot_internal

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
  plot_internal::ConditionScale scale_;
  std::vector<plot_internal::LegendEntry> legend_;
  double left_ = 0, right_ = 0, top_ = 0, bottom_ = 0;  // the plot area in pixels
  double widest_y_label_ = 0;
};

}  // namespace biornn
