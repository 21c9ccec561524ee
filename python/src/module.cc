// The extension module biornn._biornn: one Python exception class for biornn::Error, and the
// bindings of each area. The Python package (python/biornn/) is the public API.
#include <pybind11/pybind11.h>

#include "core/sdk/error.h"
#include "python/src/bind.h"

PYBIND11_MODULE(_biornn, m) {
  m.doc() = "biornn's C++ core (use the biornn package, not this module)";
  // A ValueError, so code that catches bad values catches bad graphs; its message is the CLI's
  // one line with file:line:column.
  pybind11::register_exception<biornn::Error>(m, "Error", PyExc_ValueError);
  biornn::python::bind_graph(m);
  biornn::python::bind_train(m);
  biornn::python::bind_model(m);
}
