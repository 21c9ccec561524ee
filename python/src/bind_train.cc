// Training from Python into the run directory the CLI writes (execute_run), with the GIL
// released while the engine computes. Each minibatch the observer takes the GIL for a moment:
// Ctrl-C (SIGINT, or Jupyter's "interrupt kernel") stops at the next minibatch and the
// checkpoint is saved before KeyboardInterrupt is raised; a callback returning True stops the
// same way, and one that raises ends the run with its exception, after the checkpoint.
#include <pybind11/stl.h>

#include <optional>

#include "core/experiment/run.h"
#include "core/experiment/run_directory.h"
#include "python/src/bind.h"
#include "python/src/handles.h"

namespace biornn::python {
namespace {

namespace py = pybind11;

py::dict epoch_dict(const EpochMetrics& m) {
  py::dict d;
  d["epoch"] = m.epoch;
  d["train_loss"] = m.train_loss;
  d["train_accuracy"] = m.train_accuracy;
  d["validation_accuracy"] = m.validation_accuracy;
  d["validation_loss"] = m.validation_loss;
  d["test_accuracy"] = m.test_accuracy;
  d["test_loss"] = m.test_loss;
  d["gradient_norm"] = m.gradient_norm;
  d["learning_rate"] = m.learning_rate;
  d["samples_per_second"] = m.samples_per_second;
  d["seconds"] = m.seconds;
  return d;
}

py::dict step_dict(const StepEvent& ev) {
  const StepResult& r = *ev.result;
  const bool scored = r.score.counted > 0;
  py::dict d;
  d["epoch"] = ev.epoch;
  d["minibatch"] = ev.minibatch;
  d["minibatches"] = ev.minibatches;
  d["step"] = ev.state->global_step;
  d["loss"] = r.loss.loss / std::max(1e-12, r.loss.counted);
  d["accuracy"] = scored ? r.score.correct / r.score.counted : double(r.loss.correct) / std::max(1.0, r.loss.counted);
  d["gradient_norm"] = r.gradient_norm;
  d["learning_rate"] = ev.state->learning_rate;
  return d;
}

// The Python side of a run: signals and callbacks, each heard with the GIL held. Created and
// destroyed with the GIL held.
class PythonObserver : public TrainingObserver {
 public:
  PythonObserver(StopToken& stop, py::object on_step, int every, py::object on_epoch)
      : stop_(stop), on_step_(std::move(on_step)), on_epoch_(std::move(on_epoch)), every_(every) {}
  void on_step(const StepEvent& ev) override {
    py::gil_scoped_acquire gil;
    if (!check_signals() || on_step_.is_none() || every_ <= 0 || ev.minibatch % every_ != 0) return;
    call(on_step_, step_dict(ev));
  }
  void on_epoch(const EpochMetrics& m, const TrainState&) override {
    py::gil_scoped_acquire gil;
    if (check_signals() && !on_epoch_.is_none()) call(on_epoch_, epoch_dict(m));
  }

  bool stopped_by_callback() const { return stopped_by_callback_; }
  // After the run has saved its checkpoint: KeyboardInterrupt or the callback's exception.
  void rethrow() {
    if (pending_) {
      py::error_already_set e = *pending_;
      pending_.reset();
      throw e;
    }
  }

 private:
  // False once something asked to stop (Ctrl-C now, or before).
  bool check_signals() {
    if (pending_) return false;
    if (PyErr_CheckSignals() == 0) return true;
    fail();
    return false;
  }
  void call(const py::object& f, const py::dict& info) {
    try {
      if (f(info).is(py::bool_(true))) {
        stopped_by_callback_ = true;
        stop_.request();
      }
    } catch (py::error_already_set& e) {
      pending_ = e;
      stop_.request();
    }
  }
  void fail() {  // the Python error indicator is set
    pending_.emplace();
    stop_.request();
  }

  StopToken& stop_;
  py::object on_step_, on_epoch_;
  int every_;
  std::optional<py::error_already_set> pending_;
  bool stopped_by_callback_ = false;
};

py::dict outcome_dict(const RunOutcome& out, const RunDirectory& run, bool stopped_by_callback) {
  py::dict d;
  d["status"] = out.status;
  d["message"] = out.message;
  d["run_dir"] = run.path();
  d["result_line"] = result_line(out.result) + " run_dir=" + run.path();
  d["seconds"] = out.result.seconds;
  d["stopped_by_callback"] = stopped_by_callback;
  py::list epochs;
  for (const EpochMetrics& m : out.result.epochs) epochs.append(epoch_dict(m));
  d["epochs"] = epochs;
  return d;
}

py::dict train_in(const GraphHandle& g, const std::string& run_dir, bool resume, py::object on_step, int every,
                  py::object on_epoch) {
  const RunDirectory run = resume ? RunDirectory::open_existing(run_dir) : RunDirectory::at(run_dir);
  StopToken stop;
  PythonObserver observer(stop, std::move(on_step), every, std::move(on_epoch));
  RunOptions options;
  options.resume = resume;
  options.stop = &stop;
  options.observers.push_back(&observer);
  RunOutcome out;
  {
    py::gil_scoped_release release;
    out = execute_run(g.graph, g.session->registry(), run, options);
  }
  observer.rethrow();
  return outcome_dict(out, run, observer.stopped_by_callback());
}

}  // namespace

void bind_train(py::module_& m) {
  m.def("train", &train_in, py::arg("graph"), py::arg("run_dir"), py::arg("resume"), py::arg("on_step"),
        py::arg("every"), py::arg("on_epoch"));
  m.def(
      "new_run_directory",
      [](const std::string& root, const std::string& name) { return RunDirectory::create(root, name).path(); },
      py::arg("root"), py::arg("graph_name"));
}

}  // namespace biornn::python
