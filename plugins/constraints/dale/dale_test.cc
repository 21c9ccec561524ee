// Tests of the dale constraint: column signs in every mode after simulated optimizer steps,
// the excitatory fraction, the spectral radius and row balance of the initialisation, the
// refusal of non-square parameters, and backward() against finite differences.
// GCC 12 flags Eigen's AVX-512 double-precision transposes (used by EigenSolver) with a
// false -Wuninitialized; this must precede every include to cover those headers.
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <gtest/gtest.h>

#include <Eigen/Eigenvalues>
#include <Eigen/SVD>
#include <cmath>

#include "core/sdk/constraint.h"
#include "core/experiment/plugin_loader.h"
#include "core/sdk/registry.h"
#include "core/testing/testing.h"
#include "plugins/constraints/common/backward_check.h"

namespace biornn {
namespace {

struct Loaded {
  Registry registry;
  PluginLoader loader{registry};
  Loaded() { loader.load(testing::runfile("plugins/constraints/dale/dale_plugin.so")); }

  std::unique_ptr<Constraint> make(const std::string& mode, double radius = 1.0, double fraction = 0.8,
                                   bool balanced = true) {
    const OptionSchema& schema = registry.get("constraint", "dale").schema;
    Options o(schema);
    o.set(schema, "mode", std::string(mode), {}, "test");
    o.set(schema, "spectral_radius", radius, {}, "test");
    o.set(schema, "excitatory_fraction", fraction, {}, "test");
    o.set(schema, "balanced", balanced, {}, "test");
    return registry.create<Constraint>("dale", o);
  }
  std::unique_ptr<Constraint> make_relaxed(const std::string& mode, double obeying, const std::string& spectrum) {
    const OptionSchema& schema = registry.get("constraint", "dale").schema;
    Options o(schema);
    o.set(schema, "mode", std::string(mode), {}, "test");
    o.set(schema, "obeying_fraction", obeying, {}, "test");
    o.set(schema, "spectrum", std::string(spectrum), {}, "test");
    return registry.create<Constraint>("dale", o);
  }
};

Loaded& loaded() {
  static Loaded l;
  return l;
}

Parameter square(int h) {
  Parameter p;
  p.name = "W";
  p.resize(h, h);
  return p;
}

double spectral_radius(const Matrix& w) {
  Eigen::EigenSolver<Eigen::MatrixXd> es(w.cast<double>(), false);
  return es.eigenvalues().cwiseAbs().maxCoeff();
}

const char* const kModes[] = {"abs", "clip"};

TEST(Dale, SignsFollowColumnsInEveryModeAfterOptimizerSteps) {
  const int h = 40;
  for (const char* mode : kModes) {
    auto c = loaded().make(mode);
    Parameter p = square(h);
    Rng rng(3);
    c->initialize(p, rng);
    const std::vector<float> s = c->column_signs();
    ASSERT_EQ(int(s.size()), h);
    for (int step = 0; step <= 5; ++step) {
      if (step > 0) {
        for (Eigen::Index i = 0; i < p.raw.size(); ++i) p.raw.data()[i] += float(0.3 * rng.normal());
        c->project(p.raw);
      }
      c->apply(p.raw, p.value);
      int wrong = 0;
      for (int i = 0; i < h; ++i)
        for (int j = 0; j < h; ++j)
          if (p.value(i, j) * s[j] < 0) ++wrong;
      EXPECT_EQ(wrong, 0) << "mode " << mode << " step " << step;
    }
  }
}

TEST(Dale, ExcitatoryFractionIsTheFirstUnits) {
  for (double f : {0.0, 0.5, 0.8, 1.0}) {
    auto c = loaded().make("abs", 1.0, f);
    Parameter p = square(50);
    Rng rng(1);
    c->initialize(p, rng);
    const std::vector<float> s = c->column_signs();
    const int n_e = int(std::lround(f * 50));
    for (int j = 0; j < 50; ++j) EXPECT_EQ(s[j], j < n_e ? 1.0f : -1.0f) << "f " << f << " j " << j;
  }
}

TEST(Dale, SpectralRadiusAfterInitializeEqualsTheOption) {
  for (const char* mode : kModes)
    for (double radius : {0.5, 1.0, 1.5}) {
      auto c = loaded().make(mode, radius);
      Parameter p = square(64);
      Rng rng(5);
      c->initialize(p, rng);
      c->apply(p.raw, p.value);
      EXPECT_NEAR(spectral_radius(p.value), radius, 1e-3) << mode;
    }
}

TEST(Dale, BalancedRowsSumToZero) {
  auto c = loaded().make("abs");
  Parameter p = square(64);
  Rng rng(9);
  c->initialize(p, rng);
  c->apply(p.raw, p.value);
  const Eigen::VectorXd sums = p.value.cast<double>().rowwise().sum();
  const double magnitude = p.value.cast<double>().cwiseAbs().rowwise().sum().mean();
  EXPECT_LT(std::abs(sums.mean()), 1e-3 * magnitude);
  EXPECT_LT(sums.cwiseAbs().maxCoeff(), 1e-3 * magnitude);  // each row, not only on average

  // Without balancing the E columns dominate (80% of the senders, same magnitudes).
  auto u = loaded().make("abs", 1.0, 0.8, false);
  Parameter q = square(64);
  u->initialize(q, rng);
  u->apply(q.raw, q.value);
  EXPECT_GT(q.value.cast<double>().rowwise().sum().mean(),
            0.3 * q.value.cast<double>().cwiseAbs().rowwise().sum().mean());
}

TEST(Dale, RefusesANonSquareParameter) {
  auto c = loaded().make("abs");
  Parameter p;
  p.name = "P";
  p.resize(8, 3);
  Rng rng(1);
  try {
    c->initialize(p, rng);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'P'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("square"), std::string::npos) << e.what();
  }
}

TEST(Dale, BackwardMatchesFiniteDifferencesInEveryMode) {
  const int h = 6;
  struct Config {
    const char* mode;
    double obeying;
    const char* spectrum;
  };
  for (const Config& k : {Config{"abs", 1, "dale"}, Config{"clip", 1, "dale"}, Config{"abs", 0.5, "dale"},
                          Config{"clip", 0.5, "dale"}, Config{"clip", 1, "standard"}}) {
    const std::string mode = std::string(k.mode) + " obeying " + std::to_string(k.obeying) + " " + k.spectrum;
    auto c = loaded().make_relaxed(k.mode, k.obeying, k.spectrum);
    Parameter p = square(h);
    Rng rng(2);
    fill_uniform(p.raw, 0.5f, rng);  // the owner's initialisation (its spectrum for "standard")
    c->initialize(p, rng);
    Matrix weight(h, h);
    fill_uniform(weight, 1.0f, rng);
    EXPECT_EQ(backward_mismatch(*c, p.raw, weight), "") << mode;
  }
}

TEST(Dale, PartialDaleFreesTheOtherSenders) {
  const int h = 40;  // 32 E, 8 I senders
  for (const char* mode : kModes) {
    auto c = loaded().make_relaxed(mode, 0.5, "dale");
    Parameter p = square(h);
    Rng rng(3);
    c->initialize(p, rng);
    const std::vector<float> s = c->column_signs();
    for (int step = 0; step < 5; ++step) {
      for (Eigen::Index i = 0; i < p.raw.size(); ++i) p.raw.data()[i] += float(0.3 * rng.normal());
      c->project(p.raw);
    }
    c->apply(p.raw, p.value);
    int obeying_e = 0, obeying_i = 0;
    for (int j = 0; j < h; ++j) {
      bool obeys = true;
      for (int i = 0; i < h; ++i) obeys = obeys && p.value(i, j) * s[j] >= 0;
      (s[j] > 0 ? obeying_e : obeying_i) += obeys;
    }
    // Exactly half of each type obeys (a free column of 40 noisy entries keeps one sign with
    // probability ~2^-39).
    EXPECT_EQ(obeying_e, 16) << mode;
    EXPECT_EQ(obeying_i, 4) << mode;
  }
}

TEST(Dale, TransplantedSpectrumHasTheStandardSingularValues) {
  const int h = 32;
  auto c = loaded().make_relaxed("clip", 1.0, "standard");
  Parameter p = square(h);
  Rng rng(8);
  fill_uniform(p.raw, 1.0f / std::sqrt(float(h)), rng);  // the owner's ordinary initialisation
  const Eigen::VectorXd standard = Eigen::JacobiSVD<Eigen::MatrixXd>(p.raw.cast<double>()).singularValues();
  c->initialize(p, rng);
  const Eigen::VectorXd transplanted = Eigen::JacobiSVD<Eigen::MatrixXd>(p.raw.cast<double>()).singularValues();
  EXPECT_LT((transplanted - standard).cwiseAbs().maxCoeff(), 1e-5);
  // Its singular vectors are the Dale matrix's: not the owner's W, and Dale after a projection.
  const std::vector<float> s = c->column_signs();
  c->project(p.raw);
  c->apply(p.raw, p.value);
  for (int i = 0; i < h; ++i)
    for (int j = 0; j < h; ++j) EXPECT_GE(p.value(i, j) * s[j], 0.0f);
  try {
    loaded().make_relaxed("abs", 1.0, "standard");
    FAIL() << "no error";
  } catch (const Error& e) { EXPECT_NE(std::string(e.what()).find("mode = \"clip\""), std::string::npos) << e.what(); }
}

}  // namespace
}  // namespace biornn
