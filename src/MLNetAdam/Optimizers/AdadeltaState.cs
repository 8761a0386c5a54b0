namespace MLNetAdam.Optimizers;

/// <summary>The state of <see cref="AdadeltaOptimizer"/>: running averages of squared gradients and squared updates.</summary>
public sealed class AdadeltaState : OptimizerState
{
    /// <summary>Creates a zero state for <paramref name="parameterCount"/> parameters.</summary>
    /// <param name="parameterCount">Length of the flat parameter vector.</param>
    public AdadeltaState(int parameterCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(parameterCount);
        SquareAverage = new float[parameterCount];
        DeltaAverage = new float[parameterCount];
    }

    /// <summary>Running average of the squared gradient (<c>E[g²]</c>, PyTorch's <c>square_avg</c>).</summary>
    public float[] SquareAverage { get; }

    /// <summary>Running average of the squared update (<c>E[Δx²]</c>, PyTorch's <c>acc_delta</c>).</summary>
    public float[] DeltaAverage { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<float[]> Buffers => [SquareAverage, DeltaAverage];

    /// <summary>The name checkpoints store this state under: "adadelta".</summary>
    public override string StateName => "adadelta";
}
