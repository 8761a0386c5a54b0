namespace MLNetAdam.Optimizers;

/// <summary>The state of <see cref="SgdOptimizer"/>: the momentum buffer (null without momentum).</summary>
public sealed class SgdState : OptimizerState
{
    /// <summary>Creates a zero state.</summary>
    /// <param name="parameterCount">Length of the flat parameter vector.</param>
    /// <param name="momentum">Whether to allocate <see cref="MomentumBuffer"/>.</param>
    public SgdState(int parameterCount, bool momentum)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(parameterCount);
        MomentumBuffer = momentum ? new float[parameterCount] : null;
    }

    /// <summary>The velocity <c>b</c> (PyTorch's <c>momentum_buffer</c>); set to the first gradient on the first step.</summary>
    public float[]? MomentumBuffer { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<float[]> Buffers => MomentumBuffer is null ? [] : [MomentumBuffer];

    /// <summary>The name checkpoints store this state under: "sgd".</summary>
    public override string StateName => "sgd";
}
