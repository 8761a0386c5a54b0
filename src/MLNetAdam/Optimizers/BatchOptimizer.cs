namespace MLNetAdam.Optimizers;

/// <summary>
/// An optimizer that minimizes the full-batch objective (all training rows) through a loss-and-gradient closure,
/// owning its iterations and line search, such as L-BFGS. With a batch optimizer the trainer's
/// <c>AdamMlpTrainer.Options.NumberOfEpochs</c> and <c>AdamMlpTrainer.Options.BatchSize</c> do not apply.
/// </summary>
public abstract class BatchOptimizer : MlpOptimizer
{
    /// <summary>Minimizes <paramref name="objective"/> starting from, and updating in place, <paramref name="parameters"/>.</summary>
    /// <param name="parameters">Starting point in, minimizer out.</param>
    /// <param name="objective">Loss-and-gradient over all training rows.</param>
    /// <param name="progress">Receives the loss after each iteration; may be null.</param>
    /// <param name="cancellationToken">Stops the optimization early (reported as <see cref="StopReason.Cancelled"/>).</param>
    /// <returns>Why and where it stopped; never throws because of convergence problems.</returns>
    public abstract OptimizationResult Minimize(Span<float> parameters, LossAndGradient objective, IProgress<double>? progress, CancellationToken cancellationToken);
}
