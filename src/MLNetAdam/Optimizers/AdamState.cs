namespace MLNetAdam.Optimizers;

/// <summary>The state of <see cref="AdamOptimizer"/>: the two moment estimates and, for AMSGrad, the running maximum of the second.</summary>
public sealed class AdamState : OptimizerState
{
    /// <summary>Creates a zero state for <paramref name="parameterCount"/> parameters.</summary>
    /// <param name="parameterCount">Length of the flat parameter vector.</param>
    /// <param name="amsGrad">Whether to allocate <see cref="MaxSecondMoment"/>.</param>
    public AdamState(int parameterCount, bool amsGrad)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(parameterCount);
        FirstMoment = new float[parameterCount];
        SecondMoment = new float[parameterCount];
        MaxSecondMoment = amsGrad ? new float[parameterCount] : null;
    }

    /// <summary>Exponential moving average of the gradient (<c>m</c>, PyTorch's <c>exp_avg</c>).</summary>
    public float[] FirstMoment { get; }

    /// <summary>Exponential moving average of the squared gradient (<c>v</c>, PyTorch's <c>exp_avg_sq</c>).</summary>
    public float[] SecondMoment { get; }

    /// <summary>Running maximum of <see cref="SecondMoment"/> (AMSGrad only; otherwise null).</summary>
    public float[]? MaxSecondMoment { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<float[]> Buffers => MaxSecondMoment is null ? [FirstMoment, SecondMoment] : [FirstMoment, SecondMoment, MaxSecondMoment];

    /// <summary>The name checkpoints store this state under: "adam".</summary>
    public override string StateName => "adam";
}
