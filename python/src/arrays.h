// NumPy at the boundary: arrays checked for dtype, shape and finiteness before the engine reads
// them, and copies of engine buffers handed back as NumPy arrays.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

namespace biornn::python {

namespace py = pybind11;
using FloatArray = py::array_t<float, py::array::c_style>;
using Shape = std::vector<py::ssize_t>;

// "(64, 3)"; an extent of -1 is written "any".
std::string shape_text(const Shape& shape);

// `obj` as a C-contiguous float32 array after checking it: a NumPy array of a real floating
// dtype (float32 only when `exact_float32`, else float16/32/64 are converted), of `shape`
// (-1: any extent), every value finite. TypeError (dtype) or ValueError (shape, NaN/inf), both
// naming `what`.
FloatArray float_array(py::handle obj, const std::string& what, const Shape& shape, bool exact_float32 = false);

// Integer labels of `shape`, each in [0, classes): ValueError or TypeError naming `what`.
py::array_t<int32_t, py::array::c_style> label_array(py::handle obj, const std::string& what, const Shape& shape,
                                                     int classes);

// A new NumPy array of `shape` holding a copy of `data`.
template <class T>
py::array_t<T> copy_to_numpy(const T* data, const Shape& shape) {
  py::array_t<T> out(shape);
  std::copy(data, data + out.size(), out.mutable_data());
  return out;
}

}  // namespace biornn::python
