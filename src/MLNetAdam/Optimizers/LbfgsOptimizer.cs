using System.Numerics.Tensors;
using MLNetAdam.Numerics;
using MLNetAdam.Optimizers.LineSearch;

namespace MLNetAdam.Optimizers;

/// <summary>
/// Full-batch limited-memory BFGS (L-BFGS) with a strong-Wolfe line search, following <c>torch.optim.LBFGS</c>
/// (<c>line_search_fn="strong_wolfe"</c>) iteration for iteration.
/// </summary>
/// <remarks>
/// <para>
/// Each iteration computes the direction <c>d = −H·g</c> with the two-loop recursion (Nocedal &amp; Wright,
/// "Numerical Optimization", 2nd ed., 2006, algorithm 7.4) over the last <see cref="HistorySize"/> pairs
/// <c>s = x_{k+1} − x_k</c>, <c>y = g_{k+1} − g_k</c>, starting from <c>H₀ = (sᵀy / yᵀy)·I</c> of the newest pair;
/// a pair with <c>sᵀy ≤ 1e-10</c> is not stored, which keeps <c>H</c> positive definite. It then searches along
/// <c>d</c> for a step <c>t</c> satisfying the strong Wolfe conditions (c1 = 1e-4, c2 = 0.9) with cubic
/// interpolation (algorithms 3.5 and 3.6), starting from <c>t = LearningRate</c>; the very first iteration steps
/// along <c>−g</c> from <c>t = min(1, 1/‖g‖₁)·LearningRate</c>, as PyTorch does. Every step taken decreases the loss
/// sufficiently, so the loss never rises from one iteration to the next.
/// </para>
/// <para>
/// It stops when <c>max |g|</c> ≤ <see cref="GradientTolerance"/> (<see cref="StopReason.GradientConverged"/>);
/// when <c>max |step|</c> or the change of the loss falls below <see cref="ChangeTolerance"/>, or the slope along
/// <c>d</c> is above <c>−ChangeTolerance</c> (<see cref="StopReason.ChangeConverged"/>); after
/// <see cref="MaximumNumberOfIterations"/> iterations or <see cref="MaximumNumberOfEvaluations"/> objective calls;
/// when the line search finds no strong-Wolfe step (<see cref="StopReason.LineSearchFailed"/>: its best point with
/// sufficient decrease, if any, is kept); or on cancellation. A NaN or infinite starting loss or gradient stops at once
/// with <see cref="StopReason.LineSearchFailed"/>. Convergence problems are reported, never thrown.
/// </para>
/// <para>
/// Parameters and vectors are <see cref="float"/> (the history is a ring buffer allocated once per
/// <see cref="Minimize"/>; iterations allocate nothing); dot products and all scalars (<c>sᵀy</c>, <c>H₀</c>, step
/// lengths, losses, slopes) are <see cref="double"/>. PyTorch's reference runs are float64, so the losses agree
/// closely only while they are well above float32 resolution.
/// </para>
/// <para>
/// With L-BFGS, <c>AdamMlpTrainer</c> evaluates the objective over all training rows at once, and its
/// <c>AdamMlpTrainer.Options.NumberOfEpochs</c> and <c>AdamMlpTrainer.Options.BatchSize</c> do not
/// apply; each iteration adds one entry to the training history. Sources: Nocedal &amp; Wright as above; Liu &amp;
/// Nocedal, "On the limited memory BFGS method for large scale optimization", 1989; PyTorch's
/// <c>torch/optim/lbfgs.py</c>.
/// </para>
/// </remarks>
public sealed class LbfgsOptimizer : BatchOptimizer
{
    // Pairs with sᵀy at or below this are not stored (PyTorch's threshold).
    private const double CurvatureThreshold = 1e-10;

    /// <summary>
    /// Default values of the hyperparameters: PyTorch's learning rate, tolerances and evaluations-per-iteration ratio;
    /// a history of 10 pairs (PyTorch's default is 100, ML.NET's 20) and 100 iterations.
    /// </summary>
    public static class Defaults
    {
        /// <summary>Default <see cref="LearningRate"/>: 1.</summary>
        public const float LearningRate = 1f;

        /// <summary>Default <see cref="HistorySize"/>: 10.</summary>
        public const int HistorySize = 10;

        /// <summary>Default <see cref="MaximumNumberOfIterations"/>: 100.</summary>
        public const int MaximumNumberOfIterations = 100;

        /// <summary>Default <see cref="MaximumNumberOfEvaluations"/>: 125, 1.25 × the default iteration limit (as PyTorch's <c>max_eval</c>).</summary>
        public const int MaximumNumberOfEvaluations = 125;

        /// <summary>Default <see cref="GradientTolerance"/>: 1e-7.</summary>
        public const double GradientTolerance = 1e-7;

        /// <summary>Default <see cref="ChangeTolerance"/>: 1e-9.</summary>
        public const double ChangeTolerance = 1e-9;
    }

    /// <summary>
    /// The first trial step length of every line search (the first iteration's is scaled by <c>min(1, 1/‖g‖₁)</c>).
    /// Default 1, the natural quasi-Newton step; must be finite and &gt; 0.
    /// </summary>
    public float LearningRate { get; set; } = Defaults.LearningRate;

    /// <summary>Number of (s, y) pairs kept to approximate the inverse Hessian. Default 10; must be ≥ 1.</summary>
    public int HistorySize { get; set; } = Defaults.HistorySize;

    /// <summary>Most iterations (line searches) of one <see cref="Minimize"/> call. Default 100; must be ≥ 1.</summary>
    public int MaximumNumberOfIterations { get; set; } = Defaults.MaximumNumberOfIterations;

    /// <summary>
    /// Most calls of the objective in one <see cref="Minimize"/> call, the first included; a line search is cut short
    /// rather than exceed it. Default 125; must be ≥ 1. Raise it with <see cref="MaximumNumberOfIterations"/>
    /// (PyTorch's default is 1.25 × its iteration limit).
    /// </summary>
    public int MaximumNumberOfEvaluations { get; set; } = Defaults.MaximumNumberOfEvaluations;

    /// <summary>Stop when the largest gradient component, in absolute value, is at most this. Default 1e-7; must be finite and ≥ 0.</summary>
    public double GradientTolerance { get; set; } = Defaults.GradientTolerance;

    /// <summary>
    /// Stop when the largest component of a step, or the change of the loss, is below this (and do not start a line
    /// search whose slope is above <c>−ChangeTolerance</c>). Default 1e-9; must be finite and ≥ 0.
    /// </summary>
    public double ChangeTolerance { get; set; } = Defaults.ChangeTolerance;

    /// <summary>The line search used along each direction. Default: <see cref="StrongWolfeLineSearch"/> with PyTorch's settings.</summary>
    internal ILineSearch LineSearch { get; init; } = new StrongWolfeLineSearch();

    /// <summary>Called after every step taken, before the progress report; for tests.</summary>
    internal Action<AcceptedStep>? StepObserver { get; set; }

    /// <inheritdoc/>
    public override void Validate()
    {
        RequirePositive(LearningRate, nameof(LearningRate));
        RequirePositive(HistorySize, nameof(HistorySize));
        RequirePositive(MaximumNumberOfIterations, nameof(MaximumNumberOfIterations));
        RequirePositive(MaximumNumberOfEvaluations, nameof(MaximumNumberOfEvaluations));
        RequireNonNegative(GradientTolerance, nameof(GradientTolerance));
        RequireNonNegative(ChangeTolerance, nameof(ChangeTolerance));
    }

    /// <inheritdoc/>
    public override OptimizationResult Minimize(Span<float> parameters, LossAndGradient objective, IProgress<double>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(objective);
        Validate();
        var run = new Run(this, parameters.Length);
        return run.Minimize(parameters, objective, progress, cancellationToken);
    }

    /// <summary>What one step of <see cref="Minimize"/> did, as seen by <see cref="StepObserver"/>.</summary>
    /// <param name="Iteration">1 for the first step.</param>
    /// <param name="StepLength">The step length <c>t</c> along the direction <c>d</c>.</param>
    /// <param name="LossBefore">φ(0) = f(x).</param>
    /// <param name="SlopeBefore">φ'(0) = ∇f(x)·d.</param>
    /// <param name="Loss">φ(t) = f(x + t·d).</param>
    /// <param name="Slope">φ'(t) = ∇f(x + t·d)·d.</param>
    /// <param name="SatisfiesStrongWolfe">Whether the line search ended on its acceptance test; false only for a last step kept after a failed search.</param>
    /// <param name="Evaluations">Objective calls of this iteration's line search.</param>
    internal readonly record struct AcceptedStep(
        int Iteration, double StepLength, double LossBefore, double SlopeBefore, double Loss, double Slope, bool SatisfiesStrongWolfe, int Evaluations);

    /// <summary>The memory of one minimization, allocated once: gradient, direction, history ring, line-search buffers.</summary>
    private sealed class Run
    {
        private readonly LbfgsOptimizer _options;
        private readonly float[] _gradient;
        private readonly float[] _direction;

        // The (s, y) history as a ring of HistorySize + 1 slots: the pairs occupy the `_count` slots ending at
        // `_newest`, and the slot after `_newest` is free, so a candidate pair is written there and stored (or not)
        // without overwriting the oldest pair before it is known to be accepted.
        private readonly float[]?[] _s;
        private readonly float[]?[] _y;
        private readonly int _length;
        private readonly double[] _rho;   // 1 / sᵀy per slot
        private readonly double[] _alpha; // two-loop coefficients per slot
        private readonly LineSearchWorkspace _workspace;
        private int _newest = -1;
        private int _count;
        private double _initialHessianScale = 1; // H₀ = γ·I, γ = sᵀy / yᵀy of the newest pair

        public Run(LbfgsOptimizer options, int length)
        {
            _options = options;
            _gradient = new float[length];
            _direction = new float[length];
            _length = length;
            // No run stores more pairs than it takes iterations, so a history larger than the iteration limit is never
            // allocated; the pairs' vectors are allocated as they are first needed.
            int slots = (int)Math.Min(options.HistorySize, options.MaximumNumberOfIterations) + 1;
            _s = new float[]?[slots];
            _y = new float[]?[slots];
            _rho = new double[slots];
            _alpha = new double[slots];
            _workspace = new LineSearchWorkspace(length);
        }

        public OptimizationResult Minimize(Span<float> x, LossAndGradient objective, IProgress<double>? progress, CancellationToken cancellationToken)
        {
            var o = _options;
            var losses = new List<double>(Math.Min(o.MaximumNumberOfIterations, 1024) + 1);
            double loss = objective(x, _gradient);
            int evaluations = 1;
            int iterations = 0;
            losses.Add(loss);
            OptimizationResult Stop(StopReason reason) => new(reason, iterations, evaluations, loss, losses);

            double gradientMax = Reductions.MaxAbs(_gradient);
            if (!double.IsFinite(loss) || !double.IsFinite(gradientMax))
                return Stop(StopReason.LineSearchFailed);
            if (gradientMax <= o.GradientTolerance)
                return Stop(StopReason.GradientConverged);

            while (true)
            {
                if (cancellationToken.IsCancellationRequested)
                    return Stop(StopReason.Cancelled);

                // Direction and first trial step: steepest descent with a step scaled to ‖g‖₁ at first (PyTorch),
                // then the L-BFGS direction with the unit (learning-rate) step.
                double initialStep;
                if (iterations == 0)
                {
                    TensorPrimitives.Negate(_gradient, _direction);
                    initialStep = Math.Min(1, 1 / Reductions.SumAbs(_gradient)) * o.LearningRate;
                }
                else
                {
                    ComputeDirection();
                    initialStep = o.LearningRate;
                }
                double slope = Reductions.Dot(_gradient, _direction);
                if (double.IsNaN(slope))
                    return Stop(StopReason.LineSearchFailed);
                // The predicted decrease along d is negligible (PyTorch's `gtd > -tolerance_change`).
                if (!(slope < 0) || slope > -o.ChangeTolerance)
                    return Stop(StopReason.ChangeConverged);
                int budget = o.MaximumNumberOfEvaluations - evaluations;
                if (budget <= 0)
                    return Stop(StopReason.MaximumEvaluations);

                LineSearchResult search = o.LineSearch.Search(objective, x, loss, _direction, slope, initialStep, budget, _workspace);
                evaluations += search.Evaluations;
                bool converged = search.Outcome == LineSearchOutcome.Converged;

                // The line search returns step 0 unless it found a point with sufficient decrease: move only then.
                double largestStep = 0, previousLoss = loss;
                if (search.Step > 0)
                {
                    largestStep = UpdateHistory(x, _workspace.Point, _workspace.Gradient);
                    _workspace.Point.AsSpan().CopyTo(x);
                    _workspace.Gradient.AsSpan().CopyTo(_gradient);
                    loss = search.Loss;
                    iterations++;
                    losses.Add(loss);
                    o.StepObserver?.Invoke(new AcceptedStep(iterations, search.Step, previousLoss, slope, search.Loss, search.Slope, converged, search.Evaluations));
                    progress?.Report(loss);

                    if (Reductions.MaxAbs(_gradient) <= o.GradientTolerance)
                        return Stop(StopReason.GradientConverged);
                    if (largestStep <= o.ChangeTolerance || Math.Abs(loss - previousLoss) < o.ChangeTolerance)
                        return Stop(StopReason.ChangeConverged);
                }
                if (!converged)
                    return Stop(evaluations >= o.MaximumNumberOfEvaluations ? StopReason.MaximumEvaluations : StopReason.LineSearchFailed);
                if (iterations >= o.MaximumNumberOfIterations)
                    return Stop(StopReason.MaximumIterations);
                if (evaluations >= o.MaximumNumberOfEvaluations)
                    return Stop(StopReason.MaximumEvaluations);
            }
        }

        /// <summary>
        /// Writes s = x_new − x and y = g_new − g into the free slot and stores the pair when sᵀy &gt; 1e-10
        /// (N&amp;W §7.2); returns max |s|. The actual float displacement is used rather than t·d, so that the pair
        /// describes the points whose gradients were evaluated.
        /// </summary>
        private double UpdateHistory(ReadOnlySpan<float> x, ReadOnlySpan<float> xNew, ReadOnlySpan<float> gNew)
        {
            int slots = _s.Length;
            int free = (_newest + 1) % slots;
            float[] s = _s[free] ??= new float[_length], y = _y[free] ??= new float[_length];
            TensorPrimitives.Subtract(xNew, x, s);
            TensorPrimitives.Subtract(gNew, _gradient, y);
            double sy = Reductions.Dot(s, y);
            if (sy > CurvatureThreshold)
            {
                _newest = free;
                _count = Math.Min(_count + 1, slots - 1);
                _rho[free] = 1 / sy;
                _initialHessianScale = sy / Reductions.Dot(y, y);
            }
            return Reductions.MaxAbs(s);
        }

        /// <summary>d = −H·g by the two-loop recursion (N&amp;W Alg. 7.4), newest pair first, then oldest first.</summary>
        private void ComputeDirection()
        {
            int slots = _s.Length;
            Span<float> q = _direction;
            TensorPrimitives.Negate(_gradient, q);
            for (int j = 0, i = _newest; j < _count; j++, i = (i - 1 + slots) % slots)
            {
                _alpha[i] = _rho[i] * Reductions.Dot(_s[i]!, q);
                TensorPrimitives.MultiplyAdd(_y[i]!, (float)-_alpha[i], q, q);
            }
            TensorPrimitives.Multiply(q, (float)_initialHessianScale, q);
            for (int j = 0, i = (_newest - _count + 1 + slots) % slots; j < _count; j++, i = (i + 1) % slots)
            {
                double beta = _rho[i] * Reductions.Dot(_y[i]!, q);
                TensorPrimitives.MultiplyAdd(_s[i]!, (float)(_alpha[i] - beta), q, q);
            }
        }
    }
}
