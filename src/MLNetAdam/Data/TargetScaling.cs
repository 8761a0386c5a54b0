namespace MLNetAdam.Data;

/// <summary>
/// The standardization of regression targets: the trainer fits <c>(y − Mean) / Scale</c>, and the map is folded back
/// into the output layer when training ends, so scores come out in the label's units. <see cref="Scale"/> is the
/// targets' standard deviation (1 when they are all equal). Statistics are over the usable training rows, unweighted,
/// as the feature scaling's.
/// </summary>
/// <param name="Mean">The targets' mean.</param>
/// <param name="Scale">Their standard deviation, or 1 when it is 0.</param>
internal sealed record TargetScaling(double Mean, double Scale)
{
    /// <summary>The scaling of <paramref name="targets"/>; with <paramref name="sumOverRanks"/>, of every rank's targets together (two exact passes).</summary>
    public static TargetScaling Of(ReadOnlySpan<float> targets, Action<Span<double>>? sumOverRanks = null)
    {
        if (sumOverRanks is null)
        {
            // The same one-pass sums a streamed view gets, so both modes standardize to the same bits.
            var accumulator = new Accumulator();
            foreach (float t in targets)
                accumulator.Add(t);
            return accumulator.ToScaling();
        }
        Span<double> sums = [targets.Length, 0];
        foreach (float t in targets)
            sums[1] += t;
        sumOverRanks?.Invoke(sums);
        double mean = sums[0] > 0 ? sums[1] / sums[0] : 0;
        Span<double> squares = [0];
        foreach (float t in targets)
            squares[0] += (t - mean) * (t - mean);
        sumOverRanks?.Invoke(squares);
        return From(mean, sums[0] > 0 ? squares[0] / sums[0] : 0);
    }

    /// <summary>The standardized targets: <c>(y − Mean) / Scale</c> in a new array.</summary>
    public float[] Apply(ReadOnlySpan<float> targets)
    {
        var scaled = new float[targets.Length];
        for (int i = 0; i < scaled.Length; i++)
            scaled[i] = Apply(targets[i]);
        return scaled;
    }

    /// <summary>One standardized target.</summary>
    public float Apply(float target) => (float)((target - Mean) / Scale);

    private static TargetScaling From(double mean, double variance)
    {
        double std = Math.Sqrt(variance);
        return new TargetScaling(mean, std > 0 && double.IsFinite(std) ? std : 1);
    }

    /// <summary>Sums targets one at a time (for a streamed view), shifted by the first one for accuracy.</summary>
    public sealed class Accumulator
    {
        private double _reference, _sum, _squares;
        private long _count;

        /// <summary>Adds one target.</summary>
        public void Add(float target)
        {
            if (_count == 0)
                _reference = target;
            double d = target - _reference;
            _sum += d;
            _squares += d * d;
            _count++;
        }

        /// <summary>The scaling of the targets added so far.</summary>
        public TargetScaling ToScaling()
        {
            if (_count == 0)
                return new TargetScaling(0, 1);
            double meanShift = _sum / _count;
            return From(_reference + meanShift, Math.Max(0, _squares / _count - meanShift * meanShift));
        }
    }
}
