// Small SVG plots that open in any browser: learning curves, eigenvalues, histograms.
#pragma once

#include <string>
#include <vector>

namespace biornn {

struct Series {
  std::string name;
  std::vector<double> x, y;
};

// Lines with markers; one y axis. NaN/negative-sentinel points are skipped by the caller.
std::string line_plot_svg(const std::string& title, const std::string& x_label, const std::string& y_label,
                          const std::vector<Series>& series);
// Points in the plane (e.g. eigenvalues) with the unit circle drawn when `unit_circle`.
std::string scatter_svg(const std::string& title, const std::vector<double>& x, const std::vector<double>& y,
                        bool unit_circle, const std::string& x_label, const std::string& y_label);
std::string histogram_svg(const std::string& title, const std::vector<double>& values, int bins,
                          const std::string& x_label);
// Horizontal bars with error whiskers (sweep comparisons).
std::string bar_chart_svg(const std::string& title, const std::vector<std::string>& labels,
                          const std::vector<double>& values, const std::vector<double>& errors,
                          const std::string& value_label);

// Trajectories in a plane (e.g. activity on two principal components), each drawn in the colour
// of its group (group_names is the legend), with markers on top: filled for `filled`, open
// otherwise, each with an optional label (e.g. fixed points: stable filled, saddles open).
struct Trajectory {
  std::vector<double> x, y;
  int group = 0;
};
struct Marker {
  double x = 0, y = 0;
  bool filled = true;
  std::string label;
};
std::string trajectories_svg(const std::string& title, const std::string& x_label, const std::string& y_label,
                             const std::vector<Trajectory>& trajectories, const std::vector<std::string>& group_names,
                             const std::vector<Marker>& markers);

}  // namespace biornn
