namespace MLNetAdam.Optimizers.LineSearch;

/// <summary>
/// A line search for a <see cref="BatchOptimizer"/>: along a descent direction <c>d</c> from a point <c>x</c>, finds a
/// step length <c>t &gt; 0</c> with enough decrease of <c>φ(t) = f(x + t·d)</c>. Pluggable so that
/// <see cref="LbfgsOptimizer"/> can be given another search; <see cref="StrongWolfeLineSearch"/> is the default.
/// </summary>
/// <remarks>
/// Contract: the point returned in <see cref="LineSearchWorkspace.Point"/> (when <see cref="LineSearchResult.Step"/>
/// &gt; 0) satisfies the sufficient-decrease (Armijo) condition <c>φ(t) ≤ φ(0) + c1·t·φ'(0)</c> and has a finite loss
/// and slope; a search that finds no such point returns step 0 (the start). It never calls the objective more than
/// <c>maximumEvaluations</c> times and never throws over a non-finite loss: such points count as too far.
/// </remarks>
internal interface ILineSearch
{
    /// <summary>Searches along <paramref name="direction"/> from <paramref name="start"/>.</summary>
    /// <param name="objective">Loss and gradient.</param>
    /// <param name="start">The current point <c>x</c> (not modified).</param>
    /// <param name="loss">φ(0) = f(x).</param>
    /// <param name="direction">The search direction <c>d</c> (not modified).</param>
    /// <param name="slope">φ'(0) = ∇f(x)·d; must be negative.</param>
    /// <param name="initialStep">The first trial step length.</param>
    /// <param name="maximumEvaluations">The most objective calls this search may make (≥ 1; the search may have its own lower limit).</param>
    /// <param name="workspace">Buffers for the trial points; on return, <see cref="LineSearchWorkspace.Point"/> and
    /// <see cref="LineSearchWorkspace.Gradient"/> hold the returned point when its step is &gt; 0.</param>
    /// <returns>The step found, its loss and slope, how many evaluations were used, and whether the search's own acceptance test passed.</returns>
    LineSearchResult Search(
        LossAndGradient objective,
        ReadOnlySpan<float> start,
        double loss,
        ReadOnlySpan<float> direction,
        double slope,
        double initialStep,
        int maximumEvaluations,
        LineSearchWorkspace workspace);
}
