#include "core/platform/cpu_load.h"

#include <unistd.h>

#include <chrono>
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace biornn {

namespace {

// user, nice, system, idle, iowait, irq, softirq, steal of the aggregate line.
bool parse(const std::string& line, unsigned long long& idle, unsigned long long& total) {
  std::istringstream in(line);
  std::string name;
  if (!(in >> name) || name != "cpu") return false;
  std::vector<unsigned long long> v;
  unsigned long long x;
  while (v.size() < 8 && in >> x) v.push_back(x);
  if (v.size() < 4) return false;
  idle = v[3] + (v.size() > 4 ? v[4] : 0);  // idle + iowait
  total = 0;
  for (auto y : v) total += y;
  return true;
}

std::string first_line(const char* path) {
  std::ifstream f(path);
  std::string line;
  std::getline(f, line);
  return line;
}

}  // namespace

std::optional<double> busy_cpus_between(const std::string& before, const std::string& after, int cpus) {
  unsigned long long i0, t0, i1, t1;
  if (!parse(before, i0, t0) || !parse(after, i1, t1) || t1 <= t0 || i1 < i0) return std::nullopt;
  const double idle = double(i1 - i0) / double(t1 - t0);
  return (1.0 - idle) * cpus;
}

std::optional<double> busy_cpus_now(double seconds) {
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  const std::string before = first_line("/proc/stat");
  if (before.empty() || cpus <= 0) return std::nullopt;
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  return busy_cpus_between(before, first_line("/proc/stat"), int(cpus));
}

std::string contention_warning(double busy, int threads, int cpus) {
  if (threads < 2 || busy < 0.5 || threads + busy <= cpus + 0.25) return "";
  char text[512];
  std::snprintf(text, sizeof text,
                "warning: other processes keep %.1f of the %d CPUs busy. With %d threads each thread takes a "
                "fixed share of every minibatch, so the run waits for the slowest core and can be several "
                "times slower (measured on 2 cores with one kept busy: 3.6x). Use --set train.threads=%d, "
                "or stop the other work.",
                busy, cpus, threads, std::max(1, cpus - int(busy + 0.5)));
  return text;
}

}  // namespace biornn
