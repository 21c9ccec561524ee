// Datasets of the Yang et al. 2019 task family (plugins/datasets/common/ring_task.h): each task
// alone under its own name (fdgo, reactgo, ..., dmcnogo), and `multitask`, a mix of any of them
// with a one-hot rule input per trial and a mixing ratio per task.
#include <memory>

#include "core/sdk/error.h"
#include "core/sdk/plugin_api.h"
#include "plugins/datasets/common/ring_task.h"

namespace biornn::datasets {
namespace {

// The mix's ratios: one per task (default: equal).
std::vector<double> ratios_of(const Options& o, size_t tasks) {
  if (o.get_numbers("ratios").empty()) return std::vector<double>(tasks, 1.0);
  std::vector<double> r = o.get_numbers("ratios");
  if (r.size() != tasks)
    throw Error(o.where("ratios"), "ratios: " + std::to_string(r.size()) + " numbers for " + std::to_string(tasks) +
                                       " tasks (give one per task, in the order of `tasks`)");
  return r;
}

std::unique_ptr<Dataset> make_mix(const Options& o) {
  std::vector<int> tasks = ring_tasks_of(o, "tasks");
  std::vector<double> ratios = ratios_of(o, tasks.size());
  return std::make_unique<RingTask>("multitask", o, std::move(tasks), std::move(ratios));
}

void register_tasks(Registry* registry) {
  OptionSchema mix;
  add_ring_options(mix);
  mix.add_strings("tasks", ring_task_names(), "the tasks mixed (each trial is one of them)");
  mix.add_numbers("ratios", {}, "relative frequency of each task, in the order of `tasks` (empty: equal)", 0, 1e6);
  registry->add<Dataset>("multitask",
                         "Yang et al. 2019: many cognitive tasks in one network, a one-hot rule input per trial "
                         "(classes 0 fixate, 1.. directions)",
                         mix, &make_mix);
  const std::vector<std::string>& names = ring_task_names();
  for (size_t k = 0; k < names.size(); ++k) {
    OptionSchema one;
    add_ring_options(one);
    const std::string name = names[k];
    registry->add<Dataset>(name, "Yang et al. 2019 task " + name + " alone (see docs/tasks.md)", one,
                           [name, k](const Options& o) -> std::unique_ptr<Dataset> {
                             return std::make_unique<RingTask>(name, o, std::vector<int>{int(k)},
                                                               std::vector<double>{1.0});
                           });
  }
}

}  // namespace
}  // namespace biornn::datasets

BIORNN_PLUGIN("multitask", "1.0", &biornn::datasets::register_tasks)
