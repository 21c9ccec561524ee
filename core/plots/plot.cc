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
#include "core/plots/figure_renderer.h"

namespace biornn {

using plot_internal::append_to_string;
using plot_internal::CairoPtr;
using plot_internal::SurfacePtr;

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
