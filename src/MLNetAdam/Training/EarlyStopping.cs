using MLNetAdam.Numerics;

namespace MLNetAdam.Training;

/// <summary>
/// Stops a training phase when a metric has not improved for <see cref="Patience"/> epochs (batch-optimizer
/// iterations count as epochs), as Keras's <c>EarlyStopping</c> callback: an epoch improves when its value beats the
/// best so far by more than <see cref="MinimumImprovement"/>. With <see cref="RestoreBestWeights"/> the weights of the
/// best epoch are put back, so the model scores exactly as it did then. Assign one to
/// <see cref="AdamMlpOptionsBase.EarlyStopping"/>.
/// </summary>
/// <remarks>
/// It works for every optimizer and every phase: a stochastic phase is checked after each epoch, a batch optimizer
/// (L-BFGS) after each iteration. It ends the phase it triggers in; a following phase starts from the (restored) weights
/// with a fresh count. The history's last entry of the phase records <see cref="Optimizers.StopReason.EarlyStopping"/>.
/// </remarks>
public sealed class EarlyStopping
{
    /// <summary>What is watched. Default <see cref="EarlyStoppingMetric.ValidationLoss"/>.</summary>
    public EarlyStoppingMetric Metric { get; set; } = EarlyStoppingMetric.ValidationLoss;

    /// <summary>Epochs without improvement before the phase stops. Default 10; must be ≥ 1.</summary>
    public int Patience { get; set; } = 10;

    /// <summary>How much a value must beat the best so far to count as an improvement. Default 1e-4; must be finite and ≥ 0.</summary>
    public double MinimumImprovement { get; set; } = 1e-4;

    /// <summary>Put back the weights of the best epoch when the phase stops or ends. Default true.</summary>
    public bool RestoreBestWeights { get; set; } = true;

    /// <summary>Throws an <see cref="ArgumentOutOfRangeException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        Require.That(Enum.IsDefined(Metric), nameof(EarlyStopping), nameof(Metric), "be ValidationLoss, ValidationAccuracy, TrainingLoss, ValidationAuc or ValidationRSquared", Metric);
        Require.AtLeast(Patience, 1, nameof(EarlyStopping), nameof(Patience));
        Require.NonNegative(MinimumImprovement, nameof(EarlyStopping), nameof(MinimumImprovement));
    }

    /// <summary>Whether the metric needs validation data.</summary>
    internal bool NeedsValidation => Metric != EarlyStoppingMetric.TrainingLoss;
}
