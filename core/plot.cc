#include "core/plot.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace biornn {

namespace {

constexpr double kW = 640, kH = 420, kL = 70, kR = 160, kT = 40, kB = 50;
const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"};

std::string esc(const std::string& s) {
  std::string r;
  for (char c : s) {
    if (c == '<') r += "&lt;";
    else if (c == '>') r += "&gt;";
    else if (c == '&') r += "&amp;";
    else r += c;
  }
  return r;
}

struct Frame {
  double x0, x1, y0, y1;
  double px(double x) const { return kL + (x - x0) / (x1 - x0) * (kW - kL - kR); }
  double py(double y) const { return kH - kB - (y - y0) / (y1 - y0) * (kH - kT - kB); }
};

void pad(double& lo, double& hi) {
  if (!(hi > lo)) {
    lo -= 0.5;
    hi += 0.5;
  }
  const double m = 0.05 * (hi - lo);
  lo -= m;
  hi += m;
}

std::string fmt(double v) {
  std::ostringstream s;
  s.precision(3);
  s << v;
  return s.str();
}

void axes(std::ostringstream& o, const Frame& f, const std::string& title, const std::string& xl,
          const std::string& yl) {
  o << "<svg xmlns='http://www.w3.org/2000/svg' width='" << kW << "' height='" << kH
    << "' font-family='sans-serif' font-size='12'>\n<rect width='100%' height='100%' fill='white'/>\n";
  o << "<text x='" << kW / 2 << "' y='22' text-anchor='middle' font-size='15'>" << esc(title) << "</text>\n";
  o << "<rect x='" << kL << "' y='" << kT << "' width='" << kW - kL - kR << "' height='" << kH - kT - kB
    << "' fill='none' stroke='black'/>\n";
  for (int i = 0; i <= 4; ++i) {
    const double xv = f.x0 + (f.x1 - f.x0) * i / 4, yv = f.y0 + (f.y1 - f.y0) * i / 4;
    o << "<text x='" << f.px(xv) << "' y='" << kH - kB + 16 << "' text-anchor='middle'>" << fmt(xv) << "</text>\n";
    o << "<text x='" << kL - 6 << "' y='" << f.py(yv) + 4 << "' text-anchor='end'>" << fmt(yv) << "</text>\n";
    o << "<line x1='" << kL << "' x2='" << kW - kR << "' y1='" << f.py(yv) << "' y2='" << f.py(yv)
      << "' stroke='#ddd'/>\n";
  }
  o << "<text x='" << (kL + kW - kR) / 2 << "' y='" << kH - 12 << "' text-anchor='middle'>" << esc(xl) << "</text>\n";
  o << "<text transform='translate(16," << (kT + kH - kB) / 2 << ") rotate(-90)' text-anchor='middle'>" << esc(yl)
    << "</text>\n";
}

}  // namespace

std::string line_plot_svg(const std::string& title, const std::string& xl, const std::string& yl,
                          const std::vector<Series>& series) {
  double x0 = 1e300, x1 = -1e300, y0 = 1e300, y1 = -1e300;
  for (const auto& s : series)
    for (size_t i = 0; i < s.x.size(); ++i) {
      x0 = std::min(x0, s.x[i]);
      x1 = std::max(x1, s.x[i]);
      y0 = std::min(y0, s.y[i]);
      y1 = std::max(y1, s.y[i]);
    }
  if (x0 > x1) x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  pad(x0, x1);
  pad(y0, y1);
  Frame f{x0, x1, y0, y1};
  std::ostringstream o;
  axes(o, f, title, xl, yl);
  for (size_t k = 0; k < series.size(); ++k) {
    const auto& s = series[k];
    const char* c = kColors[k % 8];
    o << "<polyline fill='none' stroke='" << c << "' stroke-width='2' points='";
    for (size_t i = 0; i < s.x.size(); ++i) o << f.px(s.x[i]) << "," << f.py(s.y[i]) << " ";
    o << "'/>\n";
    for (size_t i = 0; i < s.x.size(); ++i)
      o << "<circle cx='" << f.px(s.x[i]) << "' cy='" << f.py(s.y[i]) << "' r='3' fill='" << c << "'/>\n";
    o << "<text x='" << kW - kR + 10 << "' y='" << kT + 16 + 18 * k << "' fill='" << c << "'>" << esc(s.name)
      << "</text>\n";
  }
  o << "</svg>\n";
  return o.str();
}

std::string scatter_svg(const std::string& title, const std::vector<double>& x, const std::vector<double>& y,
                        bool unit_circle, const std::string& xl, const std::string& yl) {
  double r = unit_circle ? 1.0 : 0.0;
  for (size_t i = 0; i < x.size(); ++i) r = std::max({r, std::abs(x[i]), std::abs(y[i])});
  r *= 1.08;
  if (r == 0) r = 1;
  const double aspect = (kW - kL - kR) / (kH - kT - kB);  // equal scales: circles stay round
  Frame f{-r * aspect, r * aspect, -r, r};
  std::ostringstream o;
  axes(o, f, title, xl, yl);
  if (unit_circle) {
    o << "<polyline fill='none' stroke='#888' stroke-dasharray='4 3' points='";
    for (int i = 0; i <= 128; ++i) o << f.px(std::cos(2 * M_PI * i / 128)) << "," << f.py(std::sin(2 * M_PI * i / 128)) << " ";
    o << "'/>\n";
  }
  for (size_t i = 0; i < x.size(); ++i)
    o << "<circle cx='" << f.px(x[i]) << "' cy='" << f.py(y[i]) << "' r='2.5' fill='" << kColors[0]
      << "' fill-opacity='0.7'/>\n";
  o << "</svg>\n";
  return o.str();
}

std::string histogram_svg(const std::string& title, const std::vector<double>& v, int bins, const std::string& xl) {
  double lo = v.empty() ? 0 : *std::min_element(v.begin(), v.end());
  double hi = v.empty() ? 1 : *std::max_element(v.begin(), v.end());
  if (!(hi > lo)) hi = lo + 1;
  std::vector<int> count(bins, 0);
  for (double x : v) count[std::min(bins - 1, int((x - lo) / (hi - lo) * bins))]++;
  const int top = std::max(1, *std::max_element(count.begin(), count.end()));
  Frame f{lo, hi, 0, top * 1.05};
  std::ostringstream o;
  axes(o, f, title, xl, "count");
  for (int b = 0; b < bins; ++b) {
    const double a = lo + (hi - lo) * b / bins, z = lo + (hi - lo) * (b + 1) / bins;
    o << "<rect x='" << f.px(a) << "' y='" << f.py(count[b]) << "' width='" << std::max(1.0, f.px(z) - f.px(a) - 1)
      << "' height='" << f.py(0) - f.py(count[b]) << "' fill='" << kColors[0] << "'/>\n";
  }
  o << "</svg>\n";
  return o.str();
}

std::string bar_chart_svg(const std::string& title, const std::vector<std::string>& labels,
                          const std::vector<double>& values, const std::vector<double>& errors,
                          const std::string& value_label) {
  double lo = 1e300, hi = -1e300;
  for (size_t i = 0; i < values.size(); ++i) {
    const double e = i < errors.size() ? errors[i] : 0;
    lo = std::min(lo, values[i] - e);
    hi = std::max(hi, values[i] + e);
  }
  if (values.empty()) lo = 0, hi = 1;
  pad(lo, hi);
  const double n = std::max<size_t>(1, values.size());
  Frame f{0, n, lo, hi};
  std::ostringstream o;
  axes(o, f, title, "", value_label);
  for (size_t i = 0; i < values.size(); ++i) {
    const double xa = f.px(i + 0.15), xb = f.px(i + 0.85), xm = f.px(i + 0.5);
    o << "<rect x='" << xa << "' y='" << f.py(values[i]) << "' width='" << xb - xa << "' height='"
      << f.py(lo) - f.py(values[i]) << "' fill='" << kColors[i % 8] << "'/>\n";
    if (i < errors.size() && errors[i] > 0)
      o << "<line x1='" << xm << "' x2='" << xm << "' y1='" << f.py(values[i] - errors[i]) << "' y2='"
        << f.py(values[i] + errors[i]) << "' stroke='black' stroke-width='2'/>\n";
    o << "<text x='" << xm << "' y='" << kH - kB + 30 << "' text-anchor='middle' font-size='10'>" << esc(labels[i])
      << "</text>\n";
  }
  o << "</svg>\n";
  return o.str();
}

std::string trajectories_svg(const std::string& title, const std::string& xl, const std::string& yl,
                             const std::vector<Trajectory>& trajectories, const std::vector<std::string>& group_names,
                             const std::vector<Marker>& markers) {
  double x0 = 1e300, x1 = -1e300, y0 = 1e300, y1 = -1e300;
  auto extend = [&](double x, double y) {
    x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
  };
  for (const auto& t : trajectories)
    for (size_t i = 0; i < t.x.size(); ++i) extend(t.x[i], t.y[i]);
  for (const auto& m : markers) extend(m.x, m.y);
  if (x0 > x1) x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  pad(x0, x1);
  pad(y0, y1);
  Frame f{x0, x1, y0, y1};
  std::ostringstream o;
  axes(o, f, title, xl, yl);
  for (const auto& t : trajectories) {
    o << "<polyline fill='none' stroke='" << kColors[t.group % 8] << "' stroke-width='1' stroke-opacity='0.5' points='";
    for (size_t i = 0; i < t.x.size(); ++i) o << f.px(t.x[i]) << "," << f.py(t.y[i]) << " ";
    o << "'/>\n";
  }
  for (const auto& m : markers) {
    o << "<circle cx='" << f.px(m.x) << "' cy='" << f.py(m.y) << "' r='5' stroke='black' stroke-width='1.5' fill='"
      << (m.filled ? "black" : "white") << "'/>\n";
    if (!m.label.empty())
      o << "<text x='" << f.px(m.x) + 7 << "' y='" << f.py(m.y) - 5 << "' font-size='10'>" << esc(m.label)
        << "</text>\n";
  }
  for (size_t k = 0; k < group_names.size(); ++k)
    o << "<text x='" << kW - kR + 10 << "' y='" << kT + 16 + 18 * k << "' fill='" << kColors[k % 8] << "'>"
      << esc(group_names[k]) << "</text>\n";
  o << "</svg>\n";
  return o.str();
}

}  // namespace biornn
