// Models in memory: parameters as NumPy arrays (raw and effective), a forward pass on any
// batch [T, n, F], one step F(s, x) and its Jacobian, and the analysis `analyze` runs (activity
// on a task's trials, fixed points, PCA). Every compute runs with the GIL released.
#include <pybind11/complex.h>
#include <pybind11/stl.h>

#include <algorithm>

#include "core/analysis/analysis.h"
#include "core/analysis/fixed_points.h"
#include "core/analysis/pca.h"
#include "core/experiment/checkpoint.h"
#include "python/src/arrays.h"
#include "python/src/bind.h"
#include "python/src/handles.h"

namespace biornn::python {
namespace {

namespace py = pybind11;

// A parameter by its "<node>.<name>" and the layer it belongs to (null: the readout).
struct Found {
  Parameter* parameter = nullptr;
  RecurrentLayer* layer = nullptr;
};

Found find_parameter(Model& model, const std::string& name) {
  for (const auto& l : model.layers())
    for (Parameter* p : l->parameters().all())
      if (l->name() + "." + p->name == name) return {p, l.get()};
  for (Parameter* p : model.readout().parameters().all())
    if (model.readout().name() + "." + p->name == name) return {p, nullptr};
  std::string known;
  for (const std::string& n : model.parameter_names()) known += (known.empty() ? "" : ", ") + n;
  throw py::key_error("no parameter '" + name + "' (the model has: " + known + ")");
}

py::array_t<float> matrix_to_numpy(const Matrix& m) { return copy_to_numpy(m.data(), {m.rows(), m.cols()}); }

// Effective values follow the raw ones (constraints applied); the readout's raw is its value.
py::array_t<float> get_parameter(ModelHandle& h, const std::string& name, bool raw) {
  const Found f = find_parameter(h.experiment->model, name);
  if (f.layer && !raw) f.layer->prepare();
  return matrix_to_numpy(raw || !f.layer ? f.parameter->raw : f.parameter->value);
}

// Sets the raw value, then re-applies the layer's constraints: those that project (e.g. Dale
// clip) act on raw values, and every effective value is recomputed. Returns how many entries
// the projection changed (the caller reports them).
int64_t set_parameter(ModelHandle& h, const std::string& name, py::handle value) {
  const Found f = find_parameter(h.experiment->model, name);
  Matrix& raw = f.parameter->raw;
  const FloatArray a = float_array(value, name, {raw.rows(), raw.cols()}, true);
  raw = Eigen::Map<const Matrix>(a.data(), raw.rows(), raw.cols());
  if (!f.layer) return 0;
  const Matrix given = raw;
  f.layer->project();
  f.layer->prepare();
  return int64_t((raw.array() != given.array()).count());
}

RecurrentLayer& layer_at(Model& model, int index) {
  const int n = int(model.layers().size());
  if (index < -n || index >= n)
    throw py::index_error("layer " + std::to_string(index) + ": the model has " + std::to_string(n) + " layer(s)");
  return *model.layers()[size_t(index < 0 ? index + n : index)];
}

py::object optional_array(const float* data, const Shape& shape) {
  return data ? py::object(copy_to_numpy(data, shape)) : py::object(py::none());
}

// Every layer's rates, gates and (per-step cells) states, and the readout's outputs, for
// inputs x [T, n, F]. Targets are placeholders (mask 0, label 0): only the outputs are read.
py::dict forward(ModelHandle& h, py::handle x_obj, bool with_states) {
  Model& model = h.experiment->model;
  const Dataset& data = *h.experiment->dataset;
  const FloatArray x = float_array(x_obj, "x", {-1, -1, model.layers().front()->features()});
  const int T = int(x.shape(0)), n = int(x.shape(1));
  if (T < 1 || n < 1) throw py::value_error("x: needs at least one step and one trial, got " + shape_text({T, n}));
  std::vector<int32_t> labels(size_t(T) * n, 0);
  std::vector<float> targets(size_t(T) * n * data.classes(), 0.0f), mask(size_t(T) * n, 0.0f);
  Minibatch b{BatchData{const_cast<float*>(x.data()), labels.data(), targets.data(), mask.data()}, T, n};
  py::dict layers;
  std::vector<std::vector<float>> rates;
  {
    py::gil_scoped_release release;
    model.run(b, false);
    for (const auto& l : model.layers()) rates.emplace_back(l->outputs(), l->outputs() + size_t(T) * n * l->hidden());
  }
  for (size_t i = 0; i < model.layers().size(); ++i) {
    RecurrentLayer& l = *model.layers()[i];
    py::dict d;
    d["rates"] = copy_to_numpy(rates[i].data(), {T, n, l.hidden()});
    d["gates"] = optional_array(l.gates(), {T, n, l.hidden()});
    layers[py::str(l.name())] = d;
  }
  const Matrix& out = model.readout().outputs();
  py::dict result;
  result["outputs"] = copy_to_numpy(out.data(), {model.readout().output_steps(T), n, model.readout().classes()});
  for (size_t i = 0; with_states && i < model.layers().size(); ++i) {
    RecurrentLayer& l = *model.layers()[i];
    if (!why_no_step_map(l).empty()) continue;
    std::vector<float> states;
    {
      py::gil_scoped_release release;
      const ComputeContext::Scope compute(model.context());
      states = record_states(l, i == 0 ? x.data() : rates[i - 1].data(), T, n);
    }
    layers[py::str(l.name())]["states"] = copy_to_numpy(states.data(), {T, n, l.state_size()});
  }
  py::dict last = layers[py::str(model.layers().back()->name())];
  for (const char* key : {"rates", "gates", "states"})
    result[key] = last.contains(key) ? py::object(last[key]) : py::object(py::none());
  result["layers"] = layers;
  return result;
}

// One step of layer `index`: s [n, S], x [n, F] -> (s_next [n, S], r_next [n, H]).
py::tuple step(ModelHandle& h, py::handle s_obj, py::handle x_obj, int index) {
  RecurrentLayer& l = layer_at(h.experiment->model, index);
  const std::string why = why_no_step_map(l);
  if (!why.empty()) throw Error(why);
  const FloatArray s = float_array(s_obj, "s", {-1, l.state_size()});
  const int n = int(s.shape(0));
  const FloatArray x = float_array(x_obj, "x", {n, l.features()});
  py::array_t<float> s_next({n, l.state_size()}), r_next({n, l.hidden()});
  float* sn = s_next.mutable_data();
  float* rn = r_next.mutable_data();
  {
    py::gil_scoped_release release;
    const ComputeContext::Scope compute(h.experiment->model.context());
    l.prepare();
    l.step(s.data(), x.data(), n, sn, rn);
  }
  return py::make_tuple(s_next, r_next);
}

// dF/ds at state s [S] with input x [F]: [S, S], row i = dF_i/ds (float64).
py::array_t<double> jacobian_at(ModelHandle& h, py::handle s_obj, py::handle x_obj, int index) {
  RecurrentLayer& l = layer_at(h.experiment->model, index);
  const FloatArray s = float_array(s_obj, "s", {l.state_size()});
  const FloatArray x = float_array(x_obj, "x", {l.features()});
  Eigen::MatrixXd j;
  {
    py::gil_scoped_release release;
    const ComputeContext::Scope compute(h.experiment->model.context());
    LayerStepMap map(l, std::vector<float>(x.data(), x.data() + x.size()));
    j = jacobian(map, s.data());
  }
  py::array_t<double> out({j.rows(), j.cols()});
  Eigen::Map<Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(out.mutable_data(), j.rows(),
                                                                                     j.cols()) = j;
  return out;
}

py::dict search_result(const FixedPointSearch& found, const StepCell& cell, int S, int H) {
  const int P = int(found.points.size());
  std::vector<float> states, rates(size_t(P) * H);
  std::vector<double> q;
  std::vector<int> unstable, starts;
  std::vector<std::complex<double>> eigenvalues;
  for (const FixedPoint& p : found.points) {
    states.insert(states.end(), p.state.begin(), p.state.end());
    q.push_back(p.q);
    unstable.push_back(p.unstable);
    starts.push_back(p.starts);
    eigenvalues.insert(eigenvalues.end(), p.eigenvalues.begin(), p.eigenvalues.end());
  }
  if (P > 0)
    cell.rate(ConstMatrixMap(states.data(), P, S, Eigen::OuterStride<>(S)),
              MatrixMap(rates.data(), P, H, Eigen::OuterStride<>(H)));
  py::dict d;
  d["states"] = copy_to_numpy(states.data(), {P, S});
  d["rates"] = copy_to_numpy(rates.data(), {P, H});
  d["q"] = copy_to_numpy(q.data(), {P});
  d["unstable_modes"] = copy_to_numpy(unstable.data(), {P});
  d["starts"] = copy_to_numpy(starts.data(), {P});
  d["eigenvalues"] = copy_to_numpy(eigenvalues.data(), {P, P > 0 ? py::ssize_t(eigenvalues.size() / P) : 0});
  d["final_q"] = copy_to_numpy(found.final_q.data(), {py::ssize_t(found.final_q.size())});
  d["converged"] = found.converged;
  return d;
}

// The fixed-point finder `analyze` runs, from starts [n, S] with the input held at x* [F].
py::dict fixed_points(ModelHandle& h, py::handle starts_obj, py::handle input_obj, int index,
                      const FixedPointOptions& options) {
  RecurrentLayer& l = layer_at(h.experiment->model, index);
  const std::string why = why_no_step_map(l);
  if (!why.empty()) throw Error("fixed points: " + why);
  const FloatArray starts = float_array(starts_obj, "starts", {-1, l.state_size()});
  const FloatArray input = float_array(input_obj, "input", {l.features()});
  FixedPointSearch found;
  {
    py::gil_scoped_release release;
    const ComputeContext::Scope compute(h.experiment->model.context());
    LayerStepMap map(l, std::vector<float>(input.data(), input.data() + input.size()));
    found = find_fixed_points(map, std::vector<float>(starts.data(), starts.data() + starts.size()),
                              int(starts.shape(0)), options);
  }
  return search_result(found, dynamic_cast<const StepCell&>(l.cell()), l.state_size(), l.hidden());
}

Dataset& loaded_dataset(ModelHandle& h) {
  if (!h.data_loaded) {
    py::gil_scoped_release release;
    h.experiment->dataset->load();
  }
  h.data_loaded = true;
  return *h.experiment->dataset;
}

Split split_of(const std::string& name) {
  if (name == "test") return Split::kTest;
  if (name == "train" || name == "validation") return Split::kTrain;
  throw py::value_error("split '" + name + "': use \"train\", \"validation\" or \"test\"");
}

// Accuracy and mean loss on a split, as the eval runner computes them.
py::tuple evaluate_split(ModelHandle& h, const std::string& split) {
  const Split which = split_of(split);
  const Dataset& data = loaded_dataset(h);
  const SplitIndices s = make_splits(data, h.graph.train);
  const auto& indices = split == "test" ? s.test : split == "validation" ? s.validation : s.train;
  std::pair<double, double> r;
  {
    py::gil_scoped_release release;
    r = evaluate(*h.experiment, which, indices, h.graph.eval_batch_size());
  }
  return py::make_tuple(r.first, r.second);
}

std::vector<int64_t> checked_indices(const Dataset& data, Split split, py::handle obj) {
  const auto a = py::array_t<int64_t, py::array::c_style | py::array::forcecast>::ensure(obj);
  if (!a || a.ndim() != 1) throw py::value_error("indices: expected a 1-d array of trial indices");
  std::vector<int64_t> v(a.data(), a.data() + a.size());
  for (int64_t i : v)
    if (i < 0 || i >= data.size(split))
      throw py::index_error("trial " + std::to_string(i) + " is not in the split (it has " +
                            std::to_string(data.size(split)) + " trials)");
  if (v.empty()) throw py::value_error("indices: no trials asked for");
  return v;
}

py::dict conditions_dict(const Activity& a, const std::vector<std::string>& names) {
  py::dict d;
  for (size_t c = 0; c < names.size(); ++c) {
    std::vector<float> v;
    for (int i = 0; i < a.trials; ++i) v.push_back(a.conditions[size_t(i) * names.size() + c]);
    d[py::str(names[c])] = copy_to_numpy(v.data(), {a.trials});
  }
  return d;
}

// record_activity on trials `indices` of a split: the arrays analyze writes to activity.npz.
py::dict activity(ModelHandle& h, const std::string& split, py::handle indices_obj) {
  const Dataset& data = loaded_dataset(h);
  const Split which = split_of(split);
  const std::vector<int64_t> indices = checked_indices(data, which, indices_obj);
  Activity a;
  {
    py::gil_scoped_release release;
    a = record_activity(h.experiment->model, data, which, indices);
  }
  const py::ssize_t T = a.steps, n = a.trials;
  py::dict d;
  d["inputs"] = copy_to_numpy(a.x.data(), {T, n, a.features});
  d["rates"] = copy_to_numpy(a.rates.data(), {T, n, a.hidden});
  d["gates"] = a.gates.empty() ? py::object(py::none()) : py::object(copy_to_numpy(a.gates.data(), {T, n, a.hidden}));
  d["states"] =
      a.states.empty() ? py::object(py::none()) : py::object(copy_to_numpy(a.states.data(), {T, n, a.state_size}));
  d["outputs"] = copy_to_numpy(a.outputs.data(), {T, n, a.output_size});
  d["mask"] = copy_to_numpy(a.mask.data(), {T, n});
  d["correct"] = copy_to_numpy(a.correct.data(), {n});
  if (data.target_kind() == TargetKind::kStepClass) {
    d["labels"] = copy_to_numpy(a.labels.data(), {T, n});
    d["decisions"] = copy_to_numpy(a.decisions.data(), {n});
  } else {
    d["targets"] = copy_to_numpy(a.targets.data(), {T, n, a.output_size});
  }
  d["conditions"] = conditions_dict(a, data.condition_names());
  py::dict kinds;
  for (size_t c = 0; c < a.condition_kinds.size(); ++c)
    kinds[py::str(data.condition_names()[c])] = condition_kind_name(a.condition_kinds[c]);
  d["condition_kinds"] = kinds;
  if (!a.periods.empty()) {
    d["periods"] = copy_to_numpy(a.periods.data(), {T, n});
    d["period_names"] = a.period_names;
  }
  return d;
}

// Trials of the model's dataset as it feeds them to training: x, targets or labels, mask.
py::dict trials(ModelHandle& h, const std::string& split, py::handle indices_obj) {
  const Dataset& data = loaded_dataset(h);
  const Split which = split_of(split);
  const std::vector<int64_t> indices = checked_indices(data, which, indices_obj);
  const int n = int(indices.size());
  const py::ssize_t T = data.steps();
  BatchBuffers buffers(data, n);
  Minibatch b;
  {
    py::gil_scoped_release release;
    b = buffers.fill(data, which, indices.data(), n);
  }
  py::dict d;
  d["x"] = copy_to_numpy(b.data.x, {T, n, data.features()});
  if (data.target_kind() == TargetKind::kSequenceClass) d["labels"] = copy_to_numpy(b.data.labels, {n});
  if (data.target_kind() == TargetKind::kStepClass) d["labels"] = copy_to_numpy(b.data.labels, {T, n});
  if (data.target_kind() == TargetKind::kStepValue)
    d["targets"] = copy_to_numpy(b.data.targets, {T, n, data.classes()});
  if (b.data.mask) d["mask"] = copy_to_numpy(b.data.mask, {T, n});
  return d;
}

py::dict dataset_info(ModelHandle& h) {
  const Dataset& data = *h.experiment->dataset;
  const TargetKind k = data.target_kind();
  py::dict d;
  d["steps"] = data.steps();
  d["features"] = data.features();
  d["outputs"] = data.classes();
  d["target"] = k == TargetKind::kStepValue ? "value" : k == TargetKind::kStepClass ? "class" : "sequence_class";
  d["condition_names"] = data.condition_names();
  d["describe"] = data.describe();
  return d;
}

py::list layers_info(ModelHandle& h) {
  py::list out;
  for (const auto& l : h.experiment->model.layers()) {
    py::dict d;
    d["name"] = l->name();
    d["hidden"] = l->hidden();
    d["features"] = l->features();
    d["state_size"] = l->state_size();
    d["steppable"] = why_no_step_map(*l).empty();
    out.append(d);
  }
  return out;
}

py::dict pca(py::handle x_obj, int k) {
  const FloatArray x = float_array(x_obj, "x", {-1, -1});
  const int64_t n = x.shape(0);
  const int dim = int(x.shape(1));
  if (k < 1 || k > dim || n < 2)
    throw py::value_error("pca: needs 1 <= k <= " + std::to_string(dim) + " components and at least 2 rows, got k=" +
                          std::to_string(k) + " on " + std::to_string(n) + " rows");
  Pca p;
  Eigen::MatrixXd projected;
  {
    py::gil_scoped_release release;
    p = fit_pca(x.data(), n, dim, k);
    projected = p.project(x.data(), n);
  }
  using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const RowMajor components = p.components, coordinates = projected;
  py::dict d;
  d["mean"] = copy_to_numpy(p.mean.data(), {dim});
  d["components"] = copy_to_numpy(components.data(), {k, dim});
  d["variance"] = copy_to_numpy(p.variance.data(), {k});
  std::vector<double> explained;
  for (int i = 0; i < k; ++i) explained.push_back(p.explained(i));
  d["explained"] = copy_to_numpy(explained.data(), {k});
  d["total_variance"] = p.total_variance;
  d["projected"] = copy_to_numpy(coordinates.data(), {n, k});
  return d;
}

std::unique_ptr<ModelHandle> make_model(const GraphHandle& g) {
  auto h = std::make_unique<ModelHandle>();
  h->session = g.session;
  h->graph = g.graph;
  h->experiment = build_experiment(g.graph, g.session->registry());
  return h;
}

int load_checkpoint_file(ModelHandle& h, const std::string& path) {
  TrainState state;
  load_checkpoint(path, *h.experiment, state);
  for (const auto& l : h.experiment->model.layers()) l->prepare();
  return state.epochs_done;
}

}  // namespace

void bind_model(py::module_& m) {
  py::class_<FixedPointOptions>(m, "FixedPointOptions")
      .def(py::init<>())
      .def_readwrite("iterations", &FixedPointOptions::iterations)
      .def_readwrite("learning_rate", &FixedPointOptions::learning_rate)
      .def_readwrite("tolerance", &FixedPointOptions::tolerance)
      .def_readwrite("merge_distance", &FixedPointOptions::merge_distance)
      .def_readwrite("unit_tolerance", &FixedPointOptions::unit_tolerance);
  py::class_<ModelHandle>(m, "Model")
      .def(py::init(&make_model), py::arg("graph"))
      .def("load_checkpoint", &load_checkpoint_file, py::arg("path"))
      .def("parameter_names", [](ModelHandle& h) { return h.experiment->model.parameter_names(); })
      .def("get_parameter", &get_parameter, py::arg("name"), py::arg("raw"))
      .def("set_parameter", &set_parameter, py::arg("name"), py::arg("value"))
      .def("forward", &forward, py::arg("x"), py::arg("states"))
      .def("step", &step, py::arg("s"), py::arg("x"), py::arg("layer"))
      .def("jacobian", &jacobian_at, py::arg("s"), py::arg("x"), py::arg("layer"))
      .def("fixed_points", &fixed_points, py::arg("starts"), py::arg("input"), py::arg("layer"), py::arg("options"))
      .def("activity", &activity, py::arg("split"), py::arg("indices"))
      .def("trials", &trials, py::arg("split"), py::arg("indices"))
      .def("evaluate", &evaluate_split, py::arg("split"))
      .def("dataset_size",
           [](ModelHandle& h, const std::string& split) { return loaded_dataset(h).size(split_of(split)); })
      .def_property_readonly("dataset", &dataset_info)
      .def_property_readonly("layers", &layers_info)
      .def_property_readonly("parameter_count", [](ModelHandle& h) { return h.experiment->model.parameter_count(); });
  m.def("pca", &pca, py::arg("x"), py::arg("k"));
}

}  // namespace biornn::python
