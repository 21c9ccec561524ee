// Tests of mask: random density and no autapses, a mask from an .npy file (and the one-line
// error for a wrong shape), areas (only excitatory senders between areas, via dale first),
// and masked weights exactly 0 after Adam steps with dale + mask chained on W.
#include <gtest/gtest.h>

#include <cstring>

#include "core/engine/constraint_chain.h"
#include "core/sdk/optimizer.h"
#include "core/experiment/plugin_loader.h"
#include "core/engine/recurrent_layer.h"
#include "core/sdk/registry.h"
#include "core/testing/testing.h"
#include "plugins/constraints/common/all_plugins_testing.h"

namespace biornn {
namespace {

AllPlugins& loaded() {
  EXPECT_EQ(all_plugins().errors, std::vector<std::string>{});
  return all_plugins();
}

Parameter initialised(int rows, int cols, Rng& rng) {
  Parameter p;
  p.name = "W";
  p.resize(rows, cols);
  fill_uniform(p.raw, 1.0f, rng);
  return p;
}

// A float32 C-order .npy file of m.
std::string npy(const Matrix& m, const std::string& shape = "") {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" +
                       (shape.empty() ? std::to_string(m.rows()) + ", " + std::to_string(m.cols()) : shape) + "), }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out = std::string("\x93NUMPY", 6) + char(1) + char(0);
  out += char(header.size() & 0xff);
  out += char(header.size() >> 8);
  out += header;
  out.append(reinterpret_cast<const char*>(m.data()), sizeof(float) * m.size());
  return out;
}

TEST(Mask, RandomDensityWithoutAutapses) {
  Rng rng(1);
  Parameter p = initialised(100, 100, rng);
  auto c = loaded().make<Constraint>("mask", {{"density", 0.3}});
  c->initialize(p, rng);
  c->apply(p.raw, p.value);
  int kept = 0;
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(p.value(i, i), 0.0f);
    for (int j = 0; j < 100; ++j) kept += p.value(i, j) != 0;
  }
  EXPECT_NEAR(kept / 9900.0, 0.3, 0.03);
  // A seed of its own gives the same mask whatever the layer's random state.
  auto a = loaded().make<Constraint>("mask", {{"density", 0.3}, {"seed", int64_t(5)}});
  auto b = loaded().make<Constraint>("mask", {{"density", 0.3}, {"seed", int64_t(5)}});
  Rng r1(1), r2(2);
  Parameter pa = initialised(20, 20, r1), pb = pa;
  a->initialize(pa, r1);
  b->initialize(pb, r2);
  EXPECT_TRUE(pa.raw == pb.raw);
}

TEST(Mask, FromAnNpyFileAndAWrongShapeIsOneLine) {
  const std::string dir = testing::temp_dir("mask");
  Matrix m = Matrix::Zero(4, 3);
  m(0, 1) = 1;
  m(3, 2) = 0.5f;
  testing::write_file(dir + "/m.npy", npy(m));
  Rng rng(2);
  Parameter p = initialised(4, 3, rng);
  auto c = loaded().make<Constraint>("mask", {{"file", dir + "/m.npy"}, {"autapses", true}});
  c->initialize(p, rng);
  c->apply(p.raw, p.value);
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 3; ++j) EXPECT_EQ(p.value(i, j) != 0, m(i, j) != 0) << i << "," << j;

  Parameter q = initialised(5, 3, rng);
  try {
    c->initialize(q, rng);
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string w = e.what();
    EXPECT_NE(w.find(dir + "/m.npy"), std::string::npos) << w;
    EXPECT_NE(w.find("(4, 3)"), std::string::npos) << w;
    EXPECT_NE(w.find("(5, 3)"), std::string::npos) << w;
    EXPECT_EQ(w.find('\n'), std::string::npos) << w;
  }
}

// Issue 20: a malformed shape in a mask's .npy header is one error naming the file, never
// std::out_of_range from stoll, a wrapped-around size or an allocation of the product.
TEST(Mask, AMalformedShapeIsAnErrorNotACrash) {
  const std::string dir = testing::temp_dir("bad_mask");
  const Matrix m = Matrix::Ones(4, 3);
  for (const std::string shape :
       {"99999999999999999999, 3", "4294967296, 4294967296", "-1, 3", "2147483647, 2147483647", "4, 3, 2", "4, 3x"}) {
    testing::write_file(dir + "/m.npy", npy(m, shape));
    Rng rng(2);
    Parameter p = initialised(4, 3, rng);
    auto c = loaded().make<Constraint>("mask", {{"file", dir + "/m.npy"}, {"autapses", true}});
    try {
      c->initialize(p, rng);
      ADD_FAILURE() << shape << ": no error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("'" + dir + "/m.npy' has shape (" + shape + ")"), std::string::npos)
          << e.what();
    } catch (const std::exception& e) { ADD_FAILURE() << shape << ": escaped as " << e.what(); }
  }
}

// dale then mask on W of a rate layer: a chain, in the order given.
std::unique_ptr<RecurrentLayer> dale_and_mask_layer(int h, const std::vector<std::pair<std::string, OptionValue>>& mask,
                                                    Rng& rng) {
  std::vector<ConstrainedParameter> cons;
  cons.push_back({"W", loaded().make<Constraint>("dale", {{"mode", std::string("clip")}})});
  cons.push_back({"W", loaded().make<Constraint>("mask", mask)});
  return std::make_unique<RecurrentLayer>("rnn", h, 3, loaded().make<Cell>("rate", {}),
                                          loaded().make<Gate>("learned", {}), nullptr, std::move(cons), rng);
}

TEST(Mask, AreasProjectOnlyFromExcitatoryUnits) {
  Rng rng(3);
  auto layer = dale_and_mask_layer(40, {{"areas", std::string("20,20")}, {"feedforward_density", 0.5}}, rng);
  layer->prepare();
  const Parameter& w = *layer->parameters().find("W");
  const std::vector<float> s = w.constraint->column_signs();
  ASSERT_EQ(s.size(), 40u);
  int between = 0;
  for (int i = 0; i < 40; ++i)
    for (int j = 0; j < 40; ++j) {
      if ((i < 20) == (j < 20)) continue;
      if (w.value(i, j) != 0) {
        ++between;
        EXPECT_GT(s[j], 0) << "inhibitory sender " << j << " projects to another area";
      }
    }
  EXPECT_GT(between, 0);
}

TEST(Mask, MaskedWeightsStayExactlyZeroThroughAdamWithDale) {
  const int h = 12, T = 5, B = 4;
  Rng rng(4);
  auto layer = dale_and_mask_layer(h, {{"density", 0.5}}, rng);
  layer->prepare();
  const Matrix masked = (layer->parameters().find("W")->value.array() == 0).cast<float>();
  ASSERT_GT(masked.sum(), h);
  auto adam = loaded().make<Optimizer>("adam", {});
  Matrix x(T * B, 3), d_out(T * B, h);
  for (int step = 0; step < 5; ++step) {
    fill_uniform(x, 1.0f, rng);
    fill_uniform(d_out, 1.0f, rng);
    layer->prepare();
    layer->forward(x.data(), T, B);
    layer->backward(x.data(), d_out.data(), nullptr);
    adam->step(layer->parameters().all(), 0.05);
    layer->project();
  }
  layer->prepare();
  const Parameter& w = *layer->parameters().find("W");
  const std::vector<float> s = w.constraint->column_signs();
  int changed = 0;
  for (int i = 0; i < h; ++i)
    for (int j = 0; j < h; ++j) {
      if (masked(i, j) != 0) {
        EXPECT_EQ(w.raw(i, j), 0.0f) << i << "," << j;
        EXPECT_EQ(w.value(i, j), 0.0f) << i << "," << j;
      } else {
        EXPECT_GE(w.value(i, j) * s[j], 0.0f) << "Dale sign " << i << "," << j;
        changed += w.value(i, j) != 0;
      }
    }
  EXPECT_GT(changed, h);  // training moved the connected weights
}

TEST(ConstraintChain, BackwardIsTheChainRuleThroughEveryLink) {
  // soft_dale (penalty) then mask: dRaw = mask * (grad) + penalty gradient.
  std::vector<std::unique_ptr<Constraint>> links;
  links.push_back(loaded().make<Constraint>("soft_dale", {{"lambda", 3.0}}));
  links.push_back(loaded().make<Constraint>("mask", {{"density", 0.6}, {"seed", int64_t(2)}}));
  ConstraintChain chain(std::move(links));
  Rng rng(6);
  Parameter p = initialised(6, 6, rng);
  p.constraint = &chain;
  chain.initialize(p, rng);
  for (Eigen::Index i = 0; i < p.raw.size(); ++i)
    if (p.raw.data()[i] == 0) p.raw.data()[i] = 0.3f;  // raw off the kinks (masked: gradient 0 anyway)
  Matrix weight(6, 6), value, raw_grad;
  fill_uniform(weight, 1.0f, rng);
  chain.apply(p.raw, value);
  chain.backward(p.raw, value, weight, raw_grad);
  chain.add_penalty_gradient(p.raw, raw_grad);
  for (Eigen::Index i = 0; i < p.raw.size(); ++i) {
    Matrix up = p.raw, down = p.raw;
    up.data()[i] += 1e-3f;
    down.data()[i] -= 1e-3f;
    auto loss = [&](const Matrix& r) {
      Matrix v;
      chain.apply(r, v);
      return v.cast<double>().cwiseProduct(weight.cast<double>()).sum() + chain.penalty(r);
    };
    EXPECT_NEAR(raw_grad.data()[i], (loss(up) - loss(down)) / (up.data()[i] - down.data()[i]), 1e-3) << i;
  }
}

}  // namespace
}  // namespace biornn
