// Plots: nice ticks, category label layout, and the SVG and PNG that cairo writes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

#include "core/plots/plot.h"
#include "core/plots/plot_axis.h"
#include "core/testing/testing.h"

namespace biornn {
namespace {

void expect_ticks(const Ticks& t, const std::vector<double>& expected) {
  ASSERT_EQ(t.values.size(), expected.size()) << "first tick " << (t.values.empty() ? NAN : t.values[0]);
  for (size_t i = 0; i < expected.size(); ++i)
    EXPECT_NEAR(t.values[i], expected[i], 1e-12 * std::abs(expected[i]) + 1e-300);
  EXPECT_LE(t.lo, t.values.front());
  EXPECT_GE(t.hi, t.values.back());
}

TEST(NiceTicks, UnitIntervalAtTenths) {
  const Ticks t = nice_ticks(0.37, 0.93);
  expect_ticks(t, {0.4, 0.5, 0.6, 0.7, 0.8, 0.9});
  EXPECT_EQ(t.labels, (std::vector<std::string>{"0.4", "0.5", "0.6", "0.7", "0.8", "0.9"}));
}

TEST(NiceTicks, IntegerEpochsNeverFractional) {
  expect_ticks(nice_ticks(1, 3, 8, true), {1, 2, 3});
  expect_ticks(nice_ticks(1, 10, 8, true), {2, 4, 6, 8, 10});
  expect_ticks(nice_ticks(1, 1, 8, true), {0, 1, 2});
  EXPECT_EQ(nice_ticks(1, 3, 8, true).labels, (std::vector<std::string>{"1", "2", "3"}));
  // Without the integer flag a 1..3 range gets half steps: the flag is what keeps epochs whole.
  EXPECT_EQ(nice_ticks(1, 3, 8, false).step, 0.5);
}

TEST(NiceTicks, NegativeRange) { expect_ticks(nice_ticks(-3.2, -0.4), {-3, -2.5, -2, -1.5, -1, -0.5}); }

TEST(NiceTicks, TinyRange) {
  const Ticks t = nice_ticks(1e-9, 3e-9);
  expect_ticks(t, {1e-9, 1.5e-9, 2e-9, 2.5e-9, 3e-9});
  EXPECT_EQ(t.labels.front(), "1.0e-09");
}

TEST(NiceTicks, SingleValue) {
  const Ticks t = nice_ticks(5, 5);
  EXPECT_LT(t.lo, 5);
  EXPECT_GT(t.hi, 5);
  expect_ticks(t, {4.6, 4.8, 5.0, 5.2, 5.4});
  expect_ticks(nice_ticks(0, 0), {-1, -0.5, 0, 0.5, 1});
}

TEST(NiceTicks, StepsAreOneTwoFive) {
  for (double hi : {0.013, 0.7, 3.3, 47.0, 1234.0, 9.9e5}) {
    const Ticks t = nice_ticks(0, hi);
    const double mantissa = t.step / std::pow(10.0, std::floor(std::log10(t.step) + 1e-9));
    EXPECT_TRUE(std::abs(mantissa - 1) < 1e-9 || std::abs(mantissa - 2) < 1e-9 || std::abs(mantissa - 2.5) < 1e-9 ||
                std::abs(mantissa - 5) < 1e-9)
        << "hi " << hi << " step " << t.step;
    EXPECT_GE(t.values.size(), 3u) << "hi " << hi;
    EXPECT_LE(t.values.size(), 8u) << "hi " << hi;
  }
}

TEST(TickLabel, Decimals) {
  EXPECT_EQ(tick_label(0.1 * 3, 0.1), "0.3");
  EXPECT_EQ(tick_label(0.25, 0.25), "0.25");
  EXPECT_EQ(tick_label(4, 2), "4");
  EXPECT_EQ(tick_label(1e-17, 0.2), "0.0");
  EXPECT_EQ(tick_label(-1e-17, 0.5), "0.0");
  EXPECT_EQ(tick_label(0, 2e-7), "0");
  EXPECT_EQ(tick_label(2e6, 1e6), "2e+06");
}

// 7 pixels per character, 13 pixels per line: a monospace stand-in for the plot font.
TextSize monospace(const std::string& s) { return {7.0 * s.size(), 13}; }

std::vector<std::string> sweep_labels() {
  std::vector<std::string> labels;
  for (const char* mode : {"fixed_dale", "soft_dale", "no_dale", "varying_dale", "learned"})
    for (const char* lambda : {"0.01", "0.1"})
      labels.push_back(std::string("varying_dale/") + mode + "_lambda_" + lambda);
  return labels;
}

TEST(CategoryLayout, TenLongLabelsNeverOverlap) {
  const auto labels = sweep_labels();
  ASSERT_EQ(labels.size(), 10u);
  for (double slot : {18.0, 25.0, 40.0, 60.0, 100.0, 300.0}) {
    const CategoryLayout layout = layout_categories(labels, slot, monospace);
    for (size_t i = 0; i < labels.size(); ++i)
      for (size_t j = i + 1; j < labels.size(); ++j)
        EXPECT_FALSE(boxes_overlap(category_label_box(layout, i, slot, monospace),
                                   category_label_box(layout, j, slot, monospace)))
            << "slot " << slot << " angle " << layout.angle_degrees << ": labels " << i << " and " << j;
    for (size_t i = 0; i < labels.size(); ++i)
      for (const auto& corner : category_label_box(layout, i, slot, monospace)) {
        EXPECT_GE(corner[1], -1e-9) << "labels stay below the axis";
        EXPECT_LE(corner[1], layout.height + 1e-9) << "the layout's height holds every label";
      }
  }
}

TEST(CategoryLayout, ChoosesTheSimplestLayoutThatFits) {
  EXPECT_EQ(layout_categories({"a", "bb", "ccc"}, 60, monospace).angle_degrees, 0);
  const CategoryLayout wrapped = layout_categories({"varying_dale/soft", "b"}, 100, monospace);
  EXPECT_EQ(wrapped.angle_degrees, 0);
  EXPECT_EQ(wrapped.lines[0], (std::vector<std::string>{"varying_dale/", "soft"}));
  EXPECT_EQ(layout_categories(sweep_labels(), 60, monospace).angle_degrees, 45);
  EXPECT_EQ(layout_categories(sweep_labels(), 20, monospace).angle_degrees, 90);
}

TEST(CategoryLayout, OverlapTestDetectsOverlap) {
  const Quad a{{{0, 0}, {10, 0}, {10, 10}, {0, 10}}};
  const Quad b{{{5, 5}, {15, 5}, {15, 15}, {5, 15}}};
  const Quad c{{{11, 0}, {20, 0}, {20, 10}, {11, 10}}};
  const Quad diamond{{{15, 0}, {20, 5}, {15, 10}, {10, 5}}};  // its bounding box overlaps a, itself not
  EXPECT_TRUE(boxes_overlap(a, b));
  EXPECT_FALSE(boxes_overlap(a, c));
  EXPECT_TRUE(boxes_overlap(c, diamond));
  EXPECT_FALSE(boxes_overlap(Quad{{{0, 0}, {4, 0}, {4, 4}, {0, 4}}}, diamond));
}

// Parses `svg` with Python's XML parser; returns its complaint, or "" when the SVG is well-formed.
std::string xml_error(const std::string& svg) {
  const std::string path = testing::temp_dir("plot_test") + "/figure.svg";
  testing::write_file(path, svg);
  const auto outcome = testing::run({"/usr/bin/python3", "-c",
                                     "import sys, xml.dom.minidom\n"
                                     "d = xml.dom.minidom.parse(sys.argv[1])\n"
                                     "assert d.documentElement.tagName == 'svg', d.documentElement.tagName\n",
                                     path});
  return outcome.exit_code == 0 ? "" : outcome.err;
}

uint32_t big_endian(const std::string& bytes, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
  return v;
}

void expect_png(const std::string& png, uint32_t width, uint32_t height) {
  ASSERT_GT(png.size(), 33u);
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(png.substr(12, 4), "IHDR");
  EXPECT_EQ(big_endian(png, 16), width);
  EXPECT_EQ(big_endian(png, 20), height);
}

Figure learning_curve() {
  Figure f("Accuracy", "epoch", "accuracy");
  f.line({"train", {1, 2, 3, 4, 5}, {0.37, 0.61, 0.74, 0.85, 0.93}})
      .line({"test", {1, 2, 3, 4, 5}, {0.35, 0.58, 0.7, 0.8, 0.88}});
  return f;
}

TEST(Figure, SvgIsWellFormedXml) {
  EXPECT_EQ(xml_error(learning_curve().svg()), "");
  EXPECT_NE(xml_error("<svg><g></svg>"), "") << "the XML check must be able to fail";
}

TEST(Figure, PngHasSignatureAndRequestedSize) {
  expect_png(learning_curve().png(), 640, 420);
  expect_png(learning_curve().size(800, 500).png(), 800, 500);
}

TEST(Figure, EveryKindOfMarkRenders) {
  Figure f("All marks", "x", "y");
  f.points({"points", {0, 1, 2}, {1, 2, 3}}, {0.1, 0.2, 0.3});
  f.colored_points({0, 1, 2}, {3, 2, 1}, {0.1, 0.5, 0.9}, "coherence");
  f.colored_lines({{"", {0, 1, 2}, {0, 1, 0}}, {"", {0, 1, 2}, {1, 0, 1}}}, {0.2, 0.4}, "coherence", true);
  EXPECT_EQ(xml_error(f.svg()), "");
  Figure many("Trajectories", "PC 1", "PC 2");
  std::vector<Series> paths;
  std::vector<double> condition;
  for (int k = 0; k < 30; ++k) {
    Series s;
    for (int t = 0; t < 20; ++t) s.x.push_back(std::cos(0.3 * t + k)), s.y.push_back(0.05 * k * std::sin(0.3 * t));
    paths.push_back(s);
    condition.push_back(k * 0.37);  // 30 distinct values: a colour bar
  }
  many.colored_lines(paths, condition, "coherence").equal_aspect();
  EXPECT_EQ(xml_error(many.svg()), "");
  expect_png(many.png(), 640, 420);
}

TEST(Figure, ManyCategoriesWidenTheFigure) {
  std::vector<std::string> labels;
  std::vector<double> values;
  for (int i = 0; i < 80; ++i) labels.push_back("group_" + std::to_string(i)), values.push_back(i);
  const std::string png = bar_chart("Many", labels, values, {}, "value").png();
  ASSERT_GT(png.size(), 24u);
  EXPECT_GT(big_endian(png, 16), 640u);
}

TEST(Figure, MismatchedCategoriesAreRefused) {
  Figure f("t", "", "");
  EXPECT_THROW(f.bars({"a", "b"}, {1}), std::invalid_argument);
  f.bars({"a", "b"}, {1, 2});
  EXPECT_THROW(f.category_points({"a", "c"}, {1, 2}), std::invalid_argument);
}

TEST(LegacyPlots, ReturnWellFormedSvg) {
  EXPECT_EQ(xml_error(line_plot_svg("Loss <&>", "epoch", "loss", {{"train", {1, 2}, {0.5, 0.4}}, {"test", {}, {}}})),
            "");
  EXPECT_EQ(xml_error(scatter_svg("eig", {0.5, -0.2}, {0.1, 0.3}, true, "real", "imaginary")), "");
  EXPECT_EQ(xml_error(histogram_svg("sv", {1, 2, 2, 3, 3, 3}, 30, "singular value")), "");
  EXPECT_EQ(xml_error(bar_chart_svg("Sweep", sweep_labels(), std::vector<double>(10, 90), std::vector<double>(10, 1),
                                    "accuracy (%)")),
            "");
  EXPECT_EQ(xml_error(line_plot_svg("empty", "", "", {})), "");
}

TEST(Figure, WritesSvgAndPng) {
  const std::string stem = testing::temp_dir("plot_write") + "/curve";
  learning_curve().write(stem);
  EXPECT_EQ(xml_error(testing::read_file(stem + ".svg")), "");
  expect_png(testing::read_file(stem + ".png"), 640, 420);
  EXPECT_THROW(learning_curve().write("/nonexistent-dir/curve"), std::runtime_error);
}

// The figures a person should look at after changing the plots: written, as SVG and PNG, to Bazel's
// undeclared test outputs (bazel-testlogs/tests/plot_test/test.outputs/outputs.zip).
TEST(Figure, Gallery) {
  const char* outputs = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  const std::string dir = outputs ? outputs : testing::temp_dir("plot_gallery");
  std::vector<std::pair<std::string, Figure>> gallery;
  gallery.emplace_back("learning_curve", learning_curve());
  std::vector<double> means, errors;
  for (size_t i = 0; i < 10; ++i) means.push_back(89.5 + 0.7 * i), errors.push_back(0.3 + 0.1 * (i % 3));
  gallery.emplace_back("sweep_bars", bar_chart("Sweep dale_modes", sweep_labels(), means, errors, "test accuracy (%)"));
  Figure dots("Sweep dale_modes", "", "test accuracy (%)");
  dots.category_points(sweep_labels(), means, errors);
  gallery.emplace_back("sweep_points", dots);
  std::vector<double> re, im;
  for (int k = 0; k < 200; ++k)
    re.push_back(0.9 * std::cos(k * 2.4) * std::sqrt(k / 200.0)),
        im.push_back(0.9 * std::sin(k * 2.4) * std::sqrt(k / 200.0));
  gallery.emplace_back("eigenvalues",
                       scatter_plot("Layer rnn: eigenvalues of effective W", re, im, true, "real", "imaginary"));
  std::vector<double> singular;
  for (int k = 0; k < 128; ++k) singular.push_back(1.5 * std::exp(-k / 40.0));
  gallery.emplace_back("singular_values", histogram_plot("Layer rnn: singular values", singular, 30, "singular value"));
  std::vector<Series> paths;
  std::vector<double> coherence;
  for (int k = 0; k < 24; ++k) {
    Series s;
    const double c = -0.5 + k / 23.0;
    for (int t = 0; t < 40; ++t)
      s.x.push_back(c * (1 - std::exp(-t / 10.0))), s.y.push_back(0.3 * std::sin(t / 12.0) + 0.02 * k);
    paths.push_back(s);
    coherence.push_back(c);
  }
  Figure trajectories("Hidden state, first two PCs", "PC 1", "PC 2");
  trajectories.colored_lines(paths, coherence, "coherence", true);
  gallery.emplace_back("trajectories", trajectories);
  Figure psychometric("Psychometric curve", "coherence", "P(choose right)");
  std::vector<double> coh{-0.5, -0.25, -0.1, 0, 0.1, 0.25, 0.5}, p;
  for (double c : coh) p.push_back(1 / (1 + std::exp(-12 * c)));
  psychometric.colored_points(coh, p, {0.1, 0.1, 0.1, 0.1, 0.3, 0.3, 0.3}, "noise");
  gallery.emplace_back("psychometric", psychometric);
  std::vector<Trajectory> grouped;
  for (int k = 0; k < 16; ++k) {
    Trajectory t;
    t.group = k % 2;
    for (int step = 0; step < 30; ++step)
      t.x.push_back((k % 2 ? 1 : -1) * (1 - std::exp(-step / 8.0)) + 0.03 * k),
          t.y.push_back(0.5 * std::sin(step / 9.0) + 0.02 * k);
    grouped.push_back(t);
  }
  gallery.emplace_back(
      "fixed_points",
      trajectories_plot("fixed points: 2 stable (filled), 1 unstable (open)", "PC 1", "PC 2", grouped,
                        {"choice 1", "choice 2"}, {{-1, 0.3, true, ""}, {1.1, 0.4, true, ""}, {0, 0.2, false, "1"}}));
  for (const auto& [name, figure] : gallery) {
    figure.write(dir + "/" + name);
    EXPECT_EQ(xml_error(testing::read_file(dir + "/" + name + ".svg")), "") << name;
    EXPECT_EQ(testing::read_file(dir + "/" + name + ".png").substr(1, 3), "PNG") << name;
  }
}

}  // namespace
}  // namespace biornn
