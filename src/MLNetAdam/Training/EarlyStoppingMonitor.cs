namespace MLNetAdam.Training;

/// <summary>
/// The run-time side of <see cref="EarlyStopping"/> for one phase: the best value so far, the epochs since it, and
/// (with <see cref="EarlyStopping.RestoreBestWeights"/>) a copy of the best weights. Its state goes into checkpoints.
/// </summary>
internal sealed class EarlyStoppingMonitor
{
    private readonly EarlyStopping _settings;
    private readonly float[]? _bestWeights;
    private double _best;
    private int _bestEpoch;
    private int _wait;

    public EarlyStoppingMonitor(EarlyStopping settings, int parameterCount)
    {
        _settings = settings;
        _bestWeights = settings.RestoreBestWeights ? new float[parameterCount] : null;
        _best = HigherIsBetter ? double.NegativeInfinity : double.PositiveInfinity;
    }

    private bool HigherIsBetter => _settings.Metric is EarlyStoppingMetric.ValidationAccuracy or EarlyStoppingMetric.ValidationAuc or EarlyStoppingMetric.ValidationRSquared;

    /// <summary>1-based overall epoch of the best value so far (0 before any).</summary>
    public int BestEpoch => _bestEpoch;

    /// <summary>
    /// Records an epoch's metrics at the weights <paramref name="parameters"/>; returns true when the phase must stop
    /// (no improvement for <see cref="EarlyStopping.Patience"/> epochs).
    /// </summary>
    public bool Observe(int epoch, double trainingLoss, double? validationLoss, double? validationAccuracy, ReadOnlySpan<float> parameters, double? validationAuc = null, double? validationRSquared = null)
    {
        double value = _settings.Metric switch
        {
            EarlyStoppingMetric.TrainingLoss => trainingLoss,
            EarlyStoppingMetric.ValidationLoss => validationLoss ?? throw new InvalidOperationException("Early stopping on the validation loss needs validation data."),
            EarlyStoppingMetric.ValidationAuc => validationAuc ?? throw new InvalidOperationException("Early stopping on the validation AUC needs validation data of a binary model."),
            EarlyStoppingMetric.ValidationRSquared => validationRSquared ?? throw new InvalidOperationException("Early stopping on the validation R² needs validation data of a regression model."),
            _ => validationAccuracy ?? throw new InvalidOperationException("Early stopping on the validation accuracy needs validation data."),
        };
        bool improved = HigherIsBetter ? value > _best + _settings.MinimumImprovement : value < _best - _settings.MinimumImprovement;
        if (improved)
        {
            _best = value;
            _bestEpoch = epoch;
            _wait = 0;
            if (_bestWeights is not null)
                parameters.CopyTo(_bestWeights);
            return false;
        }
        _wait++;
        return _wait >= _settings.Patience;
    }

    /// <summary>Puts the best epoch's weights back (when it keeps them and has seen an epoch).</summary>
    public void Restore(Span<float> parameters)
    {
        if (_bestWeights is not null && _bestEpoch > 0)
            _bestWeights.CopyTo(parameters);
    }

    /// <summary>The values for a checkpoint.</summary>
    public double[] Save() => [_best, _bestEpoch, _wait];

    /// <summary>The kept weights for a checkpoint (empty when none are kept).</summary>
    public float[] SavedWeights => _bestWeights ?? [];

    /// <summary>Restores what <see cref="Save"/> and <see cref="SavedWeights"/> gave.</summary>
    public void Load(double[] values, float[] weights)
    {
        if (values.Length != 3)
            throw new ArgumentException($"The checkpoint holds {values.Length} early-stopping values, but these options' EarlyStopping keeps 3; resume with the EarlyStopping setting the checkpoint was written with.");
        if ((_bestWeights?.Length ?? 0) != weights.Length)
            throw new ArgumentException(
                $"The checkpoint's early stopping {(weights.Length == 0 ? "keeps no" : "keeps the best")} weights, but these options' EarlyStopping.RestoreBestWeights is {_bestWeights is not null}; resume with the setting the checkpoint was written with.");
        (_best, _bestEpoch, _wait) = (values[0], (int)values[1], (int)values[2]);
        if (_bestWeights is not null)
            weights.CopyTo(_bestWeights, 0);
    }
}
