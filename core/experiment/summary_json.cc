#include "core/experiment/summary_json.h"

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/sdk/error.h"

namespace biornn {

using nlohmann::json;

RunSummary::RunSummary()
    : test_accuracy(std::nan("")),
      validation_accuracy(std::nan("")),
      train_loss(std::nan("")),
      test_loss(std::nan("")),
      samples_per_second(std::nan("")),
      seconds(std::nan("")),
      seconds_to_target(std::nan("")),
      steps_to_target(std::nan("")),
      wall_seconds_to_target(std::nan("")) {}

std::string summary_json(const std::string& graph_name, const std::string& status, const TrainResult& r,
                         int64_t parameters, const std::string& message) {
  json o = json::object();
  o["graph"] = graph_name;
  o["status"] = status;
  if (!message.empty()) o["message"] = message;
  o["parameters"] = parameters;
  o["epochs"] = r.epochs.size();
  if (!r.epochs.empty()) {
    const auto& m = r.epochs.back();
    size_t best = 0;
    for (size_t i = 0; i < r.epochs.size(); ++i)
      if (r.epochs[i].validation_accuracy > r.epochs[best].validation_accuracy) best = i;
    double sps = 0, secs = 0;
    for (const auto& e : r.epochs) {
      sps += e.samples_per_second;
      secs += e.seconds;
    }
    o["test_accuracy"] = m.test_accuracy;
    o["validation_accuracy"] = m.validation_accuracy;
    o["train_loss"] = m.train_loss;
    o["test_loss"] = m.test_loss;
    o["best_validation_epoch"] = r.epochs[best].epoch;
    o["best_validation_accuracy"] = r.epochs[best].validation_accuracy;
    o["test_accuracy_at_best_validation"] = r.epochs[best].test_accuracy;
    o["samples_per_second"] = sps / r.epochs.size();
    o["seconds"] = secs;
  }
  o["interrupted"] = r.interrupted;
  if (r.reached_target) {
    o["seconds_to_target"] = r.seconds_to_target;
    o["steps_to_target"] = r.steps_to_target;
    o["wall_seconds_to_target"] = r.wall_seconds_to_target;
  }
  // Bytes that are not UTF-8 (a message quoting a binary file) become U+FFFD instead of throwing.
  return o.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

namespace {

double number_or_nan(const json& o, const char* key) {
  const auto it = o.find(key);
  return it != o.end() && it->is_number() ? it->get<double>() : std::nan("");
}

RunSummary from_object(const json& o) {
  RunSummary s;
  s.graph = o.value("graph", "");
  s.status = o["status"].get<std::string>();
  s.message = o.value("message", "");
  s.parameters = o.value("parameters", int64_t(0));
  s.epochs = o.value("epochs", 0);
  s.interrupted = o.value("interrupted", false);
  s.test_accuracy = number_or_nan(o, "test_accuracy");
  s.validation_accuracy = number_or_nan(o, "validation_accuracy");
  s.train_loss = number_or_nan(o, "train_loss");
  s.test_loss = number_or_nan(o, "test_loss");
  s.samples_per_second = number_or_nan(o, "samples_per_second");
  s.seconds = number_or_nan(o, "seconds");
  s.seconds_to_target = number_or_nan(o, "seconds_to_target");
  s.steps_to_target = number_or_nan(o, "steps_to_target");
  s.wall_seconds_to_target = number_or_nan(o, "wall_seconds_to_target");
  return s;
}

}  // namespace

RunSummary parse_summary_json(const std::string& text, const std::string& where) {
  json o;
  try {
    o = json::parse(text);
  } catch (const json::parse_error& e) {
    throw Error(where + ": malformed summary.json (" + e.what() + "); delete it to let the run be redone");
  }
  if (!o.is_object() || !o.contains("status") || !o["status"].is_string())
    throw Error(where + ": summary.json has no \"status\" string; delete it to let the run be redone");
  try {
    return from_object(o);
  } catch (const json::exception& e) {
    throw Error(where + ": summary.json has a field of the wrong type (" + e.what() + "); delete it to redo the run");
  }
}

std::optional<RunSummary> read_summary_json(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return std::nullopt;
  const std::string text((std::istreambuf_iterator<char>(f)), {});
  return parse_summary_json(text, path);
}

}  // namespace biornn
