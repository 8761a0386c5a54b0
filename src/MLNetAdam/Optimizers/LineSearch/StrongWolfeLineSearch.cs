using MLNetAdam.Numerics;

namespace MLNetAdam.Optimizers.LineSearch;

/// <summary>
/// A line search for the strong Wolfe conditions (Nocedal &amp; Wright, "Numerical Optimization", 2nd ed., 2006,
/// algorithms 3.5 and 3.6), with cubic interpolation of the trial steps, following <c>torch.optim.LBFGS</c>'s
/// <c>_strong_wolfe</c> (a port of Torch7's <c>lswolfe.lua</c>).
/// </summary>
/// <remarks>
/// A step <c>t</c> is accepted when <c>φ(t) ≤ φ(0) + c1·t·φ'(0)</c> (sufficient decrease) and <c>|φ'(t)| ≤ c2·|φ'(0)|</c>
/// (strong curvature), with <c>φ(t) = f(x + t·d)</c>. Defaults are PyTorch's: c1 = 1e-4, c2 = 0.9, interval tolerance
/// 1e-9, at most 25 evaluations. Differences from PyTorch, all outside the path a well-behaved problem takes:
/// the limit counts every evaluation (PyTorch's <c>max_ls = 25</c> allows 26); a point without sufficient decrease
/// never becomes the low end of the bracket (PyTorch re-sorts the bracket by loss alone; Nocedal &amp; Wright do not);
/// a NaN or infinite loss or slope counts as a step that is too long; and a failed search returns the best point
/// with sufficient decrease (or the start), which the caller may keep.
/// </remarks>
internal sealed class StrongWolfeLineSearch : ILineSearch
{
    /// <summary>c1 of the sufficient-decrease (Armijo) condition. Default 1e-4; in (0, <see cref="Curvature"/>).</summary>
    public double SufficientDecrease { get; init; } = 1e-4;

    /// <summary>c2 of the strong curvature condition. Default 0.9; in (<see cref="SufficientDecrease"/>, 1).</summary>
    public double Curvature { get; init; } = 0.9;

    /// <summary>The search stops when the bracket's width times <c>max |d|</c> falls below this. Default 1e-9 (PyTorch's <c>tolerance_change</c>).</summary>
    public double Tolerance { get; init; } = 1e-9;

    /// <summary>Most objective calls per search. Default 25 (PyTorch's <c>max_ls</c>).</summary>
    public int MaximumEvaluations { get; init; } = 25;

    /// <inheritdoc/>
    public LineSearchResult Search(
        LossAndGradient objective,
        ReadOnlySpan<float> start,
        double loss,
        ReadOnlySpan<float> direction,
        double slope,
        double initialStep,
        int maximumEvaluations,
        LineSearchWorkspace workspace)
    {
        ArgumentNullException.ThrowIfNull(objective);
        ArgumentNullException.ThrowIfNull(workspace);
        if (start.Length != workspace.Length || direction.Length != workspace.Length)
            throw new ArgumentException("The start, the direction and the workspace must have the same length.", nameof(workspace));
        if (!(slope < 0))
            throw new ArgumentOutOfRangeException(nameof(slope), slope, "The direction must be a descent direction (negative slope).");
        if (!(initialStep > 0) || !double.IsFinite(initialStep))
            throw new ArgumentOutOfRangeException(nameof(initialStep), initialStep, "The first trial step must be a finite number greater than 0.");

        var search = new State(this, objective, start, loss, direction, slope, workspace);
        int limit = Math.Min(MaximumEvaluations, maximumEvaluations);
        if (limit < 1)
            return search.Result(LineSearchOutcome.EvaluationLimit, search.Origin);
        double directionSize = Reductions.MaxAbs(direction);

        // Bracketing phase (N&W Alg. 3.5): extrapolate from the first trial step until a step satisfies the strong
        // Wolfe conditions (done) or an interval [low, high] is known to contain such steps.
        Trial previous = search.Origin;
        Trial current = search.Evaluate(initialStep);
        Trial low, high;
        while (true)
        {
            // Too long: no sufficient decrease, or (from the third trial on, as PyTorch) no lower than the previous trial.
            if (!search.DecreasesSufficiently(current) || (search.Evaluations > 2 && current.Loss >= previous.Loss))
            {
                (low, high) = (previous, current);
                break;
            }
            if (search.SatisfiesCurvature(current))
            {
                search.Keep();
                return search.Result(LineSearchOutcome.Converged, current);
            }
            // Past a minimum along d: the slope turned non-negative; both ends decrease sufficiently, the lower is low.
            if (current.Slope >= 0)
            {
                if (current.Loss < previous.Loss)
                {
                    search.Keep();
                    (low, high) = (current, previous);
                }
                else
                {
                    (low, high) = (previous, current);
                }
                break;
            }
            if (search.Evaluations >= limit)
            {
                // Still descending when the evaluations ran out: return the lower of the last two trials.
                if (current.Loss < previous.Loss)
                {
                    search.Keep();
                    return search.Result(LineSearchOutcome.EvaluationLimit, current);
                }
                return search.Result(LineSearchOutcome.EvaluationLimit, previous);
            }
            // Still descending: extrapolate by cubic interpolation, between a bit past t and 10·t.
            double t = current.Step;
            double next = CubicMinimum(previous, current, t + 0.01 * (t - previous.Step), 10 * t);
            search.Keep(); // the current trial is kept as the previous one
            previous = current;
            current = search.Evaluate(next);
        }

        // Zoom phase (N&W Alg. 3.6): shrink [low, high] keeping the invariants: low has the least loss among the steps
        // with sufficient decrease, and low's slope points toward high. Cubic interpolation picks the next step,
        // pushed away from the ends when it makes too little progress (Torch7's safeguard).
        bool insufficientProgress = false;
        while (true)
        {
            if (search.Evaluations >= limit)
                return search.Result(LineSearchOutcome.EvaluationLimit, low);
            if (Math.Abs(high.Step - low.Step) * directionSize < Tolerance)
                return search.Result(LineSearchOutcome.IntervalTooSmall, low);

            double left = Math.Min(low.Step, high.Step), right = Math.Max(low.Step, high.Step);
            double t = CubicMinimum(low, high, left, right);
            double margin = 0.1 * (right - left);
            if (Math.Min(right - t, t - left) < margin)
            {
                // Close to an end: accept once, but at an end or twice in a row move 10% of the width inside.
                if (insufficientProgress || t >= right || t <= left)
                {
                    t = Math.Abs(t - right) < Math.Abs(t - left) ? right - margin : left + margin;
                    insufficientProgress = false;
                }
                else
                {
                    insufficientProgress = true;
                }
            }
            else
            {
                insufficientProgress = false;
            }

            Trial trial = search.Evaluate(t);
            if (!search.DecreasesSufficiently(trial) || trial.Loss >= low.Loss)
            {
                high = trial;
                continue;
            }
            bool done = search.SatisfiesCurvature(trial);
            if (!done && trial.Slope * (high.Step - low.Step) >= 0)
                high = low;
            search.Keep();
            low = trial;
            if (done)
                return search.Result(LineSearchOutcome.Converged, low);
        }
    }

    /// <summary>
    /// Minimizer of the cubic through two points with their losses and slopes (N&amp;W eq. 3.59), clamped to
    /// [<paramref name="lowerBound"/>, <paramref name="upperBound"/>]; the middle of the bounds when the cubic has no
    /// minimizer or the data are not finite.
    /// </summary>
    internal static double CubicMinimum(Trial a, Trial b, double lowerBound, double upperBound)
    {
        double d1 = a.Slope + b.Slope - 3 * (a.Loss - b.Loss) / (a.Step - b.Step);
        double d2Squared = d1 * d1 - a.Slope * b.Slope;
        if (d2Squared >= 0)
        {
            double d2 = Math.Sqrt(d2Squared);
            // Written from the farther point so that the formula is the same whichever order a and b come in.
            double minimum = a.Step <= b.Step
                ? b.Step - (b.Step - a.Step) * ((b.Slope + d2 - d1) / (b.Slope - a.Slope + 2 * d2))
                : a.Step - (a.Step - b.Step) * ((a.Slope + d2 - d1) / (a.Slope - b.Slope + 2 * d2));
            if (double.IsFinite(minimum))
                return Math.Min(Math.Max(minimum, lowerBound), upperBound);
        }
        return (lowerBound + upperBound) / 2;
    }

    /// <summary>A step length with φ and φ' there.</summary>
    internal readonly record struct Trial(double Step, double Loss, double Slope);

    /// <summary>One search's inputs and counters; evaluates trials into the workspace.</summary>
    private ref struct State
    {
        private readonly StrongWolfeLineSearch _owner;
        private readonly LossAndGradient _objective;
        private readonly ReadOnlySpan<float> _start;
        private readonly ReadOnlySpan<float> _direction;
        private readonly LineSearchWorkspace _workspace;

        public State(StrongWolfeLineSearch owner, LossAndGradient objective, ReadOnlySpan<float> start, double loss, ReadOnlySpan<float> direction, double slope, LineSearchWorkspace workspace)
        {
            _owner = owner;
            _objective = objective;
            _start = start;
            _direction = direction;
            _workspace = workspace;
            Origin = new Trial(0, loss, slope);
        }

        /// <summary>The start: step 0, φ(0), φ'(0).</summary>
        public Trial Origin { get; }

        public int Evaluations { get; private set; }

        /// <summary>Evaluates φ and φ' at <paramref name="step"/> into the workspace's trial buffers.</summary>
        public Trial Evaluate(double step)
        {
            AddScaled(_start, step, _direction, _workspace.TrialPoint);
            double loss = _objective(_workspace.TrialPoint, _workspace.TrialGradient);
            Evaluations++;
            return new Trial(step, loss, Reductions.Dot(_workspace.TrialGradient, _direction));
        }

        /// <summary>Keeps the last evaluated trial's point and gradient as the best so far.</summary>
        public readonly void Keep() => _workspace.KeepTrial();

        /// <summary>Finite, and φ(t) ≤ φ(0) + c1·t·φ'(0).</summary>
        public readonly bool DecreasesSufficiently(Trial trial) =>
            double.IsFinite(trial.Loss) && double.IsFinite(trial.Slope)
            && trial.Loss <= Origin.Loss + _owner.SufficientDecrease * trial.Step * Origin.Slope;

        /// <summary>|φ'(t)| ≤ c2·|φ'(0)|.</summary>
        public readonly bool SatisfiesCurvature(Trial trial) => Math.Abs(trial.Slope) <= -_owner.Curvature * Origin.Slope;

        public readonly LineSearchResult Result(LineSearchOutcome outcome, Trial trial) =>
            new(outcome, trial.Step, trial.Loss, trial.Slope, Evaluations);
    }

    /// <summary>
    /// destination[i] = x[i] + t·d[i], computed in double and rounded once to float (a float <c>t</c> would lose
    /// precision on the tiny steps near a minimum).
    /// </summary>
    private static void AddScaled(ReadOnlySpan<float> x, double t, ReadOnlySpan<float> d, Span<float> destination)
    {
        if (x.Length != d.Length || destination.Length != x.Length)
            throw new ArgumentException("The vectors must have the same length.", nameof(destination));
        for (int i = 0; i < x.Length; i++)
            destination[i] = (float)(x[i] + t * d[i]);
    }
}
