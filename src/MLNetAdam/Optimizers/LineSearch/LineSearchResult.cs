namespace MLNetAdam.Optimizers.LineSearch;

/// <summary>What an <see cref="ILineSearch"/> found.</summary>
/// <param name="Outcome">Whether the acceptance conditions were met, or why the search stopped without them.</param>
/// <param name="Step">The step length <c>t</c>; 0 when no point with sufficient decrease was found (the start is returned).</param>
/// <param name="Loss">φ(t) = f(x + t·d) (φ(0) when <paramref name="Step"/> is 0).</param>
/// <param name="Slope">φ'(t) = ∇f(x + t·d)·d (φ'(0) when <paramref name="Step"/> is 0).</param>
/// <param name="Evaluations">Number of objective calls made.</param>
internal readonly record struct LineSearchResult(LineSearchOutcome Outcome, double Step, double Loss, double Slope, int Evaluations);
