namespace MLNetAdam.Optimizers;

/// <summary>
/// The full-batch objective handed to a <see cref="BatchOptimizer"/>: evaluates the loss at
/// <paramref name="parameters"/> and overwrites <paramref name="gradient"/> (caller-owned, same length) with its gradient.
/// </summary>
/// <param name="parameters">Point at which to evaluate.</param>
/// <param name="gradient">Receives the gradient.</param>
/// <returns>The loss (mean cross-entropy over all training rows plus the L2 term).</returns>
public delegate double LossAndGradient(ReadOnlySpan<float> parameters, Span<float> gradient);
