// Fixed points of a recurrent map (Sussillo & Barak 2013; Golub & Sussillo 2018): minimise
// q(h) = 1/2 |F(h) - h|^2 from many starting states with a decaying Adam step, polish each end by
// Newton's method with a line search, drop outliers, merge duplicates, and describe each point by
// its Jacobian's eigen-decomposition and its input Jacobian dF/dx.
#pragma once

#include <Eigen/Dense>
#include <complex>
#include <cstdint>
#include <vector>

namespace biornn {

// A map F on states of dimension D, with exact vector-Jacobian products. The fixed-point
// finder needs nothing else (see LayerStepMap in core/analysis/analysis.h for a trained layer's step).
class StateMap {
 public:
  virtual ~StateMap() = default;
  virtual int dimension() const = 0;
  // f [n, D] = F(h) for each of the n rows of h [n, D].
  virtual void apply(const float* h, int n, float* f) = 0;
  // After apply(h, n, f): g [n, D] = (dF/dh at row i)^T v_i for each row (v [n, D]).
  virtual void vector_jacobian(const float* v, int n, float* g) = 0;
  // The size F of the input x held during the search (0: the map has no input).
  virtual int inputs() const { return 0; }
  // After apply(h, n, f): g [n, F] = (dF/dx at row i)^T v_i. Called only when inputs() > 0.
  virtual void input_vector_jacobian(const float* v, int n, float* g);
};

struct FixedPointOptions {
  int iterations = 4000;              // Adam steps at most
  double learning_rate = 0.01;        // Adam's initial step size on h (each start adapts its own)
  double final_learning_rate = 1e-4;  // the step's ceiling decays geometrically to this at the last step
  double tolerance = 1e-8;            // q below this after polishing: a fixed point
  int newton_iterations = 20;         // Newton steps at most per end (0: no polishing)
  double newton_from = 1e-3;          // Adam ends with q above this are not polished (not near a point)
  double merge_distance = 1e-3;       // points closer than this (Euclidean) are one point
  double outlier_scale = 2;           // farther from the starts' centroid than this many times their
                                      // mean distance to it: an outlier, dropped (trained flip-flops:
                                      // true points within 1x, trajectories within 1.6x, the saturated
                                      // pseudo-points Newton can reach at 4x and beyond)
  double unit_tolerance = 1e-3;       // |lambda| > 1 + this: an unstable mode
};

struct FixedPoint {
  std::vector<float> state;                       // [D]
  double q = 0;                                   // 1/2 |F(h) - h|^2 there
  std::vector<std::complex<double>> eigenvalues;  // of dF/dh, by decreasing modulus
  Eigen::MatrixXcd right;                         // [D, D]: column k = right eigenvector of eigenvalue k
  Eigen::MatrixXcd left;                          // [D, D]: row k = left eigenvector, left.row(k) * right.col(k) = 1
  Eigen::MatrixXd jacobian;                       // [D, D] dF/dh (row i = dF_i/dh)
  Eigen::MatrixXd input_jacobian;                 // [D, F] dF/dx (empty when the map has no input)
  int unstable = 0;                               // eigenvalues with |lambda| > 1 + unit_tolerance
  int starts = 0;                                 // how many starts converged to it
  bool stable() const { return unstable == 0; }
};

struct FixedPointSearch {
  std::vector<FixedPoint> points;  // distinct fixed points, by number of unstable modes
  std::vector<double> adam_q;      // [starts]: q where each start's Adam descent ended
  std::vector<double> final_q;     // [starts]: q after Newton polishing (= adam_q when not polished)
  int converged = 0;               // starts that reached q < tolerance
  int outliers = 0;                // converged starts dropped as outliers (or not finite)
};

// Runs Adam on q from each of the n rows of `starts` ([n, D]) together, polishes the ends by
// Newton steps, keeps those with q < tolerance that are not outliers, merges those within
// merge_distance (keeping the lowest q) and describes them.
FixedPointSearch find_fixed_points(StateMap& map, const std::vector<float>& starts, int n,
                                   const FixedPointOptions& options);

// Newton's method with a backtracking line search on q from each of the n rows of h ([n, D]),
// in place; q of each row at the end in *q. Steps solve (J - I) dh = -(F(h) - h) in the least-
// squares sense (a minimum-norm step where J - I is singular, e.g. on a line attractor).
void newton_polish(StateMap& map, std::vector<float>* h, int n, int iterations, std::vector<double>* q);

// dF/dh at h ([D, D], row i = dF_i/dh), from D vector-Jacobian products.
Eigen::MatrixXd jacobian(StateMap& map, const float* h);
// The same at each of the n rows of h ([n, D]).
std::vector<Eigen::MatrixXd> jacobians(StateMap& map, const float* h, int n);
// dF/dx at h ([D, F]), from D input vector-Jacobian products (needs map.inputs() > 0).
Eigen::MatrixXd input_jacobian(StateMap& map, const float* h);

// q(h) = 1/2 |F(h) - h|^2 of each of the n rows of h.
std::vector<double> speeds(StateMap& map, const float* h, int n);

}  // namespace biornn
