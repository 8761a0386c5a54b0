namespace MLNetAdam.Optimizers;

/// <summary>
/// An optimizer that updates the weights in place once per mini-batch from that batch's gradient, such as Adam.
/// It has no access to the data and runs no loops: the trainer computes the gradient, chooses the learning rate
/// and calls <see cref="Step"/>. To write your own, derive from this class, keep the per-step memory in an
/// <see cref="OptimizerState"/> subclass, and assign an instance to the trainer's <c>Options.Optimizer</c>.
/// </summary>
public abstract class StochasticOptimizer : MlpOptimizer
{
    /// <summary>The learning rate used at every step.</summary>
    public abstract float LearningRate { get; set; }

    /// <summary>Creates the state for a model with <paramref name="parameterCount"/> parameters (all moments zero, step 0).</summary>
    /// <param name="parameterCount">Length of the flat parameter vector.</param>
    public abstract OptimizerState CreateState(int parameterCount);

    /// <summary>Applies one update to <paramref name="parameters"/> in place.</summary>
    /// <param name="parameters">All weights and biases of the network, as one flat vector.</param>
    /// <param name="gradient">The gradient of the mini-batch loss with respect to <paramref name="parameters"/>.</param>
    /// <param name="state">State created by <see cref="CreateState"/> and updated by this call.</param>
    /// <param name="learningRate">The learning rate for this step.</param>
    public abstract void Step(Span<float> parameters, ReadOnlySpan<float> gradient, OptimizerState state, float learningRate);

    /// <summary>
    /// The trainer's entry point: built-in optimizers whose update is element-wise split it between the pool's threads
    /// (every element is computed exactly as on one thread); others run <see cref="Step"/> on the calling thread.
    /// </summary>
    internal virtual void StepInParallel(Numerics.WorkerPool? pool, Span<float> parameters, ReadOnlySpan<float> gradient, OptimizerState state, float learningRate) =>
        Step(parameters, gradient, state, learningRate);

    /// <summary>Throws unless the spans and the state fit each other; returns the typed state.</summary>
    /// <typeparam name="TState">The state type this optimizer creates.</typeparam>
    /// <param name="parameters">The parameters passed to <see cref="Step"/>.</param>
    /// <param name="gradient">The gradient passed to <see cref="Step"/>.</param>
    /// <param name="state">The state passed to <see cref="Step"/>.</param>
    protected TState CheckStep<TState>(ReadOnlySpan<float> parameters, ReadOnlySpan<float> gradient, OptimizerState state)
        where TState : OptimizerState
    {
        ArgumentNullException.ThrowIfNull(state);
        if (gradient.Length != parameters.Length)
            throw new ArgumentException($"The gradient has {gradient.Length} values but there are {parameters.Length} parameters.", nameof(gradient));
        return state as TState
            ?? throw new ArgumentException($"{GetType().Name} needs a {typeof(TState).Name}; got {state.GetType().Name}.", nameof(state));
    }
}
