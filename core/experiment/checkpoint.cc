#include "core/experiment/checkpoint.h"

#include <map>
#include <set>
#include <zlib.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/sdk/error.h"
#include "core/platform/npz.h"

namespace biornn {

namespace {

constexpr char kMagic[8] = {'B', 'I', 'O', 'R', 'N', 'N', 'C', 'K'};
// 2: the partial epoch's loss and score counts; 3: noise draws; 4: penalties; 5: constraint state
constexpr uint32_t kVersion = 5;

class Writer {
 public:
  void u64(uint64_t v) { raw(&v, 8); }
  void f64(double v) { raw(&v, 8); }
  void str(const std::string& s) {
    u64(s.size());
    raw(s.data(), s.size());
  }
  void matrix(const Matrix& m) {
    u64(uint64_t(m.rows()));
    u64(uint64_t(m.cols()));
    raw(m.data(), sizeof(float) * size_t(m.size()));
  }
  void floats(const std::vector<float>& v) {
    u64(v.size());
    raw(v.data(), sizeof(float) * v.size());
  }
  void raw(const void* p, size_t n) { out.append(static_cast<const char*>(p), n); }
  std::string out;
};

class Reader {
 public:
  Reader(std::string data, std::string path) : data_(std::move(data)), path_(std::move(path)) {}
  uint64_t u64() {
    uint64_t v;
    raw(&v, 8);
    return v;
  }
  double f64() {
    double v;
    raw(&v, 8);
    return v;
  }
  std::string str() {
    const uint64_t n = u64();
    need(n);
    std::string s = data_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  std::vector<float> floats() {
    const uint64_t n = count(sizeof(float), "constraint state values");
    std::vector<float> v(n);
    raw(v.data(), sizeof(float) * n);
    return v;
  }
  Matrix matrix() {
    const uint64_t r = u64(), c = u64();
    if (r > (1u << 26) || c > (1u << 26) || r * c > remaining() / sizeof(float))
      fail("a matrix of " + std::to_string(r) + " x " + std::to_string(c) + " floats, more than the " +
           std::to_string(remaining()) + " bytes left");
    Matrix m(r, c);
    raw(m.data(), sizeof(float) * size_t(r * c));
    return m;
  }
  void raw(void* p, size_t n) {
    need(n);
    if (n > 0) std::memcpy(p, data_.data() + pos_, n);  // an empty matrix's data() is null
    pos_ += n;
  }
  // A count of items of `bytes_each` bytes that must fit in what is left (checked before
  // anything is sized from it).
  uint64_t count(uint64_t bytes_each, const char* what) {
    const uint64_t n = u64();
    if (n > remaining() / bytes_each)
      fail(std::to_string(n) + " " + what + ", more than the " + std::to_string(remaining()) + " bytes left hold");
    return n;
  }
  uint64_t remaining() const { return data_.size() - pos_; }
  [[noreturn]] void fail(const std::string& what) const {
    throw Error("checkpoint " + path_ + " is unreadable: " + what + " (at byte " + std::to_string(pos_) + ")");
  }

 private:
  void need(uint64_t n) {
    if (pos_ + n > data_.size()) fail("truncated");
  }
  std::string data_, path_;
  size_t pos_ = 0;
};

// Each layer's constraints' state (Constraint::state), in the order of the graph.
void write_constraint_state(Writer& w, const Model& model) {
  for (const auto& l : model.layers()) {
    w.u64(l->constraints().size());
    for (const auto& c : l->constraints()) w.floats(c.constraint->state());
  }
}

void read_constraint_state(Reader& r, const Model& model) {
  for (const auto& l : model.layers()) {
    if (r.u64() != l->constraints().size()) r.fail("layer " + l->name() + " has another number of constraints");
    for (const auto& c : l->constraints()) {
      try {
        c.constraint->restore(r.floats());
      } catch (const Error& e) { r.fail("the constraint on " + l->name() + "." + c.parameter + ": " + e.what()); }
    }
  }
}

void write_metrics(Writer& w, const EpochMetrics& m) {
  w.u64(uint64_t(m.epoch));
  for (double v : {m.train_loss, m.train_accuracy, m.validation_accuracy, m.validation_loss, m.test_accuracy,
                   m.test_loss, m.gradient_norm, m.learning_rate, m.samples_per_second, m.seconds, m.train_penalty})
    w.f64(v);
}

EpochMetrics read_metrics(Reader& r) {
  EpochMetrics m;
  m.epoch = int(r.u64());
  for (double* v :
       {&m.train_loss, &m.train_accuracy, &m.validation_accuracy, &m.validation_loss, &m.test_accuracy, &m.test_loss,
        &m.gradient_norm, &m.learning_rate, &m.samples_per_second, &m.seconds, &m.train_penalty})
    *v = r.f64();
  return m;
}

}  // namespace

void save_checkpoint(const std::string& path, Experiment& e, const TrainState& st) {
  Writer w;
  w.raw(kMagic, 8);
  w.u64(kVersion);
  const auto names = e.model.parameter_names();
  const auto params = e.model.parameters();
  w.u64(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    w.str(names[i]);
    w.matrix(params[i]->raw);
  }
  const auto opt = e.optimizer->state();
  w.u64(opt.size());
  for (const Matrix& m : opt) w.matrix(m);
  w.u64(uint64_t(st.epochs_done));
  w.u64(uint64_t(st.next_batch));
  w.u64(st.order.size());
  w.raw(st.order.data(), st.order.size() * sizeof(int64_t));
  w.str(st.shuffle_rng);
  w.u64(uint64_t(st.global_step));
  for (double v : {st.learning_rate, st.best_score, double(st.since_best), st.loss_sum, st.norm_sum, double(st.seen),
                   double(st.right), st.epoch_seconds, st.counted, st.score_counted, st.penalty_sum})
    w.f64(v);
  w.u64(e.model.layers().size());  // each layer's recurrent-noise draw counter
  for (const auto& l : e.model.layers()) w.u64(l->noise_draw());
  write_constraint_state(w, e.model);
  w.u64(st.history.size());
  for (const auto& m : st.history) write_metrics(w, m);
  const uint32_t crc = uint32_t(crc32(0, reinterpret_cast<const Bytef*>(w.out.data()), uInt(w.out.size())));
  w.raw(&crc, 4);
  write_atomically(path, w.out);
}

void load_checkpoint(const std::string& path, Experiment& e, TrainState& st) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error("cannot open checkpoint " + path);
  std::stringstream ss;
  ss << f.rdbuf();
  std::string bytes = ss.str();
  if (bytes.size() < 12 || std::memcmp(bytes.data(), kMagic, 8) != 0)
    throw Error("checkpoint " + path + " is not a biornn checkpoint (bad magic)");
  uint32_t stored;
  std::memcpy(&stored, bytes.data() + bytes.size() - 4, 4);
  bytes.resize(bytes.size() - 4);
  if (uint32_t(crc32(0, reinterpret_cast<const Bytef*>(bytes.data()), uInt(bytes.size()))) != stored)
    throw Error("checkpoint " + path + " is corrupt (checksum mismatch)");
  Reader r(bytes, path);
  char magic[8];
  r.raw(magic, 8);
  if (r.u64() != kVersion) r.fail("written by another checkpoint format version");
  const auto names = e.model.parameter_names();
  const auto params = e.model.parameters();
  const uint64_t n = r.u64();
  if (n != params.size())
    throw Error("checkpoint " + path + " holds " + std::to_string(n) + " parameters, the graph's model has " +
                std::to_string(params.size()) + ": was it written for another graph?");
  for (size_t i = 0; i < params.size(); ++i) {
    const std::string name = r.str();
    Matrix m = r.matrix();
    if (name != names[i] || m.rows() != params[i]->raw.rows() || m.cols() != params[i]->raw.cols())
      throw Error("checkpoint " + path + ": parameter " + std::to_string(i) + " is " + name + " [" +
                  std::to_string(m.rows()) + "x" + std::to_string(m.cols()) + "], the model expects " + names[i] +
                  " [" + std::to_string(params[i]->raw.rows()) + "x" + std::to_string(params[i]->raw.cols()) + "]");
    params[i]->raw = m;
  }
  std::vector<Matrix> opt(r.count(16, "optimizer matrices"));
  for (auto& m : opt) m = r.matrix();
  e.optimizer->set_state(opt);
  st.epochs_done = int(r.u64());
  st.next_batch = int64_t(r.u64());
  st.order.resize(r.count(sizeof(int64_t), "shuffled indices"));
  r.raw(st.order.data(), st.order.size() * sizeof(int64_t));
  st.shuffle_rng = r.str();
  st.global_step = int64_t(r.u64());
  st.learning_rate = r.f64();
  st.best_score = r.f64();
  st.since_best = int(r.f64());
  st.loss_sum = r.f64();
  st.norm_sum = r.f64();
  st.seen = int64_t(r.f64());
  st.right = int64_t(r.f64());
  st.epoch_seconds = r.f64();
  st.counted = r.f64();
  st.score_counted = r.f64();
  st.penalty_sum = r.f64();
  if (r.u64() != e.model.layers().size()) r.fail("written for a model with another number of layers");
  for (const auto& l : e.model.layers()) l->set_noise_draw(r.u64());
  read_constraint_state(r, e.model);
  st.history.resize(r.count(8 * 12, "epochs of history"));
  for (auto& m : st.history) m = read_metrics(r);
}

// --- .npz ----------------------------------------------------------------------------------

void save_npz(const std::string& path, Experiment& e) {
  std::vector<NpyArray> arrays;
  auto add = [&arrays](const std::string& name, const Matrix& m) {
    arrays.push_back(
        {name, {int64_t(m.rows()), int64_t(m.cols())}, std::vector<float>(m.data(), m.data() + m.size()), {}});
  };
  for (const auto& l : e.model.layers()) {
    l->prepare();  // effective values from the current raw ones
    for (const Parameter* p : l->parameters().all()) {
      add(l->name() + "." + p->name, p->value);
      add(l->name() + "." + p->name + ".raw", p->raw);
    }
    if (l->scaling_matrix()) add(l->name() + ".A", *l->scaling_matrix());
  }
  for (const Parameter* p : e.model.readout().parameters().all()) add(e.model.readout().name() + "." + p->name, p->raw);
  write_npz(path, arrays);
}

namespace {

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string t;
  for (int64_t d : shape) t += (t.empty() ? "" : ", ") + std::to_string(d);
  return "[" + t + "]";
}

}  // namespace

std::vector<std::string> load_parameters_npz(const std::string& path, Experiment& e) {
  std::map<std::string, const NpyRead*> by_name;
  const std::vector<NpyRead> arrays = read_npz(path);
  for (const NpyRead& a : arrays) by_name[a.name] = &a;
  std::vector<std::pair<Parameter*, const NpyRead*>> plan;
  std::set<std::string> used;
  auto take = [&](Parameter* p, const std::string& name, bool raw_first) {
    const std::string key = raw_first && by_name.count(name + ".raw") ? name + ".raw" : name;
    const auto it = by_name.find(key);
    if (it == by_name.end())
      throw Error(path + ": no array '" + name + "' (the model's parameters: " + [&] {
        std::string all;
        for (const std::string& n : e.model.parameter_names()) all += (all.empty() ? "" : ", ") + n;
        return all;
      }() + ")");
    const std::vector<int64_t> want = {int64_t(p->raw.rows()), int64_t(p->raw.cols())};
    if (it->second->shape != want)
      throw Error(path + ": '" + key + "' is " + shape_text(it->second->shape) + ", the model's " + name + " is " +
                  shape_text(want) + " (does the graph match the network that wrote it?)");
    plan.emplace_back(p, it->second);
    used.insert(key);
    used.insert(name);
  };
  for (const auto& l : e.model.layers())
    for (Parameter* p : l->parameters().all()) take(p, l->name() + "." + p->name, true);
  for (Parameter* p : e.model.readout().parameters().all()) take(p, e.model.readout().name() + "." + p->name, false);
  for (const auto& [p, a] : plan) p->raw = Eigen::Map<const Matrix>(a->values.data(), p->raw.rows(), p->raw.cols());
  for (const auto& l : e.model.layers()) {
    l->project();
    l->prepare();
  }
  std::vector<std::string> unused;
  for (const NpyRead& a : arrays)
    if (!used.count(a.name) && a.name.size() > 2 && a.name.compare(a.name.size() - 2, 2, ".A") != 0)
      unused.push_back(a.name);
  return unused;
}

}  // namespace biornn
