// Blocks derived from a description (core/sdk/block.h): each transform's block and gradient,
// to the parameter and to the scaling A, against finite differences and written-out
// references; the Cell/Gate default prepare/accumulate; the errors.
#include "core/sdk/block.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "core/sdk/cell.h"
#include "core/sdk/error.h"
#include "core/sdk/gate.h"

namespace biornn {
namespace {

constexpr int kH = 4, kF = 3;

// Uniform values in +-[0.2, 1] (no value near 0, where |.| and the sign masks have their kink).
Matrix away_from_zero(int rows, int cols, Rng& rng) {
  Matrix m(rows, cols);
  fill_uniform(m, 1.0f, rng);
  for (int i = 0; i < m.size(); ++i) {
    float& v = m.data()[i];
    v = (v < 0 ? -1.0f : 1.0f) * (0.2f + 0.8f * std::abs(v));
  }
  return m;
}

// W [H, H] (recurrent role), P [H, F] (input role), b [1, H] (bias role), random values.
struct Fixture {
  ParameterSet params;
  Matrix a;  // a scaling A [H, H], > 0
  Fixture() {
    Rng rng(7);
    params.add("W", kH, kH, ParameterRole::kRecurrent).value = away_from_zero(kH, kH, rng);
    params.add("P", kH, kF, ParameterRole::kInput).value = away_from_zero(kH, kF, rng);
    params.add("b", 1, kH, ParameterRole::kBias).value = away_from_zero(1, kH, rng);
    a = away_from_zero(kH, kH, rng).cwiseAbs();
  }
};

// Loss = sum of g (.) block over the three terms: dLoss/d block = g.
struct Upstream {
  LinearBlock g;
  explicit Upstream(unsigned seed) {
    Rng rng(seed);
    g.recurrent = away_from_zero(kH, kH, rng);
    g.input = away_from_zero(kH, kF, rng);
    g.bias = away_from_zero(1, kH, rng).row(0);
  }
  double loss(const LinearBlock& b) const {
    double l = 0;
    if (b.recurrent.size()) l += double((g.recurrent.cwiseProduct(b.recurrent)).sum());
    if (b.input.size()) l += double((g.input.cwiseProduct(b.input)).sum());
    if (b.bias.size()) l += double((g.bias.cwiseProduct(b.bias)).sum());
    return l;
  }
};

double loss_of(const BlockSpec& spec, const ParameterSet& params, const Matrix* a, const Upstream& up) {
  LinearBlock b;
  prepare_blocks({spec}, params, a, &b, "test");
  return up.loss(b);
}

// Central differences of the loss in every entry of m (a parameter's value or A).
Matrix finite_differences(Matrix& m, const std::function<double()>& loss) {
  const float eps = 1e-2f;  // the terms are linear in each entry away from 0: exact up to rounding
  Matrix d(m.rows(), m.cols());
  for (int i = 0; i < m.size(); ++i) {
    const float keep = m.data()[i];
    m.data()[i] = keep + eps;
    const double up = loss();
    m.data()[i] = keep - eps;
    const double down = loss();
    m.data()[i] = keep;
    d.data()[i] = float((up - down) / (2.0 * eps));
  }
  return d;
}

const char* name_of(Transform t) {
  switch (t) {
    case Transform::kCopy: return "copy";
    case Transform::kAbs: return "abs";
    case Transform::kPositivePart: return "positive";
    case Transform::kNegativePart: return "negative";
  }
  return "?";
}

// The transform written out, entry by entry (the reference the derived block must match).
Matrix reference_transform(Transform t, const Matrix& w) {
  Matrix r(w.rows(), w.cols());
  for (int i = 0; i < w.size(); ++i) {
    const float v = w.data()[i];
    r.data()[i] = t == Transform::kCopy           ? v
                  : t == Transform::kAbs          ? std::abs(v)
                  : t == Transform::kPositivePart ? (v > 0 ? v : 0)
                                                  : (v < 0 ? -v : 0);
  }
  return r;
}

const Transform kTransforms[] = {Transform::kCopy, Transform::kAbs, Transform::kPositivePart, Transform::kNegativePart};

// Every transform on every term, the recurrent one also times A: the block equals the
// written-out reference, and the derived gradients (to W, P, b and A) equal finite differences.
TEST(Block, EveryTransformMatchesReferenceAndFiniteDifferences) {
  for (Transform t : kTransforms)
    for (bool scaled : {false, true}) {
      SCOPED_TRACE(std::string(name_of(t)) + (scaled ? " times A" : ""));
      Fixture f;
      const Upstream up(11);
      BlockTerm rec(ParameterRole::kRecurrent, t);  // by role
      const BlockSpec spec{scaled ? rec.scaled_by_a() : rec, {"P", t}, {"b", t}};

      LinearBlock block;
      prepare_blocks({spec}, f.params, &f.a, &block, "test");
      Matrix want_rec = reference_transform(t, f.params.get("W").value);
      if (scaled) want_rec = want_rec.cwiseProduct(f.a);
      EXPECT_EQ(block.recurrent, want_rec);
      EXPECT_EQ(block.input, reference_transform(t, f.params.get("P").value));
      EXPECT_EQ(Matrix(block.bias), reference_transform(t, f.params.get("b").value));

      Matrix d_a = Matrix::Zero(kH, kH);
      accumulate_blocks({spec}, &up.g, f.params, &f.a, &d_a, "test");
      const auto loss = [&] { return loss_of(spec, f.params, &f.a, up); };
      for (const char* name : {"W", "P", "b"}) {
        Parameter& p = f.params.get(name);
        EXPECT_LT((p.grad - finite_differences(p.value, loss)).cwiseAbs().maxCoeff(), 1e-4) << name;
      }
      if (scaled)
        EXPECT_LT((d_a - finite_differences(f.a, loss)).cwiseAbs().maxCoeff(), 1e-4) << "A";
      else
        EXPECT_EQ(d_a, Matrix::Zero(kH, kH)) << "an unscaled term has no gradient to A";
    }
}

// The hand-written references the plugins had before their blocks were described: the
// conductance gate's |W| (.) A, |P_in|, G_b and the reversal cell's W+ / W- sign masks.
TEST(Block, MatchesTheFormerHandWrittenGradients) {
  Fixture f;
  const Upstream up(3), up2(5);
  const Matrix& w = f.params.get("W").value;
  const Matrix& pin = f.params.get("P").value;

  const BlockSpec gate{
      BlockTerm(ParameterRole::kRecurrent, Transform::kAbs).scaled_by_a(), {"P", Transform::kAbs}, "b"};
  Matrix d_a = Matrix::Zero(kH, kH);
  accumulate_blocks({gate}, &up.g, f.params, &f.a, &d_a, "test");
  EXPECT_EQ(f.params.get("W").grad, Matrix(up.g.recurrent.array() * f.a.array() * w.array().sign()));
  EXPECT_EQ(d_a, Matrix(up.g.recurrent.array() * w.array().abs()));
  EXPECT_EQ(f.params.get("P").grad, Matrix(up.g.input.array() * pin.array().sign()));
  EXPECT_EQ(f.params.get("b").grad, Matrix(up.g.bias));

  Fixture c;
  const std::vector<BlockSpec> reversal{{{"W", Transform::kPositivePart}}, {{"W", Transform::kNegativePart}}};
  const LinearBlock grads[2] = {up.g, up2.g};
  accumulate_blocks(reversal, grads, c.params, nullptr, nullptr, "test");
  const Matrix& wc = c.params.get("W").value;
  const Matrix want = (up.g.recurrent.array() * (wc.array() > 0.0f).cast<float>() -
                       up2.g.recurrent.array() * (wc.array() < 0.0f).cast<float>())
                          .matrix();
  EXPECT_EQ(c.params.get("W").grad, want);
  EXPECT_EQ(c.params.get("P").grad, Matrix::Zero(kH, kF)) << "terms not described get nothing";
}

// PlainBlock is one BlockSpec of copies.
TEST(Block, PlainBlockIsCopies) {
  Fixture f;
  const Upstream up(9);
  LinearBlock b;
  PlainBlock{"W", "", "b"}.prepare(f.params, b);
  EXPECT_EQ(b.recurrent, f.params.get("W").value);
  EXPECT_EQ(b.input.size(), 0);
  EXPECT_EQ(Matrix(b.bias), f.params.get("b").value);
  PlainBlock{"W", "", "b"}.accumulate(up.g, f.params);
  EXPECT_EQ(f.params.get("W").grad, up.g.recurrent);
  EXPECT_EQ(f.params.get("P").grad, Matrix::Zero(kH, kF));
  EXPECT_EQ(f.params.get("b").grad, Matrix(up.g.bias));
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) { return e.what(); }
  return "(no error)";
}

TEST(Block, ErrorsSayWhatIsWrong) {
  Fixture f;
  LinearBlock b;
  const BlockTerm scaled_w = BlockTerm("W", Transform::kAbs).scaled_by_a();
  EXPECT_EQ(error_of([&] { prepare_blocks({{scaled_w}}, f.params, nullptr, &b, "gate"); }),
            "gate block 0: a block term is scaled by A, but the layer has no scaling (add scaling = { plugin = ... })");
  EXPECT_EQ(error_of([&] {
              prepare_blocks({{{}, BlockTerm("P").scaled_by_a()}}, f.params, &f.a, &b, "gate");
            }),
            "gate block 0: the input term of a block cannot be scaled by A (only the recurrent term, [H, H])");
  EXPECT_EQ(error_of([&] { prepare_blocks({{"V"}}, f.params, nullptr, &b, "cell"); }),
            "cell block 0: no parameter 'V' in this layer (parameters: W, P, b)");
  ParameterSet no_w;
  EXPECT_EQ(error_of([&] { prepare_blocks({{ParameterRole::kRecurrent}}, no_w, nullptr, &b, "gate"); }),
            "gate block 0: no parameter with the recurrent role in this layer (parameters: (none))");
  EXPECT_EQ(error_of([&] {
              prepare_blocks({{{}, {}, "W"}}, f.params, nullptr, &b, "cell");
            }),
            "cell block 0: the bias term's parameter must be [1, H]");
  EXPECT_EQ(error_of([&] { checked_specs({}, 1, "cell"); }),
            "the cell neither describes its linear blocks (block_specs()) nor overrides prepare() and accumulate()");
  EXPECT_EQ(error_of([&] {
              checked_specs({{"W"}, {"W"}}, 1, "cell");
            }),
            "the cell describes 2 blocks (block_specs()) but declares num_blocks() = 1");
}

// A cell and a gate that only describe their blocks get prepare/accumulate from the base
// classes; the gate's accumulate uses the A its prepare saw (and adds dLoss/dA).
class DescribedCell : public StepCell {
 public:
  bool reads_gate() const override { return true; }
  void create_parameters(ParameterSet&, int, int, Rng&) override {}
  std::vector<BlockSpec> block_specs() const override {
    return {{{"W", Transform::kPositivePart}}, {{"W", Transform::kNegativePart}, "P", "b"}};
  }
  void forward(CellForward&) const override {}
  void backward(CellBackward&) const override {}
};

class DescribedGate : public Gate {
 public:
  void create_parameters(ParameterSet&, int, int, Rng&) override {}
  std::vector<BlockSpec> block_specs() const override {
    return {{BlockTerm(ParameterRole::kRecurrent, Transform::kAbs).scaled_by_a(), {"P", Transform::kAbs}, "b"}};
  }
  void forward(GateForward&) const override {}
  void backward(GateBackward&) const override {}
};

TEST(Block, CellAndGateDefaultsDeriveFromTheDescription) {
  Fixture f;
  const DescribedCell cell;
  EXPECT_EQ(cell.num_blocks(), 2);
  LinearBlock cb[2];
  cell.prepare(f.params, cb);
  EXPECT_EQ(cb[0].recurrent, reference_transform(Transform::kPositivePart, f.params.get("W").value));
  EXPECT_EQ(cb[1].input, f.params.get("P").value);
  const Upstream u0(1), u1(2);
  const LinearBlock cg[2] = {u0.g, u1.g};
  cell.accumulate(cg, f.params);
  const Matrix& wc = f.params.get("W").value;
  EXPECT_EQ(f.params.get("W").grad, Matrix(u0.g.recurrent.array() * (wc.array() > 0.0f).cast<float>() -
                                           u1.g.recurrent.array() * (wc.array() < 0.0f).cast<float>()));
  EXPECT_EQ(f.params.get("P").grad, u1.g.input);
  EXPECT_EQ(f.params.get("b").grad, Matrix(u1.g.bias));

  const DescribedGate gate;
  EXPECT_TRUE(gate.uses_scaling());
  EXPECT_EQ(gate.num_blocks(), 1);
  Matrix a = f.a;  // the layer's A: prepare must keep its own copy for accumulate
  LinearBlock gb;
  gate.prepare(f.params, &a, &gb);
  EXPECT_EQ(gb.recurrent, Matrix(f.params.get("W").value.cwiseAbs().cwiseProduct(f.a)));
  a.setZero();
  Fixture g;
  Matrix d_a = Matrix::Zero(kH, kH);
  gate.accumulate(&u0.g, g.params, &d_a);
  const Matrix& w = g.params.get("W").value;
  EXPECT_EQ(g.params.get("W").grad, Matrix(u0.g.recurrent.array() * f.a.array() * w.array().sign()));
  EXPECT_EQ(d_a, Matrix(u0.g.recurrent.array() * w.array().abs()));
}

}  // namespace
}  // namespace biornn
