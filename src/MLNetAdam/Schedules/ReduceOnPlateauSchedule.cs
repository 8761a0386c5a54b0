namespace MLNetAdam.Schedules;

/// <summary>
/// Multiplies the rate by <see cref="Factor"/> when the monitored loss has not improved for more than
/// <see cref="Patience"/> epochs, as PyTorch's <c>ReduceLROnPlateau</c> (mode "min", relative threshold). The monitored
/// loss is the validation loss when <c>Fit(train, validation)</c> is used, otherwise the epoch's training loss.
/// </summary>
public sealed class ReduceOnPlateauSchedule : LearningRateSchedule
{
    /// <summary>Factor applied on a plateau. Default 0.1; must be in (0, 1).</summary>
    public double Factor { get; set; } = 0.1;

    /// <summary>Epochs without improvement tolerated before reducing. Default 10; must be ≥ 0.</summary>
    public int Patience { get; set; } = 10;

    /// <summary>An epoch improves when its loss is below <c>best·(1 − Threshold)</c>. Default 1e-4; must be finite and ≥ 0.</summary>
    public double Threshold { get; set; } = 1e-4;

    /// <summary>Epochs to wait after a reduction before counting again. Default 0; must be ≥ 0.</summary>
    public int Cooldown { get; set; }

    /// <summary>The rate never goes below this. Default 0; must be finite and ≥ 0.</summary>
    public double MinimumLearningRate { get; set; }

    /// <inheritdoc/>
    public override void Validate()
    {
        if (!(Factor > 0 && Factor < 1))
            throw new ArgumentOutOfRangeException(nameof(Factor), Factor, $"{nameof(ReduceOnPlateauSchedule)}.{nameof(Factor)} must be in (0, 1); got {Factor}.");
        if (Patience < 0)
            throw new ArgumentOutOfRangeException(nameof(Patience), Patience, $"{nameof(ReduceOnPlateauSchedule)}.{nameof(Patience)} must be ≥ 0; got {Patience}.");
        RequireNonNegative(Threshold, nameof(Threshold));
        if (Cooldown < 0)
            throw new ArgumentOutOfRangeException(nameof(Cooldown), Cooldown, $"{nameof(ReduceOnPlateauSchedule)}.{nameof(Cooldown)} must be ≥ 0; got {Cooldown}.");
        RequireNonNegative(MinimumLearningRate, nameof(MinimumLearningRate));
    }

    internal override LearningRateScheduler CreateScheduler(float baseLearningRate, int stepsPerEpoch) => new Scheduler(this, baseLearningRate);

    private sealed class Scheduler(ReduceOnPlateauSchedule settings, float baseLearningRate) : LearningRateScheduler
    {
        private double _rate = baseLearningRate;
        private double _best = double.PositiveInfinity;
        private int _badEpochs;
        private int _cooldown;

        public override float LearningRate(long step) => (float)_rate;

        public override double[] SaveState() => [_rate, _best, _badEpochs, _cooldown];

        public override void LoadState(double[] state)
        {
            if (state.Length != 4)
                throw new ArgumentException("A plateau scheduler's state has four values.", nameof(state));
            (_rate, _best, _badEpochs, _cooldown) = (state[0], state[1], (int)state[2], (int)state[3]);
        }

        public override void EndEpoch(double monitoredLoss)
        {
            if (monitoredLoss < _best * (1 - settings.Threshold))
            {
                _best = monitoredLoss;
                _badEpochs = 0;
            }
            else
            {
                _badEpochs++;
            }
            if (_cooldown > 0)
            {
                _cooldown--;
                _badEpochs = 0;
            }
            if (_badEpochs > settings.Patience)
            {
                _rate = Math.Max(_rate * settings.Factor, settings.MinimumLearningRate);
                _cooldown = settings.Cooldown;
                _badEpochs = 0;
            }
        }
    }
}
