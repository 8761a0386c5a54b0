using MLNetAdam.Numerics;

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
        Require.That(Factor > 0 && Factor < 1, nameof(ReduceOnPlateauSchedule), nameof(Factor), "be in (0, 1)", Factor);
        RequireAtLeast(Patience, 0, nameof(Patience));
        RequireNonNegative(Threshold, nameof(Threshold));
        RequireAtLeast(Cooldown, 0, nameof(Cooldown));
        RequireNonNegative(MinimumLearningRate, nameof(MinimumLearningRate));
    }

    internal override ScheduleState CreateState(float baseLearningRate) => new State(this, baseLearningRate);

    private sealed class State(ReduceOnPlateauSchedule settings, float baseLearningRate) : ScheduleState
    {
        private double _rate = baseLearningRate;
        private double _best = double.PositiveInfinity;
        private int _badEpochs;
        private int _cooldown;

        public override string Name => "reduce-on-plateau";

        public override float LearningRate(long step, int epoch) => (float)_rate;

        public override double[] Save() => [_rate, _best, _badEpochs, _cooldown];

        public override void Load(double[] values)
        {
            if (values.Length != 4)
                throw new ArgumentException($"A {Name} schedule keeps four values; the checkpoint holds {values.Length}.", nameof(values));
            (_rate, _best, _badEpochs, _cooldown) = (values[0], values[1], (int)values[2], (int)values[3]);
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
