#include "python/src/python_task.h"

#include <pybind11/pybind11.h>

#include <memory>

#include "core/sdk/dataset.h"
#include "python/src/arrays.h"

namespace biornn::python {
namespace {

// The Python object that writes the trials; every call into it holds the GIL (training runs
// with the GIL released).
class PythonTask : public Dataset {
 public:
  explicit PythonTask(const Options& o)
      : where_(o.where()),
        name_(o.get_string("module") + "." + o.get_string("class")),
        seed_(o.get_int("seed")),
        train_(o.get_int("train_trials")),
        test_(o.get_int("test_trials")) {
    py::gil_scoped_acquire gil;
    task_ = make_object(o);
    steps_ = positive("steps");
    features_ = positive("features");
    outputs_ = positive("outputs");
    kind_ = target_kind_of(py::str(task_.attr("target")));
    if (py::hasattr(task_, "condition_names"))
      for (py::handle n : task_.attr("condition_names")) condition_names_.push_back(py::str(n));
  }
  ~PythonTask() override {
    if (!Py_IsInitialized()) return;
    py::gil_scoped_acquire gil;
    task_ = py::object();
  }

  void load() override {}
  int64_t size(Split split) const override { return split == Split::kTrain ? train_ : test_; }
  int steps() const override { return steps_; }
  int features() const override { return features_; }
  int classes() const override { return outputs_; }
  TargetKind target_kind() const override { return kind_; }
  std::vector<std::string> condition_names() const override { return condition_names_; }

  void batch(Split split, const int64_t* indices, int n, float* x, int32_t* labels) const override {
    BatchData b;
    b.x = x;
    b.labels = labels;
    fill(split, indices, n, b);
  }

  void fill(Split split, const int64_t* indices, int n, const BatchData& out) const override {
    py::gil_scoped_acquire gil;
    const py::dict d = call_batch(split, indices, n);
    const py::ssize_t T = steps_, N = n;
    copy_floats(d, "x", {T, N, features_}, out.x);
    if (kind_ == TargetKind::kSequenceClass) return copy_labels(d, {N}, out.labels);
    if (kind_ == TargetKind::kStepClass)
      copy_labels(d, {T, N}, out.labels);
    else
      copy_floats(d, "targets", {T, N, outputs_}, out.targets);
    copy_floats(d, "mask", {T, N}, out.mask);
  }

  void conditions(Split split, const int64_t* indices, int n, float* out) const override {
    if (condition_names_.empty()) return;
    py::gil_scoped_acquire gil;
    copy_floats(call_batch(split, indices, n), "conditions", {n, py::ssize_t(condition_names_.size())}, out);
  }

  std::string describe() const override {
    return "python_task " + name_ + ": " + std::to_string(steps_) + " steps, " + std::to_string(features_) +
           " inputs, " + std::to_string(outputs_) + " outputs";
  }

 private:
  py::object make_object(const Options& o) const {
    const std::string module = o.get_string("module"), cls = o.get_string("class");
    py::object mod;
    try {
      mod = py::module_::import(module.c_str());
    } catch (py::error_already_set& e) {
      if (!e.matches(PyExc_ImportError)) throw;
      throw Error(o.where("module"), "python_task: cannot import module '" + module + "': " + e.what());
    }
    if (!py::hasattr(mod, cls.c_str()))
      throw Error(o.where("class"), "python_task: module '" + module + "' has no attribute '" + cls + "'");
    py::object arguments;
    try {
      arguments = py::module_::import("json").attr("loads")(o.get_string("arguments"));
    } catch (py::error_already_set& e) {
      throw Error(o.where("arguments"), "python_task: arguments is not JSON: " + std::string(py::str(e.value())));
    }
    if (!py::isinstance<py::dict>(arguments))
      throw Error(o.where("arguments"), "python_task: arguments must be a JSON object of keyword arguments");
    return mod.attr(cls.c_str())(**arguments);
  }

  int positive(const char* attribute) const {
    if (!py::hasattr(task_, attribute))
      throw Error(where_, "python_task " + name_ + ": the task has no attribute '" + attribute + "'");
    const py::object v = task_.attr(attribute);
    if (!py::isinstance<py::int_>(v) || v.cast<int64_t>() < 1 || v.cast<int64_t>() > (1 << 24))
      throw Error(where_, "python_task " + name_ + "." + attribute + " must be a positive int, got " +
                              std::string(py::repr(v)));
    return v.cast<int>();
  }

  TargetKind target_kind_of(const std::string& target) const {
    if (target == "value") return TargetKind::kStepValue;
    if (target == "class") return TargetKind::kStepClass;
    if (target == "sequence_class") return TargetKind::kSequenceClass;
    throw Error(where_, "python_task " + name_ + ".target is '" + target +
                            "': use \"value\" (targets at every step), \"class\" (a label at every step) or "
                            "\"sequence_class\" (one label per trial)");
  }

  py::dict call_batch(Split split, const int64_t* indices, int n) const {
    const py::array_t<int64_t> idx = copy_to_numpy(indices, {n});
    const py::object d = task_.attr("batch")(idx, split == Split::kTrain ? "train" : "test", seed_);
    if (!py::isinstance<py::dict>(d))
      throw Error(where_, "python_task " + name_ + ".batch() returned " + std::string(py::repr(d.get_type())) +
                              ", not a dict of arrays");
    return d;
  }

  // A value of batch()'s dict, checked; errors name the task and the graph position.
  py::object entry(const py::dict& d, const char* key) const {
    if (!d.contains(key)) throw Error(where_, "python_task " + name_ + ".batch() returned no '" + key + "'");
    return d[key];
  }

  void copy_floats(const py::dict& d, const char* key, const Shape& shape, float* out) const {
    try {
      const FloatArray a = float_array(entry(d, key), std::string("'") + key + "'", shape);
      std::copy(a.data(), a.data() + a.size(), out);
    } catch (const py::builtin_exception& e) { throw Error(where_, "python_task " + name_ + ".batch(): " + e.what()); }
  }

  void copy_labels(const py::dict& d, const Shape& shape, int32_t* out) const {
    try {
      const auto a = label_array(entry(d, "labels"), "'labels'", shape, outputs_);
      std::copy(a.data(), a.data() + a.size(), out);
    } catch (const py::builtin_exception& e) { throw Error(where_, "python_task " + name_ + ".batch(): " + e.what()); }
  }

  SourcePosition where_;
  std::string name_;
  int64_t seed_, train_, test_;
  py::object task_;
  int steps_ = 0, features_ = 0, outputs_ = 0;
  TargetKind kind_ = TargetKind::kStepValue;
  std::vector<std::string> condition_names_;
};

OptionSchema schema() {
  OptionSchema s;
  s.add_string("module", "__main__", "the Python module that defines the task (\"__main__\": a notebook or script)")
      .add_string("class", "", "the task's class (or any callable returning a biornn.Task-like object)")
      .add_string("arguments", "{}", "keyword arguments of the class, as a JSON object")
      .add_int("seed", 1, "seed of the trials (trial i of a split is drawn from (seed, split, i) alone)", 0)
      .add_int("train_trials", 8192, "trials in the training split", 1, 1 << 30)
      .add_int("test_trials", 1024, "trials in the test split", 1, 1 << 30);
  return s;
}

}  // namespace

void register_python_task(Registry& registry) {
  registry.add<Dataset>("python_task",
                        "a task written in Python (module and class named in the graph); from the biornn Python "
                        "package only",
                        schema(), [](const Options& o) { return std::make_unique<PythonTask>(o); });
}

}  // namespace biornn::python
