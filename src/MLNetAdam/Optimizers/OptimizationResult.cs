namespace MLNetAdam.Optimizers;

/// <summary>What a <see cref="BatchOptimizer"/> reports when it stops. Convergence problems are reported here, never thrown.</summary>
/// <param name="Reason">Why it stopped.</param>
/// <param name="Iterations">Number of iterations performed.</param>
/// <param name="Evaluations">Number of loss-and-gradient evaluations.</param>
/// <param name="Loss">The loss at the returned parameters.</param>
/// <param name="Losses">The loss after each iteration (the first entry is the starting loss).</param>
public sealed record OptimizationResult(StopReason Reason, int Iterations, int Evaluations, double Loss, IReadOnlyList<double> Losses);
