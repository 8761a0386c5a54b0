namespace MLNetAdam.Optimizers.LineSearch;

/// <summary>How an <see cref="ILineSearch"/> ended.</summary>
internal enum LineSearchOutcome
{
    /// <summary>The returned step satisfies the search's acceptance conditions (strong Wolfe for <see cref="StrongWolfeLineSearch"/>).</summary>
    Converged,

    /// <summary>The evaluation limit was reached first; the best point with sufficient decrease so far (or the start) is returned.</summary>
    EvaluationLimit,

    /// <summary>The bracket shrank below the tolerance first; the best point with sufficient decrease so far (or the start) is returned.</summary>
    IntervalTooSmall,
}
