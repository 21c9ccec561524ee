#include "runners/sweep_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>
#include <sstream>

#include "core/experiment/run.h"
#include "core/plots/plot.h"

namespace biornn {

SweepRow read_sweep_row(const SweepJob& job, const std::string& run_dir) {
  SweepRow r{job.label, job.group, run_dir, job.seed, "missing", {}};
  if (auto s = read_summary_json(run_dir + "/summary.json")) {
    r.summary = *s;
    r.status = s->status;
  }
  return r;
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The two-sided 95% quantile of Student's t with `dof` degrees of freedom.
double t_quantile(size_t dof) { return boost::math::quantile(boost::math::students_t(double(dof)), 0.975); }

}  // namespace

ArmStats arm_stats(const std::vector<double>& v) {
  ArmStats s;
  s.n = v.size();
  if (v.empty()) return {0, kNaN, kNaN, kNaN, kNaN};
  for (double x : v) s.mean += x / double(v.size());
  double sq = 0;
  for (double x : v) sq += (x - s.mean) * (x - s.mean);
  s.sd = v.size() > 1 ? std::sqrt(sq / double(v.size() - 1)) : kNaN;
  const double half = v.size() > 1 ? t_quantile(v.size() - 1) * s.sd / std::sqrt(double(v.size())) : kNaN;
  s.low = s.mean - half;
  s.high = s.mean + half;
  return s;
}

PairedDifference paired_difference(const std::map<int64_t, double>& control, const std::map<int64_t, double>& arm) {
  std::vector<double> d;
  for (const auto& [seed, value] : arm)
    if (const auto it = control.find(seed); it != control.end()) d.push_back(value - it->second);
  PairedDifference r{arm_stats(d), kNaN, kNaN};
  if (d.size() < 2) return r;
  const double se = r.difference.sd / std::sqrt(double(d.size()));
  if (se == 0) {  // every pair differs by the same amount
    r.t = r.difference.mean == 0 ? 0 : std::copysign(INFINITY, r.difference.mean);
    r.p = r.difference.mean == 0 ? 1 : 0;
    return r;
  }
  r.t = r.difference.mean / se;
  r.p = 2 * boost::math::cdf(boost::math::complement(boost::math::students_t(double(d.size() - 1)), std::abs(r.t)));
  return r;
}

namespace {

bool covered(const std::string& key, const std::vector<std::string>& varies) {
  for (const auto& v : varies)
    if (key == v || (key.rfind(v, 0) == 0 && (key[v.size()] == '.' || key[v.size()] == '['))) return true;
  return false;
}

}  // namespace

std::vector<KeyDifference> graph_differences(const std::string& control_toml, const std::string& arm_toml,
                                             const std::vector<std::string>& varies) {
  const auto control = flatten_graph_toml(control_toml), arm = flatten_graph_toml(arm_toml);
  std::set<std::string> keys;
  for (const auto& m : {control, arm})
    for (const auto& [k, v] : m) keys.insert(k);
  std::vector<KeyDifference> r;
  for (const auto& k : keys) {
    if (k == "train.seed" || k == "name" || k == "description") continue;
    const auto c = control.find(k), a = arm.find(k);
    const std::string cv = c == control.end() ? "(absent)" : c->second, av = a == arm.end() ? "(absent)" : a->second;
    if (cv != av) r.push_back({k, cv, av, !covered(k, varies)});
  }
  return r;
}

namespace {

// One arm of the table: its finished runs' metric by seed, speeds, and its first job's graph.
struct Arm {
  std::string name, control;  // its group, and the group it is compared with
  std::map<int64_t, double> by_seed;
  std::vector<double> speeds;
  std::vector<double> seconds_to_target, steps_to_target;  // of the runs that reached train.target
  const Graph* graph = nullptr;
};

double metric_of(const SweepPlan& plan, const RunSummary& s) {
  return plan.metric == "test_accuracy" ? s.test_accuracy : s.validation_accuracy;
}

// The arms in the order of the sweep file, each with the runs that finished.
std::vector<Arm> collect_arms(const SweepPlan& plan, const std::vector<SweepRow>& rows) {
  std::vector<Arm> arms;
  for (size_t i = 0; i < rows.size(); ++i) {
    const SweepRow& r = rows[i];
    auto it = std::find_if(arms.begin(), arms.end(), [&](const Arm& a) { return a.name == r.group; });
    if (it == arms.end())
      it = arms.insert(arms.end(), Arm{r.group, plan.jobs[i].control, {}, {}, {}, {}, &plan.jobs[i].graph});
    if (!r.summary.finished()) continue;
    it->by_seed[r.seed] = metric_of(plan, r.summary);
    if (std::isfinite(r.summary.samples_per_second)) it->speeds.push_back(r.summary.samples_per_second);
    if (std::isfinite(r.summary.seconds_to_target)) {
      it->seconds_to_target.push_back(r.summary.seconds_to_target);
      it->steps_to_target.push_back(r.summary.steps_to_target);
    }
  }
  return arms;
}

std::vector<double> values_of(const std::map<int64_t, double>& m) {
  std::vector<double> v;
  for (const auto& [seed, x] : m) v.push_back(x);
  return v;
}

double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x / double(v.size());
  return v.empty() ? 0.0 : s;
}

std::string percent(double x) { return std::isfinite(x) ? fmt::format("{:.2f}", 100 * x) : std::string("n/a"); }
std::string interval(const ArmStats& s) {
  return std::isfinite(s.low) ? "[" + percent(s.low) + ", " + percent(s.high) + "]" : std::string("n/a");
}
std::string p_text(double p) {
  return !std::isfinite(p) ? std::string("n/a") : p < 1e-4 ? std::string("<1e-4") : fmt::format("{:.4f}", p);
}

// "key: control -> arm; ..." for the varied keys, or for the confounds.
std::string differences_text(const std::vector<KeyDifference>& diffs, bool confounds) {
  std::string s;
  for (const auto& d : diffs)
    if (d.confound == confounds) s += (s.empty() ? "" : "; ") + d.key + ": " + d.control + " -> " + d.arm;
  return s.empty() ? (confounds ? "none" : "-") : s;
}

// "k/n runs, mean s (steps)" to train.target, or "-" when the arm's graph sets none.
std::string to_target_text(const Arm& arm) {
  if (arm.graph->train.get_float("target") <= 0) return "-";
  std::string s = fmt::format("{}/{}", arm.seconds_to_target.size(), arm.by_seed.size());
  if (!arm.seconds_to_target.empty())
    s += fmt::format(", {:.1f} s ({:.0f} steps)", mean_of(arm.seconds_to_target), mean_of(arm.steps_to_target));
  return s;
}

std::string csv_field(std::string s) {
  for (size_t i = s.find('"'); i != std::string::npos; i = s.find('"', i + 2)) s.insert(i, "\"");
  return '"' + s + '"';
}

std::string runs_csv(const std::vector<SweepRow>& rows) {
  std::ostringstream o;
  o << "label,group,seed,status,test_accuracy,validation_accuracy,train_loss,samples_per_second,run_dir\n";
  for (const auto& r : rows)
    o << csv_field(r.label) << "," << csv_field(r.group) << "," << r.seed << "," << r.status << ","
      << r.summary.test_accuracy << "," << r.summary.validation_accuracy << "," << r.summary.train_loss << ","
      << r.summary.samples_per_second << "," << r.run_dir << "\n";
  return o.str();
}

// The runs left out of the table (not finished), each with its status and message.
std::string unfinished_text(const std::vector<SweepRow>& rows) {
  std::string s;
  for (const auto& r : rows)
    if (!r.summary.finished())
      s += "- " + r.label + ": " + r.status + (r.summary.message.empty() ? "" : " (" + r.summary.message + ")") + "\n";
  return s.empty() ? s : "\nNot in the table (unfinished runs):\n\n" + s;
}

struct Tables {
  std::string md, csv;
  std::vector<std::string> names;
  std::vector<double> means, half_widths;
};

void add_arm(const Arm& arm, const Arm& control, const SweepPlan& plan, Tables& t) {
  const ArmStats s = arm_stats(values_of(arm.by_seed));
  const bool is_control = arm.name == control.name;
  const PairedDifference d = is_control ? PairedDifference{{0, kNaN, kNaN, kNaN, kNaN}, kNaN, kNaN}
                                        : paired_difference(control.by_seed, arm.by_seed);
  std::vector<std::string> chosen = plan.varies;  // what may differ: the varied keys and the tuned ones
  chosen.insert(chosen.end(), plan.tuned.begin(), plan.tuned.end());
  const auto diffs = graph_differences(control.graph->resolved_toml, arm.graph->resolved_toml, chosen);
  const double speed = mean_of(arm.speeds);
  t.md += fmt::format("| {}{} | {} | {} | {} | {} | {} | {} | {} | {} | {:.0f} | {} | {} | {} |\n", arm.name,
                      is_control                     ? " (control)"
                      : control.name == plan.control ? ""
                                                     : " (vs " + control.name + ")",
                      s.n, percent(s.mean), percent(s.sd), interval(s), is_control ? "-" : percent(d.difference.mean),
                      is_control ? "-" : interval(d.difference), is_control ? "-" : std::to_string(d.difference.n),
                      is_control ? "-" : p_text(d.p), speed, to_target_text(arm), differences_text(diffs, false),
                      differences_text(diffs, true));
  t.csv += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", csv_field(arm.name), s.n, s.mean, s.sd,
                       s.low, s.high, d.difference.n, d.difference.mean, d.difference.low, d.difference.high, d.t, d.p,
                       csv_field(to_target_text(arm)), csv_field(differences_text(diffs, false)),
                       csv_field(differences_text(diffs, true)), speed);
  t.names.push_back(arm.name);
  t.means.push_back(100 * s.mean);
  t.half_widths.push_back(std::isfinite(s.high) ? 100 * (s.high - s.mean) : 0.0);
}

std::string tuned_text(const SweepPlan& plan) {
  if (plan.tuned.empty()) return "";
  std::string keys;
  for (const auto& k : plan.tuned) keys += (keys.empty() ? "" : ", ") + k;
  return "Tuned: " + keys + ", each arm at the best trial of its own Optuna study (runs/" + plan.name +
         "/search/<arm>/best.json, the same budget for every arm); listed with the varied keys.\n\n";
}

// Whether every arm has the one control, or each the arm with the control's value and its own others.
std::string control_scope(const SweepPlan& plan) {
  for (const auto& j : plan.jobs)
    if (j.control != plan.control)
      return " (a value of a varied key: each arm against the arm with that value and the arm's other values)";
  return " (an arm)";
}

std::string header(const SweepPlan& plan) {
  std::string varies;
  for (const auto& v : plan.varies) varies += (varies.empty() ? "" : ", ") + v;
  return "# Sweep " + plan.name + "\n\nGraph: " + plan.graph_file +
         "\n\nVaries: " + (varies.empty() ? "(nothing)" : varies) +
         (plan.varies_stated ? " (stated in the sweep file)" : " (not stated: the [sweep.vary] keys)") +
         "; control: " + plan.control + control_scope(plan) + "\n\n" + tuned_text(plan) + "Metric: " + plan.metric +
         " in %, over finished runs only; 95% CI from Student's t; the paired difference is arm - control over "
         "the seeds both finished, with a paired t-test. A confound is a resolved-graph key that differs from "
         "the control but is not varied.\n\n";
}

}  // namespace

std::string write_sweep_report(const SweepPlan& plan, const std::vector<SweepRow>& rows, const std::string& dir) {
  const std::vector<Arm> arms = collect_arms(plan, rows);
  Tables t;
  t.md = "| arm | runs | " + plan.metric +
         " mean | std | 95% CI | paired diff vs control | 95% CI of diff | pairs | p (paired t) | samples/s | "
         "reached target, time (steps) | differs from control (varied) | confounds (differ, not varied) |\n"
         "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  t.csv =
      "arm,runs,mean,std,ci_low,ci_high,pairs,diff_mean,diff_ci_low,diff_ci_high,t,p,to_target,differs,"
      "confounds,samples_per_second\n";
  for (const Arm& a : arms) {
    const auto control = std::find_if(arms.begin(), arms.end(), [&](const Arm& c) { return c.name == a.control; });
    add_arm(a, control == arms.end() ? arms.front() : *control, plan, t);
  }
  const std::string md = header(plan) + t.md + unfinished_text(rows);
  const auto out = RunDirectory::at(dir);
  out.write_text("runs.csv", runs_csv(rows));
  out.write_text("summary.md", md);
  out.write_text("summary.csv", t.csv);
  write_figure(
      out.path(), "summary",
      bar_chart("Sweep " + plan.name + " (error bars: 95% CI)", t.names, t.means, t.half_widths, plan.metric + " (%)"));
  return md;
}

}  // namespace biornn
