//! L2-regularised logistic regression by Newton's method (IRLS), on a small dense problem.
//!
//! Written here rather than taken from `ndarray`/`linfa`: `scoreline fit` solves one problem
//! of at most a few dozen features (one per clause), where the work is the pass over the
//! contacts that builds the gradient and the Hessian; a k×k Cholesky factorisation is a
//! few lines. The tests compare it with a published result (Spector and Mazzeo's data, as
//! fitted by statsmodels and in Greene's *Econometric Analysis*).

/// A fitted model: the intercept and one coefficient per feature, with their covariance.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub intercept: f64,
    pub coefficients: Vec<f64>,
    /// Each coefficient's standard error (from the inverse of the penalised Hessian).
    pub std_errors: Vec<f64>,
    /// Newton iterations taken.
    pub iterations: usize,
    /// Whether the iterations converged (the largest step below the tolerance).
    pub converged: bool,
}

/// A dense symmetric positive definite matrix's Cholesky factor `L` (`A = L Lᵀ`), row-major
/// lower triangle in a `n × n` buffer.
#[derive(Debug, Clone, PartialEq)]
pub struct Cholesky {
    n: usize,
    l: Vec<f64>,
}

impl Cholesky {
    /// Factors the `n × n` row-major matrix `a`; `None` when it is not positive definite.
    pub fn factor(a: &[f64], n: usize) -> Option<Cholesky> {
        assert_eq!(a.len(), n * n, "a square matrix");
        let mut l = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..=i {
                let mut sum = a[i * n + j];
                for k in 0..j {
                    sum -= l[i * n + k] * l[j * n + k];
                }
                if i == j {
                    if sum <= 0.0 || !sum.is_finite() {
                        return None;
                    }
                    l[i * n + i] = sum.sqrt();
                } else {
                    l[i * n + j] = sum / l[j * n + j];
                }
            }
        }
        Some(Cholesky { n, l })
    }

    /// Solves `A x = b`.
    pub fn solve(&self, b: &[f64]) -> Vec<f64> {
        let n = self.n;
        let mut y = b.to_vec();
        for i in 0..n {
            for k in 0..i {
                y[i] -= self.l[i * n + k] * y[k];
            }
            y[i] /= self.l[i * n + i];
        }
        for i in (0..n).rev() {
            for k in i + 1..n {
                y[i] -= self.l[k * n + i] * y[k];
            }
            y[i] /= self.l[i * n + i];
        }
        y
    }

    /// The diagonal of `A⁻¹`.
    pub fn inverse_diagonal(&self) -> Vec<f64> {
        let n = self.n;
        (0..n)
            .map(|i| {
                let mut e = vec![0.0; n];
                e[i] = 1.0;
                self.solve(&e)[i]
            })
            .collect()
    }
}

/// The data of a fit: `rows × features` values row after row, and each row's outcome.
pub struct Problem<'a> {
    pub features: usize,
    pub x: &'a [f64],
    pub y: &'a [bool],
    /// The L2 penalty on the standardised coefficients (`0` for plain maximum likelihood);
    /// the intercept is never penalised.
    pub penalty: f64,
}

fn sigmoid(t: f64) -> f64 {
    if t >= 0.0 {
        1.0 / (1.0 + (-t).exp())
    } else {
        let e = t.exp();
        e / (1.0 + e)
    }
}

/// `ln(1 + e^t)`, without overflow.
fn softplus(t: f64) -> f64 {
    if t > 30.0 {
        t
    } else {
        t.exp().ln_1p()
    }
}

/// Fits the model by Newton's method with step halving. The features are standardised
/// internally (a constant feature keeps its scale), so that the penalty treats every clause
/// alike; the result is in the features' own units. `None` when the Hessian is singular
/// (only possible without a penalty).
pub fn fit(problem: &Problem) -> Option<Model> {
    let k = problem.features;
    let n = problem.y.len();
    assert_eq!(problem.x.len(), n * k, "one row of features per outcome");
    // Standardise: z = (x - mean) / sd.
    let mut mean = vec![0.0; k];
    let mut sd = vec![0.0; k];
    for row in problem.x.chunks_exact(k.max(1)).take(n) {
        for j in 0..k {
            mean[j] += row[j];
        }
    }
    for m in &mut mean {
        *m /= n.max(1) as f64;
    }
    for row in problem.x.chunks_exact(k.max(1)).take(n) {
        for j in 0..k {
            sd[j] += (row[j] - mean[j]).powi(2);
        }
    }
    for s in &mut sd {
        *s = (*s / n.max(1) as f64).sqrt();
        if *s == 0.0 || !s.is_finite() {
            *s = 1.0;
        }
    }
    let dim = k + 1;
    // The standardised rows `[1, z_1 … z_k]`, built once.
    let mut zs = vec![0.0; n * dim];
    for (row, z) in problem
        .x
        .chunks_exact(k.max(1))
        .zip(zs.chunks_exact_mut(dim))
    {
        standardise(&row[..k], &mean, &sd, z);
    }
    if k == 0 {
        zs.chunks_exact_mut(dim).for_each(|z| z[0] = 1.0);
    }
    let zs = &zs[..];
    // Parameters: [intercept, γ_1 … γ_k] on the standardised scale.
    let mut theta = vec![0.0; dim];
    let positives = problem.y.iter().filter(|&&y| y).count() as f64;
    let base = (positives.max(0.5) / (n as f64 - positives).max(0.5)).ln();
    theta[0] = base;
    let objective = |theta: &[f64]| -> f64 {
        let mut loss = 0.0;
        for (z, &y) in zs.chunks_exact(dim).zip(problem.y) {
            let eta: f64 = theta.iter().zip(z).map(|(t, v)| t * v).sum();
            loss += softplus(eta) - if y { eta } else { 0.0 };
        }
        let ridge: f64 = theta[1..].iter().map(|t| t * t).sum::<f64>() * problem.penalty / 2.0;
        loss + ridge
    };
    let mut current = objective(&theta);
    let mut iterations = 0;
    let mut converged = false;
    let mut hessian = vec![0.0; dim * dim];
    let mut gradient = vec![0.0; dim];
    while iterations < 100 {
        iterations += 1;
        hessian.iter_mut().for_each(|h| *h = 0.0);
        gradient.iter_mut().for_each(|g| *g = 0.0);
        accumulate(zs, problem.y, &theta, &mut gradient, &mut hessian);
        for j in 1..dim {
            gradient[j] -= problem.penalty * theta[j];
            hessian[j * dim + j] += problem.penalty;
        }
        let chol = Cholesky::factor(&hessian, dim)?;
        let step = chol.solve(&gradient);
        let mut scale = 1.0;
        let mut next = theta.clone();
        loop {
            for j in 0..dim {
                next[j] = theta[j] + scale * step[j];
            }
            let value = objective(&next);
            if value <= current + 1e-12 * current.abs().max(1.0) || scale < 1e-10 {
                current = value;
                break;
            }
            scale /= 2.0;
        }
        let largest = step.iter().map(|s| (s * scale).abs()).fold(0.0, f64::max);
        theta = next;
        if largest < 1e-9 {
            converged = true;
            break;
        }
    }
    // The covariance at the optimum.
    hessian.iter_mut().for_each(|h| *h = 0.0);
    gradient.iter_mut().for_each(|g| *g = 0.0);
    accumulate(zs, problem.y, &theta, &mut gradient, &mut hessian);
    for j in 1..dim {
        hessian[j * dim + j] += problem.penalty;
    }
    let variances = Cholesky::factor(&hessian, dim)?.inverse_diagonal();
    let coefficients: Vec<f64> = (0..k).map(|j| theta[j + 1] / sd[j]).collect();
    let intercept = theta[0]
        - coefficients
            .iter()
            .zip(&mean)
            .map(|(b, m)| b * m)
            .sum::<f64>();
    let std_errors = (0..k)
        .map(|j| variances[j + 1].max(0.0).sqrt() / sd[j])
        .collect();
    Some(Model {
        intercept,
        coefficients,
        std_errors,
        iterations,
        converged,
    })
}

/// `[1, (x - mean) / sd …]` into `z`.
fn standardise(row: &[f64], mean: &[f64], sd: &[f64], z: &mut [f64]) {
    z[0] = 1.0;
    for j in 0..row.len() {
        z[j + 1] = (row[j] - mean[j]) / sd[j];
    }
}

/// Adds the log-likelihood's gradient and the negative Hessian (`Zᵀ W Z`, lower and upper
/// triangles) at `theta`, over the standardised rows `zs`.
fn accumulate(zs: &[f64], y: &[bool], theta: &[f64], gradient: &mut [f64], hessian: &mut [f64]) {
    let dim = theta.len();
    for (z, &y) in zs.chunks_exact(dim).zip(y) {
        let eta: f64 = theta.iter().zip(z).map(|(t, v)| t * v).sum();
        let p = sigmoid(eta);
        let residual = if y { 1.0 } else { 0.0 } - p;
        let w = p * (1.0 - p);
        for i in 0..dim {
            gradient[i] += residual * z[i];
            let wz = w * z[i];
            let row = &mut hessian[i * dim..i * dim + i + 1];
            for (h, zj) in row.iter_mut().zip(&z[..=i]) {
                *h += wz * zj;
            }
        }
    }
    for i in 0..dim {
        for j in 0..i {
            hessian[j * dim + i] = hessian[i * dim + j];
        }
    }
}

/// The linear predictor `intercept + Σ β x` of one row.
pub fn predict(model: &Model, row: &[f64]) -> f64 {
    model.intercept
        + model
            .coefficients
            .iter()
            .zip(row)
            .map(|(b, x)| b * x)
            .sum::<f64>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_solves_a_known_system() {
        // A = [[4, 12, -16], [12, 37, -43], [-16, -43, 98]] = L Lᵀ with L = [[2,0,0],[6,1,0],[-8,5,3]].
        let a = [4.0, 12.0, -16.0, 12.0, 37.0, -43.0, -16.0, -43.0, 98.0];
        let c = Cholesky::factor(&a, 3).unwrap();
        assert_eq!(c.l, vec![2.0, 0.0, 0.0, 6.0, 1.0, 0.0, -8.0, 5.0, 3.0]);
        // A x = b for x = [1, 2, 3].
        let b = [4.0 + 24.0 - 48.0, 12.0 + 74.0 - 129.0, -16.0 - 86.0 + 294.0];
        let x = c.solve(&b);
        for (got, want) in x.iter().zip([1.0, 2.0, 3.0]) {
            assert!((got - want).abs() < 1e-12, "{x:?}");
        }
        assert!(Cholesky::factor(&[1.0, 2.0, 2.0, 1.0], 2).is_none());
    }

    /// Spector and Mazzeo (1980): GPA, TUCE, PSI → GRADE, 32 students (Greene, Table F14.1).
    const SPECTOR: [(f64, f64, f64, bool); 32] = [
        (2.66, 20.0, 0.0, false),
        (2.89, 22.0, 0.0, false),
        (3.28, 24.0, 0.0, false),
        (2.92, 12.0, 0.0, false),
        (4.00, 21.0, 0.0, true),
        (2.86, 17.0, 0.0, false),
        (2.76, 17.0, 0.0, false),
        (2.87, 21.0, 0.0, false),
        (3.03, 25.0, 0.0, false),
        (3.92, 29.0, 0.0, true),
        (2.63, 20.0, 0.0, false),
        (3.32, 23.0, 0.0, false),
        (3.57, 23.0, 0.0, false),
        (3.26, 25.0, 0.0, true),
        (3.53, 26.0, 0.0, false),
        (2.74, 19.0, 0.0, false),
        (2.75, 25.0, 0.0, false),
        (2.83, 19.0, 0.0, false),
        (3.12, 23.0, 1.0, false),
        (3.16, 25.0, 1.0, true),
        (2.06, 22.0, 1.0, false),
        (3.62, 28.0, 1.0, true),
        (2.89, 14.0, 1.0, false),
        (3.51, 26.0, 1.0, false),
        (3.54, 24.0, 1.0, true),
        (2.83, 27.0, 1.0, true),
        (3.39, 17.0, 1.0, true),
        (2.67, 24.0, 1.0, false),
        (3.65, 21.0, 1.0, true),
        (4.00, 23.0, 1.0, true),
        (3.10, 21.0, 1.0, false),
        (2.39, 19.0, 1.0, true),
    ];

    #[test]
    fn maximum_likelihood_matches_the_published_spector_fit() {
        let x: Vec<f64> = SPECTOR.iter().flat_map(|r| [r.0, r.1, r.2]).collect();
        let y: Vec<bool> = SPECTOR.iter().map(|r| r.3).collect();
        let model = fit(&Problem {
            features: 3,
            x: &x,
            y: &y,
            penalty: 0.0,
        })
        .unwrap();
        assert!(model.converged);
        // statsmodels `Logit(spector.endog, add_constant(spector.exog)).fit()`:
        // const -13.0213 (4.931), GPA 2.8261 (1.263), TUCE 0.0952 (0.142), PSI 2.3787 (1.065).
        let close = |got: f64, want: f64, tol: f64| {
            assert!((got - want).abs() < tol, "got {got}, want {want}");
        };
        close(model.intercept, -13.0213, 1e-3);
        close(model.coefficients[0], 2.8261, 1e-3);
        close(model.coefficients[1], 0.0952, 1e-3);
        close(model.coefficients[2], 2.3787, 1e-3);
        close(model.std_errors[0], 1.263, 1e-3);
        close(model.std_errors[1], 0.142, 1e-3);
        close(model.std_errors[2], 1.065, 1e-3);
    }

    #[test]
    fn the_penalty_keeps_separated_data_finite() {
        // x separates the outcomes perfectly: without a penalty the coefficient diverges.
        let x: Vec<f64> = (0..200).map(|i| if i < 100 { 0.0 } else { 1.0 }).collect();
        let y: Vec<bool> = (0..200).map(|i| i >= 100).collect();
        let model = fit(&Problem {
            features: 1,
            x: &x,
            y: &y,
            penalty: 1.0,
        })
        .unwrap();
        assert!(model.converged);
        assert!(model.coefficients[0].is_finite() && model.coefficients[0] > 5.0);
        assert!(model.coefficients[0] < 50.0, "{model:?}");
    }
}
