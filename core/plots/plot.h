// Plots drawn through cairo, one drawing code for SVG and PNG: learning curves, bars with error bars over
// categories, scatters (eigenvalues), histograms, and lines or points coloured by a condition value.
// Axes follow matplotlib's conventions: ticks at 1-2-2.5-5 steps, integer ticks for integer data.
#pragma once

#include <string>
#include <vector>

#include "core/plots/plot_axis.h"

namespace biornn {

struct Series {
  std::string name;
  std::vector<double> x, y;
};

// A path in the plane and the index of its group (its colour and legend entry).
struct Trajectory {
  std::vector<double> x, y;
  int group = 0;
};
// A point drawn as a black circle, filled or open, with an optional label beside it.
struct Marker {
  double x = 0, y = 0;
  bool filled = true;
  std::string label;
};

// One set of axes with a title, axis labels, and marks added in order (later marks on top). Every
// mark with a name gets a legend entry (right of the axes); marks coloured by a condition get a
// colour bar (continuous values) or a legend of their distinct values (at most 10 of them).
class Figure {
 public:
  Figure(std::string title, std::string x_label, std::string y_label);

  // Output size in pixels (SVG user units, PNG pixels). Default 640 x 420. A categorical axis with
  // more categories than fit is widened so that labels never overlap.
  Figure& size(int width, int height);

  // A line through the points of `s` (markers at each point when `markers`); colour from the cycle.
  Figure& line(const Series& s, bool markers = true);
  // Points; `errors` (same length as y, or empty) draws vertical error bars.
  Figure& points(const Series& s, const std::vector<double>& errors = {});
  // Bars from zero, one per category, with optional error bars; the x axis becomes categorical.
  Figure& bars(const std::vector<std::string>& categories, const std::vector<double>& values,
               const std::vector<double>& errors = {});
  // Points with error bars over categories (e.g. a metric per sweep group, when zero is not meaningful).
  Figure& category_points(const std::vector<std::string>& categories, const std::vector<double>& values,
                          const std::vector<double>& errors = {});
  // A histogram of `values` in `bins` equal bins, bars from zero.
  Figure& histogram(const std::vector<double>& values, int bins);
  // Points coloured by `condition[i]` (e.g. coherence): a legend for few distinct values, a colour bar
  // otherwise, titled `condition_label`.
  Figure& colored_points(const std::vector<double>& x, const std::vector<double>& y,
                         const std::vector<double>& condition, const std::string& condition_label);
  // Many polylines (trajectories, or one line per condition), path i coloured by `condition[i]`; a dot
  // marks where each path starts when `mark_start`.
  Figure& colored_lines(const std::vector<Series>& paths, const std::vector<double>& condition,
                        const std::string& condition_label, bool mark_start = false);
  // Thin translucent polylines, path i in the colour of group[i], with group_names as the legend
  // (trajectories of trials grouped by condition).
  Figure& grouped_lines(const std::vector<Trajectory>& paths, const std::vector<std::string>& group_names);
  // Black circles on top of everything: filled or open, each with an optional text label.
  Figure& markers(const std::vector<Marker>& markers);
  // A dashed unit circle (implies equal_aspect) and equal scales on both axes.
  Figure& unit_circle();
  Figure& equal_aspect();
  // Fixed limits instead of the data's (ticks still at nice steps inside them).
  Figure& x_limits(double lo, double hi);
  Figure& y_limits(double lo, double hi);

  std::string svg() const;
  std::string png() const;  // the PNG file's bytes
  // Writes <path_without_extension>.svg and .png; throws std::runtime_error naming the file on failure.
  void write(const std::string& path_without_extension) const;

  // One drawn element, kept until rendering.
  struct Mark {
    enum class Kind { line, points, rects, circles } kind = Kind::line;
    std::string name;                 // legend entry when not empty
    std::vector<double> x, y, x_end;  // rects span [x, x_end] x [0, y]
    std::vector<double> errors;       // vertical error bars (empty: none)
    std::vector<double> condition;    // colour by condition: one value per point (points) or one (line)
    std::vector<std::string> labels;  // text beside each point (markers)
    Color color;
    double opacity = 1, line_width = 1.6;
    bool markers = false, mark_start = false, filled = true;
  };

 private:
  std::string title_, x_label_, y_label_;
  int width_ = 640, height_ = 420;
  std::vector<Mark> marks_;
  std::vector<std::string> categories_;
  std::string condition_label_;
  bool unit_circle_ = false, equal_aspect_ = false;
  bool fixed_x_ = false, fixed_y_ = false;
  double x_lo_ = 0, x_hi_ = 1, y_lo_ = 0, y_hi_ = 1;
  size_t next_color_ = 0;

  friend class FigureRenderer;
};

// Writes <stem>.svg and <stem>.png into the run directory (atomically, like every file there).
void write_figure(const std::string& directory, const std::string& stem, const Figure& figure);

// The plots other code calls: SVG text of a single Figure.
// Lines with markers; one y axis. NaN/negative-sentinel points are skipped by the caller.
std::string line_plot_svg(const std::string& title, const std::string& x_label, const std::string& y_label,
                          const std::vector<Series>& series);
// Points in the plane (e.g. eigenvalues) with the unit circle drawn when `unit_circle`.
std::string scatter_svg(const std::string& title, const std::vector<double>& x, const std::vector<double>& y,
                        bool unit_circle, const std::string& x_label, const std::string& y_label);
std::string histogram_svg(const std::string& title, const std::vector<double>& values, int bins,
                          const std::string& x_label);
// Bars from zero over categories with error bars (sweep comparisons).
std::string bar_chart_svg(const std::string& title, const std::vector<std::string>& labels,
                          const std::vector<double>& values, const std::vector<double>& errors,
                          const std::string& value_label);

// Trajectories in a plane (e.g. activity on two principal components), each drawn in the colour
// of its group (group_names is the legend), with markers on top: filled for `filled`, open
// otherwise, each with an optional label (e.g. fixed points: stable filled, saddles open).
std::string trajectories_svg(const std::string& title, const std::string& x_label, const std::string& y_label,
                             const std::vector<Trajectory>& trajectories, const std::vector<std::string>& group_names,
                             const std::vector<Marker>& markers);

// The same figures as Figures, for callers that write SVG and PNG with Figure::write.
Figure line_plot(const std::string& title, const std::string& x_label, const std::string& y_label,
                 const std::vector<Series>& series);
Figure scatter_plot(const std::string& title, const std::vector<double>& x, const std::vector<double>& y,
                    bool unit_circle, const std::string& x_label, const std::string& y_label);
Figure histogram_plot(const std::string& title, const std::vector<double>& values, int bins,
                      const std::string& x_label);
Figure trajectories_plot(const std::string& title, const std::string& x_label, const std::string& y_label,
                         const std::vector<Trajectory>& trajectories, const std::vector<std::string>& group_names,
                         const std::vector<Marker>& markers);
Figure bar_chart(const std::string& title, const std::vector<std::string>& labels, const std::vector<double>& values,
                 const std::vector<double>& errors, const std::string& value_label);

}  // namespace biornn
