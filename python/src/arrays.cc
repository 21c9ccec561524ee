#include "python/src/arrays.h"

#include <cmath>

namespace biornn::python {

std::string shape_text(const Shape& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + (shape[i] < 0 ? std::string("any") : std::to_string(shape[i]));
  return s + (shape.size() == 1 ? ",)" : ")");
}

namespace {

py::array as_array(py::handle obj) { return py::module_::import("numpy").attr("asarray")(obj); }

void check_shape(const py::array& a, const std::string& what, const Shape& shape) {
  const Shape got(a.shape(), a.shape() + a.ndim());
  bool ok = got.size() == shape.size();
  for (size_t i = 0; ok && i < shape.size(); ++i) ok = shape[i] < 0 || shape[i] == got[i];
  if (!ok) throw py::value_error(what + ": expected shape " + shape_text(shape) + ", got " + shape_text(got));
}

}  // namespace

FloatArray float_array(py::handle obj, const std::string& what, const Shape& shape, bool exact_float32) {
  const py::array a = as_array(obj);
  const char kind = a.dtype().kind();
  const std::string dtype = py::str(a.dtype());
  if (exact_float32 ? dtype != "float32" : kind != 'f')
    throw py::type_error(what + ": expected a " + (exact_float32 ? "float32" : "floating-point") +
                         " array, got dtype " + dtype +
                         (exact_float32 ? " (convert with .astype(numpy.float32))" : ""));
  check_shape(a, what, shape);
  // The dtype was checked above: this cast (e.g. float64 -> float32) is what the caller asked for.
  FloatArray f = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(a);
  if (!f) throw py::error_already_set();
  const float* v = f.data();
  for (py::ssize_t i = 0; i < f.size(); ++i)
    if (!std::isfinite(v[i]))
      throw py::value_error(what + ": holds " + (std::isnan(v[i]) ? "NaN" : "inf") + " at flat index " +
                            std::to_string(i) + " (every value must be finite)");
  return f;
}

py::array_t<int32_t, py::array::c_style> label_array(py::handle obj, const std::string& what, const Shape& shape,
                                                     int classes) {
  const py::array a = as_array(obj);
  const char kind = a.dtype().kind();
  if (kind != 'i' && kind != 'u')
    throw py::type_error(what + ": expected an integer array of class labels, got dtype " +
                         std::string(py::str(a.dtype())));
  check_shape(a, what, shape);
  auto labels = py::array_t<int32_t, py::array::c_style>::ensure(a.attr("astype")("int32"));
  const int32_t* v = labels.data();
  for (py::ssize_t i = 0; i < labels.size(); ++i)
    if (v[i] < 0 || v[i] >= classes)
      throw py::value_error(what + ": label " + std::to_string(v[i]) + " at flat index " + std::to_string(i) +
                            " is not a class in [0, " + std::to_string(classes) + ")");
  return labels;
}

}  // namespace biornn::python
