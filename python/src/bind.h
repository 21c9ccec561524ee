// The binding files, one per area; module.cc calls each.
#pragma once

#include <pybind11/pybind11.h>

namespace biornn::python {

void bind_graph(pybind11::module_& m);  // Session, Graph, the plugin catalogue
void bind_train(pybind11::module_& m);  // training into a run directory, with callbacks
void bind_model(pybind11::module_& m);  // models in memory: parameters, forward, step, analysis

}  // namespace biornn::python
