// What the Python objects hold: a parsed graph, and a model built from one, each with the
// Session whose registry and plugin libraries they need.
#pragma once

#include <memory>

#include "core/experiment/graph.h"
#include "core/experiment/trainer.h"
#include "python/src/session.h"

namespace biornn::python {

struct GraphHandle {
  std::shared_ptr<Session> session;
  Graph graph;
};

// An experiment (dataset, compute context, model, optimizer) built from a graph, not trained
// by a run: parameters, forward passes, one step, analysis. Declared after the session, so
// the plugin objects go before their libraries.
struct ModelHandle {
  std::shared_ptr<Session> session;
  Graph graph;
  std::unique_ptr<Experiment> experiment;
  bool data_loaded = false;
};

}  // namespace biornn::python
