// How busy the machine's CPUs are with other work, to warn before a multi-threaded run that
// would wait on a contended core (each thread takes a fixed share of every minibatch).
#pragma once

#include <optional>
#include <string>

namespace biornn {

// Busy CPUs (0..number of CPUs) between two snapshots of /proc/stat's aggregate "cpu" line
// ("cpu  user nice system idle iowait irq softirq steal ..."): the non-idle share of the
// elapsed jiffies times `cpus`. Empty when a snapshot cannot be parsed or no time passed.
std::optional<double> busy_cpus_between(const std::string& before, const std::string& after, int cpus);

// Samples /proc/stat over `seconds` while this process sleeps; empty where it is unreadable.
std::optional<double> busy_cpus_now(double seconds = 0.2);

// The warning for a run about to use `threads` compute threads on `cpus` CPUs while `busy`
// of them are busy with other work, or "" when there is no contention to speak of.
std::string contention_warning(double busy, int threads, int cpus);

}  // namespace biornn
