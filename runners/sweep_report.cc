#include "runners/sweep_report.h"

#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "core/plots/plot.h"
#include "core/experiment/run.h"

namespace biornn {

SweepRow read_sweep_row(const SweepJob& job, const std::string& run_dir) {
  SweepRow r{job.label, job.group, run_dir, "missing", {}};
  if (auto s = read_summary_json(run_dir + "/summary.json")) {
    r.summary = *s;
    r.status = s->status;
  }
  return r;
}

namespace {

struct GroupStats {
  size_t runs = 0;
  double mean = 0, sd = 0, lo = 0, hi = 0, speed = 0;
};

GroupStats group_stats(const std::vector<double>& v, const std::vector<double>& speed) {
  GroupStats g;
  g.runs = v.size();
  g.lo = 1e300;
  g.hi = -1e300;
  double sq = 0;
  for (double x : v) {
    g.mean += x / v.size();
    g.lo = std::min(g.lo, x);
    g.hi = std::max(g.hi, x);
  }
  for (double x : v) sq += (x - g.mean) * (x - g.mean);
  g.sd = v.size() > 1 ? std::sqrt(sq / (v.size() - 1)) : 0.0;
  for (double x : speed) g.speed += x / speed.size();
  return g;
}

std::string runs_csv(const std::vector<SweepRow>& rows) {
  std::ostringstream o;
  o << "label,group,status,test_accuracy,validation_accuracy,train_loss,samples_per_second,run_dir\n";
  for (const auto& r : rows)
    o << '"' << r.label << "\",\"" << r.group << "\"," << r.status << "," << r.summary.test_accuracy << ","
      << r.summary.validation_accuracy << "," << r.summary.train_loss << "," << r.summary.samples_per_second << ","
      << r.run_dir << "\n";
  return o.str();
}

}  // namespace

std::string write_sweep_report(const SweepPlan& plan, const std::vector<SweepRow>& rows, const std::string& dir) {
  std::map<std::string, std::vector<double>> by_group, speed_by_group;
  std::vector<std::string> group_order;
  for (const auto& r : rows) {
    if (r.summary.status.empty()) continue;  // no summary.json yet
    const double value = plan.metric == "test_accuracy" ? r.summary.test_accuracy : r.summary.validation_accuracy;
    const double speed = std::isfinite(r.summary.samples_per_second) ? r.summary.samples_per_second : 0.0;
    if (!by_group.count(r.group)) group_order.push_back(r.group);
    by_group[r.group].push_back(value);
    speed_by_group[r.group].push_back(speed);
  }
  const std::string& metric = plan.metric;
  std::ostringstream md, csv;
  md << "| setting | runs | " << metric << " mean | std | min | max | samples/s |\n|---|---|---|---|---|---|---|\n";
  csv << "setting,runs," << metric << "_mean," << metric << "_std,min,max,samples_per_second\n";
  std::vector<double> means, stds;
  for (const auto& name : group_order) {
    const GroupStats g = group_stats(by_group[name], speed_by_group[name]);
    char row[512];
    std::snprintf(row, sizeof row, "| %s | %zu | %.2f%% | %.2f | %.2f%% | %.2f%% | %.0f |\n", name.c_str(), g.runs,
                  100 * g.mean, 100 * g.sd, 100 * g.lo, 100 * g.hi, g.speed);
    md << row;
    csv << '"' << name << "\"," << g.runs << "," << g.mean << "," << g.sd << "," << g.lo << "," << g.hi << ","
        << g.speed << "\n";
    means.push_back(100 * g.mean);
    stds.push_back(100 * g.sd);
  }
  const auto out = RunDirectory::at(dir);
  out.write_text("runs.csv", runs_csv(rows));
  out.write_text("summary.md", "# Sweep " + plan.name + "\n\nGraph: " + plan.graph_file + "\n\n" + md.str());
  out.write_text("summary.csv", csv.str());
  write_figure(out.path(), "summary", bar_chart("Sweep " + plan.name, group_order, means, stds, metric + " (%)"));
  return md.str();
}

}  // namespace biornn
