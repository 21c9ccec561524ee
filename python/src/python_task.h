// Dataset "python_task": trials written in Python. The graph names a module and a class (and
// JSON keyword arguments); the object must look like biornn.Task (python/biornn/tasks.py):
// attributes steps, features, outputs, target ("value", "class" or "sequence_class"),
// condition_names, and batch(indices, split, seed) returning time-major NumPy arrays. Trials
// are derived from (seed, split, index) by the object, so a trial is the same in any batch.
#pragma once

#include "core/sdk/registry.h"

namespace biornn::python {

// Adds the python_task dataset to `registry` (a Session's; the CLI runners do not have it).
void register_python_task(Registry& registry);

}  // namespace biornn::python
