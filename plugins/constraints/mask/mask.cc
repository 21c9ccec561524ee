// Constraint `mask`: fixed connectivity. W_eff = W_raw (.) M with M a 0/1 mask fixed at
// initialisation; dW_raw = dW_eff (.) M; initialize() and project() set masked raw entries to
// 0, so masked weights are exactly 0 before, during and after training (with any optimizer).
// M is the product of the parts that are set:
//   density < 1     each synapse exists with probability `density` (drawn from `seed`, or
//                   from the layer's seed when seed = 0)
//   autapses=false  no self-connection: M_ii = 0 (square parameters only)
//   file            a NumPy .npy array of the parameter's shape (nonzero = connected;
//                   float32/64, int8/32/64, uint8 or bool, C order)
//   areas           [n1, n2, ...]: consecutive areas of these sizes (summing to H); dense
//                   within an area; between areas only from excitatory senders (the sender
//                   types of an earlier constraint on the same parameter, e.g. dale), with
//                   probability feedforward_density from area a to a later area b and
//                   feedback_density from b back to a.
// Combine with dale on the same parameter (constraints = [{plugin = "dale", ...},
// {plugin = "mask", ...}]): the layer chains them (core/engine/constraint_chain.h), dale first.
// When to use it: sparse or structured (multi-area) connectivity, no self-excitation, or a
// connectome read from a file.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>

#include "plugins/constraints/common/matrix_state.h"
#include "core/sdk/constraint.h"
#include "core/sdk/error.h"
#include "core/sdk/plugin_api.h"

namespace biornn {
namespace {

// The .npy header's shape "4, 3" as {4, 3}: two whole numbers, each below 2^31, and no more
// than 2^31 entries in all (checked before anything is allocated). Errors name the file.
std::vector<int64_t> mask_shape(const std::string& shape, const std::string& path) {
  const auto bad = [&](const std::string& why) {
    return Error("constraint mask: '" + path + "' has shape (" + shape + "); " + why);
  };
  constexpr int64_t kLimit = int64_t(1) << 31;
  std::vector<int64_t> dims;
  std::stringstream ss(shape);
  for (std::string d; std::getline(ss, d, ',');) {
    const size_t first = d.find_first_not_of(" \t"), last = d.find_last_not_of(" \t");
    if (first == std::string::npos) continue;  // the empty part after "4," of a 1-D shape
    d = d.substr(first, last - first + 1);
    if (d.find_first_not_of("0123456789") != std::string::npos || d.size() > 10 || std::stoll(d) >= kLimit)
      throw bad("'" + d + "' is not a size below 2^31");
    dims.push_back(std::stoll(d));
  }
  if (dims.size() != 2) throw bad("a mask must be 2-D");
  if (dims[0] > 0 && dims[1] > kLimit / dims[0]) throw bad("more than 2^31 entries");
  return dims;
}

// Reads a 2-D .npy file into a 0/1 matrix (nonzero -> 1). Errors name the file.
Matrix read_npy_mask(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("constraint mask: cannot open mask file '" + path + "'");
  char magic[8];
  in.read(magic, 8);
  if (!in || std::memcmp(magic, "\x93NUMPY", 6) != 0)
    throw Error("constraint mask: '" + path + "' is not a .npy file (no \\x93NUMPY magic)");
  uint32_t header_len = 0;
  if (magic[6] == 1) {
    unsigned char b[2];
    in.read(reinterpret_cast<char*>(b), 2);
    header_len = b[0] | (b[1] << 8);
  } else {
    unsigned char b[4];
    in.read(reinterpret_cast<char*>(b), 4);
    header_len = b[0] | (b[1] << 8) | (b[2] << 16) | (uint32_t(b[3]) << 24);
  }
  std::string header(header_len, '\0');
  in.read(header.data(), header_len);
  auto field = [&](const std::string& key) {
    const size_t k = header.find("'" + key + "'");
    if (k == std::string::npos) throw Error("constraint mask: '" + path + "': no '" + key + "' in the .npy header");
    return header.substr(header.find(':', k) + 1);
  };
  const std::string descr_field = field("descr");
  const size_t q = descr_field.find('\'');
  const std::string descr = descr_field.substr(q + 1, descr_field.find('\'', q + 1) - q - 1);
  if (field("fortran_order").find("True") < field("fortran_order").find(','))
    throw Error("constraint mask: '" + path + "' is in Fortran order; save it with np.save(np.ascontiguousarray(m))");
  std::string shape = field("shape");
  shape = shape.substr(shape.find('(') + 1, shape.find(')') - shape.find('(') - 1);
  const std::vector<int64_t> dims = mask_shape(shape, path);
  const size_t n = size_t(dims[0] * dims[1]);
  int width = 0;
  if (descr == "<f4" || descr == "<i4")
    width = 4;
  else if (descr == "<f8" || descr == "<i8")
    width = 8;
  else if (descr == "|b1" || descr == "|u1" || descr == "|i1")
    width = 1;
  else
    throw Error("constraint mask: '" + path + "' has dtype " + descr + " (use float32/64, int8/32/64, uint8 or bool)");
  const std::streamoff at = in.tellg();
  in.seekg(0, std::ios::end);
  const std::streamoff left = in.tellg() - at;
  in.seekg(at);
  if (left < 0 || uint64_t(left) < uint64_t(n) * width)
    throw Error("constraint mask: '" + path + "' is truncated (expected " + std::to_string(n) + " entries)");
  std::vector<unsigned char> bytes(n * width);
  in.read(reinterpret_cast<char*>(bytes.data()), std::streamsize(bytes.size()));
  if (!in) throw Error("constraint mask: '" + path + "' is truncated (expected " + std::to_string(n) + " entries)");
  Matrix m(dims[0], dims[1]);
  for (size_t i = 0; i < n; ++i) {
    bool nonzero = false;
    for (int b = 0; b < width; ++b) nonzero = nonzero || bytes[i * width + b] != 0;
    if (descr[1] == 'f' && width == 4) {  // -0.0f is zero
      float v;
      std::memcpy(&v, &bytes[i * width], 4);
      nonzero = v != 0;
    } else if (descr[1] == 'f') {
      double v;
      std::memcpy(&v, &bytes[i * width], 8);
      nonzero = v != 0;
    }
    m.data()[i] = nonzero ? 1.0f : 0.0f;
  }
  return m;
}

// [64, 64] -> {64, 64}: whole positive sizes summing to h.
std::vector<int> area_sizes(const std::vector<double>& areas, int h) {
  std::vector<int> sizes;
  int total = 0;
  for (double v : areas) {
    if (v != std::floor(v))
      throw Error("constraint mask: areas = " + option_value_str(areas) + ": each area size must be a whole number");
    sizes.push_back(int(v));
    total += int(v);
  }
  if (total != h)
    throw Error("constraint mask: areas = " + option_value_str(areas) + " sum to " + std::to_string(total) +
                " units but the layer has " + std::to_string(h));
  return sizes;
}

class MaskConstraint : public Constraint {
 public:
  explicit MaskConstraint(const Options& o)
      : density_(o.get_float("density")),
        autapses_(o.get_bool("autapses")),
        file_(o.get_string("file")),
        areas_(o.get_numbers("areas")),
        feedforward_(o.get_float("feedforward_density")),
        feedback_(o.get_float("feedback_density")),
        seed_(o.get_int("seed")) {}

  void initialize(Parameter& p, Rng& layer_rng) override {
    const int rows = int(p.raw.rows()), cols = int(p.raw.cols());
    Rng own{uint64_t(seed_)};
    Rng& rng = seed_ != 0 ? own : layer_rng;
    mask_ = Matrix::Ones(rows, cols);
    if (!file_.empty()) mask_ = file_mask(p);
    if (density_ < 1) {
      for (Eigen::Index i = 0; i < mask_.size(); ++i)
        if (!rng.bernoulli(density_)) mask_.data()[i] = 0;
    }
    if (!autapses_) {
      if (rows != cols)
        throw Incompatible("constraint mask on '" + p.name + "': autapses = false needs a square parameter (it is [" +
                           std::to_string(rows) + ", " + std::to_string(cols) + "])");
      mask_.diagonal().setZero();
    }
    if (!areas_.empty()) mask_ = mask_.cwiseProduct(area_mask(p, rng));
    p.raw = p.raw.cwiseProduct(mask_);
  }

  void apply(const Matrix& raw, Matrix& value) const override {
    check(raw);
    value = raw.cwiseProduct(mask_);
  }
  void backward(const Matrix&, const Matrix&, const Matrix& grad, Matrix& raw_grad) const override {
    raw_grad = grad.cwiseProduct(mask_);
  }
  void project(Matrix& raw) const override {
    check(raw);
    raw = raw.cwiseProduct(mask_);
  }

  std::vector<float> state() const override { return matrix_state(mask_); }
  void restore(const std::vector<float>& s) override { restore_matrix(s, mask_, "mask"); }

 private:
  Matrix file_mask(const Parameter& p) const {
    Matrix m = read_npy_mask(file_);
    if (m.rows() != p.raw.rows() || m.cols() != p.raw.cols())
      throw Error("constraint mask: '" + file_ + "' has shape (" + std::to_string(m.rows()) + ", " +
                  std::to_string(m.cols()) + ") but parameter '" + p.name + "' is (" + std::to_string(p.raw.rows()) +
                  ", " + std::to_string(p.raw.cols()) + ")");
    return m;
  }

  // Dense within areas; from area a to area b != a only E senders, with the ff / fb density.
  Matrix area_mask(const Parameter& p, Rng& rng) const {
    const int h = int(p.raw.cols());
    if (p.raw.rows() != h) throw Error("constraint mask on '" + p.name + "': areas need a square parameter");
    const std::vector<float> signs = p.constraint ? p.constraint->column_signs() : std::vector<float>{};
    if (int(signs.size()) != h)
      throw Error("constraint mask on '" + p.name +
                  "': areas need sender types (only excitatory units project "
                  "between areas): put a dale constraint before the mask on the same parameter");
    const std::vector<int> sizes = area_sizes(areas_, h);
    std::vector<int> area(h);
    for (int a = 0, u = 0; a < int(sizes.size()); ++a)
      for (int k = 0; k < sizes[a]; ++k) area[u++] = a;
    Matrix m = Matrix::Ones(h, h);
    for (int i = 0; i < h; ++i)
      for (int j = 0; j < h; ++j) {
        if (area[i] == area[j]) continue;
        const bool forward = area[j] < area[i];  // sender's area before the receiver's
        const bool kept = signs[j] > 0 && rng.bernoulli(forward ? feedforward_ : feedback_);
        m(i, j) = kept ? 1.0f : 0.0f;
      }
    return m;
  }

  void check(const Matrix& raw) const {
    if (raw.rows() != mask_.rows() || raw.cols() != mask_.cols())
      throw Error("constraint mask: used on a parameter it was not initialised for");
  }

  double density_;
  bool autapses_;
  std::string file_;
  std::vector<double> areas_;
  double feedforward_, feedback_;
  int64_t seed_;
  Matrix mask_;  // M, 1 = connected
};

void register_mask(Registry* r) {
  r->add<Constraint>(
      "mask",
      "fixed connectivity W_eff = W_raw (.) M: random sparsity, no autapses, a mask from an .npy file, or areas "
      "(dense within, only excitatory senders between); masked weights stay exactly 0",
      OptionSchema()
          .add_float("density", 1.0, "probability that a synapse exists (random sparse connectivity)", 0, 1)
          .add_bool("autapses", false, "allow self-connections W_ii (false: M_ii = 0)")
          .add_string("file", "", "a .npy mask of the parameter's shape (nonzero = connected); empty: none")
          .add_numbers("areas", {}, "[n1, n2, ...]: areas of these sizes (summing to H); empty: one area", 1, 1e6)
          .add_float("feedforward_density", 0.2, "areas: density of E projections from an area to a later one", 0, 1)
          .add_float("feedback_density", 0.1, "areas: density of E projections from an area to an earlier one", 0, 1)
          .add_int("seed", 0, "seed of the random mask (0: the layer's seed)", 0),
      [](const Options& o) { return std::make_unique<MaskConstraint>(o); });
}

}  // namespace
}  // namespace biornn

BIORNN_PLUGIN("mask", "1.0", &biornn::register_mask)
